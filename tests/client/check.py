"""A scripted create-and-read against a running Intercity server through the Python client generated
from openapi/openapi.json, and nothing else: creates two cities and a partnership between them with an
editor key, reads them back without one, pages through a list, sends an invalid create and a create
without a key. Exits 1 with a message on any mismatch.
Run by tests/client/run.sh, which generates and installs the client: INTERCITY_TOKEN=… check.py BASE_URL"""

import os

import sys
import uuid

from intercity_client import AuthenticatedClient, Client
from intercity_client.api.cities import create_city, get_city, list_cities
from intercity_client.api.documents import citations, create_document
from intercity_client.api.partnerships import create_partnership, get_partnership
from intercity_client.errors import UnexpectedStatus
from intercity_client.models import (
    CitationPage,
    City,
    Document,
    ExternalIds,
    NewCity,
    NewDocument,
    NewPartnership,
    PageCity,
    Partnership,
    PartnershipKind,
    Problem,
    Source,
)
from intercity_client.types import UNSET

META = {"id", "version", "created_at", "updated_at"}
# Read-only fields some records have: the name in the language asked for.
SERVED = META | {"display_name"}


def fail(message):
    print(f"check.py: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def expect(what, response, status, model):
    """The parsed body of `response`, which must have `status` and parse as `model`."""
    if response.status_code != status or not isinstance(response.parsed, model):
        body = response.content.decode(errors="replace")[:1000]
        fail(f"{what}: expected {status} {model.__name__}, got {response.status_code} "
             f"{type(response.parsed).__name__}: {body}")
    if response.parsed.additional_properties:
        fail(f"{what}: fields the spec does not document: {sorted(response.parsed.additional_properties)}")
    return response.parsed


def check_round_trip(what, sent, record):
    """`record` (a read model) has every field of `sent` (a write model) unchanged, the meta, and nothing else set."""
    sent, got = sent.to_dict(), record.to_dict()
    for field, value in sent.items():
        if field == "city_ids":  # an unordered pair
            value, got[field] = sorted(value), sorted(got.get(field, []))
        if got.get(field) != value:
            fail(f"{what}: {field} was sent as {value!r} but came back as {got.get(field)!r}")
    if missing := META - set(got):
        fail(f"{what}: no {sorted(missing)}")
    if unsent := {f: v for f, v in got.items() if f not in sent and f not in SERVED and v not in (None, [], {})}:
        fail(f"{what}: fields that were not sent came back set: {unsent}")
    if record.version != 1:
        fail(f"{what}: version {record.version} on a new record")


def new_city(name, local_name, tag, document_id):
    return NewCity(
        name=name, local_name=local_name, country="JP", region="Fukuoka", latitude=33.883, longitude=130.875,
        population=940000, population_year=2020, external_ids=ExternalIds.from_dict({"pyclient": f"{name}"}),
        sources=[Source(document_id=document_id, locator="p. 1", quote="A made-up quote.")],
        notes="Written by tests/client/check.py.",
    )


def main(base_url, token):
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    tag = uuid.uuid4().hex[:12]  # unique per run: the database may be reused

    # The document the cities cite.
    document = expect("create document", create_document.sync_detailed(
        client=client, body=NewDocument(title=f"Python client check {tag}", language="en")), 201, Document)

    # Two cities, each read back by id.
    cities = []
    for name, local_name in ((f"Kitakyushu {tag}", "北九州市"), (f"Dalian {tag}", "大连市")):
        body = new_city(name, local_name, tag, document.id)
        created = expect(f"create city {name}", create_city.sync_detailed(client=client, body=body), 201, City)
        check_round_trip(f"created city {name}", body, created)
        read = expect(f"get city {created.id}", get_city.sync_detailed(created.id, client=anonymous), 200, City)
        if read.to_dict() != created.to_dict():
            fail(f"get city {created.id}: read {read.to_dict()} but created {created.to_dict()}")
        cities.append(created)
    if cities[0].local_name != "北九州市":
        fail(f"local_name came back as {cities[0].local_name!r}")
    cited = expect("citations", citations.sync_detailed(document.id, client=anonymous), 200, CitationPage)
    if sorted(str(item.id) for item in cited.items) != sorted(str(city.id) for city in cities):
        fail(f"the document's citations are {cited.to_dict()}, not the two cities")

    # A partnership between them, read back by id.
    kind = "friendship_city"
    if kind not in {k.value for k in PartnershipKind}:
        fail(f"PartnershipKind has no {kind!r}, only {[k.value for k in PartnershipKind]}")
    body = NewPartnership(city_ids=[c.id for c in cities], kind=PartnershipKind(kind), established="1979",
                          title=f"Python client check {tag}")
    created = expect("create partnership", create_partnership.sync_detailed(client=client, body=body),
                     201, Partnership)
    check_round_trip("created partnership", body, created)
    read = expect(f"get partnership {created.id}", get_partnership.sync_detailed(created.id, client=client),
                  200, Partnership)
    if read.to_dict() != created.to_dict():
        fail(f"get partnership {created.id}: read {read.to_dict()} but created {created.to_dict()}")

    # The two cities, one per page, by following next_cursor.
    listed, cursor = [], UNSET
    for page_number in range(1, 5):
        page = expect(f"list cities, page {page_number}",
                      list_cities.sync_detailed(client=client, limit=1, q=tag, cursor=cursor),
                      200, PageCity)
        if len(page.items) > 1:
            fail(f"list cities with limit=1: page {page_number} has {len(page.items)} items")
        listed += [item.id for item in page.items]
        cursor = page.next_cursor
        if not isinstance(cursor, str):
            break
    if sorted(listed) != sorted(c.id for c in cities):
        fail(f"listing the cities of this run one per page gave {listed}, not {[c.id for c in cities]}")

    # An invalid create: a 422 problem that names /country.
    response = create_city.sync_detailed(client=client, body=NewCity(name=f"Nowhere {tag}", country="XX"))
    problem = expect("create a city in country XX", response, 422, Problem)
    if problem.status != 422 or "/country" not in [error.field for error in problem.errors]:
        fail(f"create a city in country XX: the problem does not name /country: {problem.to_dict()}")

    # A create without a key: a 401 problem, and nothing created.
    response = create_city.sync_detailed(client=anonymous, body=new_city(f"Keyless {tag}", None, tag, document.id))
    problem = expect("create a city without a key", response, 401, Problem)
    if not response.headers.get("www-authenticate", "").startswith("Bearer"):
        fail(f"create a city without a key: no Bearer challenge in {dict(response.headers)}")

    print(f"check.py: passed against {base_url} (cities {cities[0].id}, {cities[1].id}; partnership {created.id})")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.environ.get("INTERCITY_TOKEN"):
        sys.exit("usage: INTERCITY_TOKEN=<editor key> check.py BASE_URL")
    try:
        main(sys.argv[1].rstrip("/"), os.environ["INTERCITY_TOKEN"])
    except UnexpectedStatus as error:
        fail(f"a status the spec does not document: {error.status_code} {error.content[:1000]!r}")
