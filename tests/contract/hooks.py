"""Schemathesis hooks for the contract run (tests/contract/run.sh).

Four things schemathesis cannot learn from the OpenAPI document, handled here so the run stays strict
everywhere else:
- `If-Match` has the format `etag`: schemathesis keeps header values it generates to letters and
  digits unless their format is registered, so without this it cannot send a quoted ETag and sends
  an unquoted one the pattern forbids as if it were valid;
- a list's `cursor` is opaque: only one a list returned is valid, so generated ones are dropped
  (tests/api/lists.rs pages with real cursors, forged and foreign ones included);
- a stateful link can read its value from a field that is null in the response it follows (an
  exchange's `partnership_id`); schemathesis then sends the text `None` as the path's id, which no
  schema allows, so such a request gets a fresh id instead;
- a write whose body the schema allows can still be refused with 422 for a rule across records or
  fields (a reference to a record that does not exist, a record naming itself, one of two fields
  required). The configuration lets writes answer 422, and the check below makes sure every such 422
  names only those rules: any other refusal of a schema-valid body means the schema is looser than
  the server, and fails the run.
"""

import re
import uuid

import schemathesis
from hypothesis import strategies as st
from hypothesis.internal import lambda_sources
from schemathesis.generation import GenerationMode

# Hypothesis names a filter by parsing its lambda's source file. Deep in schemathesis' coverage
# phase, CPython 3.11's `ast.parse` can fail with "AST constructor recursion depth mismatch" (a
# CPython bug, gh-106905); the name only labels the strategy, so such a lambda goes unnamed instead.
_describe_lambda = lambda_sources._lambda_description


def _lambda_description(f):
    try:
        return _describe_lambda(f)
    except (SystemError, RecursionError):
        return "lambda: <unknown>"


lambda_sources._lambda_description = _lambda_description

# What `If-Match` takes (the document's pattern): `*`, or a record's version as a strong or weak ETag.
schemathesis.openapi.format(
    "etag",
    st.one_of(
        st.just("*"),
        st.integers(min_value=0, max_value=999_999_999).map(lambda version: f'"{version}"'),
        st.integers(min_value=0, max_value=999_999_999).map(lambda version: f'W/"{version}"'),
    ),
)

# Each error message of a 422 the schema cannot prevent, as the server words it.
RULES_ACROSS_RECORDS_OR_FIELDS = [
    # references
    r"^no \w+ has the id [0-9a-f-]{36}$",
    r"^an? \w+ cannot reference itself$",
    r"^the id [0-9a-f-]{36} is already taken by a \w+$",
    # one field or another
    r"^a member is a city_id or an organization_id$",
    r"^give the kind or the status it changed to$",
    r"^name exactly one subject: ",
    r"^give a value or a range \(value_low and value_high\), not both$",
    r" is below value_low, ",
    r"^give a project_id, a partnership_id or a recipient_country",
    r"^is required unless funder_description says who funded$",
    r"^say how exactly the point places the site$",
    r"^a delete needs the record's id$",
    r"^adds up to \d+, not to participants \(\d+\)$",
    r"^give a project_id, a partnership_id or the cities taking part",
    r"^must be the latest status in history$",
    r"^the latest kind in history is \w+$",
    r" is before the start, ",
    # items that must differ by their id or code, where the schema can only ask whole items to differ
    r" is listed twice( in this role)?$",
    r"^is required unless value_low and value_high give a range$",
    r"give participants too, or leave this out$",
    r"^is required with a breakdown \(which adds up to \d+\)$",
    r"^qualifies (a value|an amount); give the \w+ too, or leave this out$",
    r"^required when an amount is given$",
    r"^[A-Z]{3} has \d decimal places; `[0-9.]+` has more$",
    r"^is required with value_(low|high)$",
    r"^a qualitative measure has no value; describe it in comment$",
    r"^is required for a qualitative measure$",
    r"^is required when the measure is unit$",
    r"^is required unless the measure is qualitative$",
    # the path and the body: the external id in the path against the body's
    r"^is `.*`, but the path says `.*`$",
    # an earlier request: an Idempotency-Key is bound to its first request
    r"^was already used with a different request",
]


@schemathesis.hook
def map_case(context, case):
    if case.query and "cursor" in case.query:
        case.query = {name: value for name, value in case.query.items() if name != "cursor"}
    return case


@schemathesis.hook
def before_call(context, case, **kwargs):
    if case.meta is not None and case.meta.generation.mode != GenerationMode.POSITIVE:
        return
    for name, value in (case.path_parameters or {}).items():
        if value is None or value == "None":
            case.path_parameters[name] = str(uuid.uuid4())


@schemathesis.check
def refusals_the_schema_cannot_express(ctx, response, case):
    """A schema-valid write refused with 422 names only rules across records or fields."""
    if response.status_code != 422 or case.meta is None:
        return None
    # An import line's `data` is judged against its resource's body, which the line's schema leaves open.
    if case.operation.path == "/v1/import":
        return None
    if case.meta.generation.mode != GenerationMode.POSITIVE:
        return None
    problem = response.json()
    unexpected = [
        f"{error.get('field')}: {error.get('message')}"
        for error in problem.get("errors", [])
        if not any(re.search(rule, error.get("message", "")) for rule in RULES_ACROSS_RECORDS_OR_FIELDS)
    ]
    if unexpected or not problem.get("errors"):
        raise AssertionError(
            "a body the schema allows was refused for a reason the schema could state: "
            + "; ".join(unexpected or [problem.get("detail", "")])
        )
    return None
