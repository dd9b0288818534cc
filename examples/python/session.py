"""A data-entry session against a running Intercity server, through the Python client generated from
openapi/openapi.json by openapi-python-client. Copy it to script your own data entry.

It records a document to cite, two cities, a partnership between them, a project with two fundings
in different currencies and an exchange; reads the funding totals back from the stats; updates the
project with If-Match and sees a stale If-Match refused; pages through a list; and deletes all it
made. Every check exits 1 with a message on a mismatch. Each run tags what it writes with a fresh
tag, so it can run again and again against the same database.

    INTERCITY_TOKEN=<editor key> python session.py BASE_URL      (e.g. http://127.0.0.1:8080)

examples/run.sh generates and installs the client (the package `intercity_client`) and runs this.
"""

import json
import os
import sys
import uuid
from decimal import Decimal

from intercity_client import AuthenticatedClient
from intercity_client.api.cities import create_city, delete_city, get_city, list_cities
from intercity_client.api.documents import create_document, delete_document, get_document
from intercity_client.api.exchanges import create_exchange, delete_exchange, get_exchange
from intercity_client.api.fundings import create_funding, delete_funding, get_funding, list_fundings
from intercity_client.api.partnerships import create_partnership, delete_partnership, get_partnership
from intercity_client.api.projects import create_project, delete_project, get_project, patch_project
from intercity_client.api.stats import funding_stats
from intercity_client.errors import UnexpectedStatus
from intercity_client.models import (
    CountryCode,
    CurrencyCode,
    City,
    Document,
    Exchange,
    ExchangeKind,
    ExternalIds,
    Funding,
    FundingKind,
    Names,
    NewCity,
    NewDocument,
    NewExchange,
    NewFunding,
    NewPartnership,
    NewProject,
    PageCity,
    PageFunding,
    Partnership,
    PartnershipKind,
    Problem,
    Project,
    ProjectPatch,
    ProjectStatus,
    Sector,
    Source,
    StatsTableFundingStatsRow,
)
from intercity_client.types import UNSET


def fail(message):
    print(f"session.py: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def expect(what, response, status, model=None):
    """The parsed body of `response`, which must have `status` (and, given a model, parse as it)."""
    if response.status_code != status or (model is not None and not isinstance(response.parsed, model)):
        wanted = f"{status} {model.__name__}" if model is not None else str(status)
        body = response.content.decode(errors="replace")[:1000]
        fail(f"{what}: expected {wanted}, got {response.status_code} {type(response.parsed).__name__}: {body}")
    if model is not None and (undocumented := set(json.loads(response.content)) - set(response.parsed.to_dict())):
        fail(f"{what}: fields the spec does not document: {sorted(undocumented)}")
    return response.parsed


def etag(what, response, version):
    """The response's ETag, which must be the record's version, quoted."""
    tag = response.headers.get("etag")
    if tag != f'"{version}"':
        fail(f'{what}: ETag {tag!r}, expected "{version}"')
    return tag


def cite(document, quote):
    return [Source(document_id=document.id, locator="p. 1", quote=quote)]


def all_items(what, fetch_page, limit):
    """Every item of a list, following next_cursor from page to page until it is null."""
    items, cursor = [], UNSET
    for number in range(1, 1000):
        page = fetch_page(limit=limit, cursor=cursor)
        if len(page.items) > limit:
            fail(f"{what}, page {number}: {len(page.items)} items with limit={limit}")
        items += page.items
        if not isinstance(page.next_cursor, str):
            return items
        cursor = page.next_cursor
    fail(f"{what}: still a next_cursor after 1000 pages")


def main(base_url, token):
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    tag = uuid.uuid4().hex[:10]  # marks this run's records: the database may hold earlier runs'

    # 1. The document the records cite.
    document = expect("create document", create_document.sync_detailed(client=client, body=NewDocument(
        title=f"Kitakyushu–Dalian environmental cooperation, example session {tag}",
        publisher="City of Kitakyushu", published="2019-03", language="en",
        external_ids=ExternalIds.from_dict({"example": f"doc-{tag}"}),
    )), 201, Document)

    # 2. Two cities, with their names in the local script.
    kitakyushu = expect("create city Kitakyushu", create_city.sync_detailed(client=client, body=NewCity(
        name=f"Kitakyushu {tag}", local_name="北九州市", names=Names.from_dict({"ja": "北九州市", "en": "Kitakyushu"}),
        country=CountryCode("JP"), region="Fukuoka", latitude=33.883, longitude=130.875, population=940000, population_year=2020,
        external_ids=ExternalIds.from_dict({"example": f"city-kitakyushu-{tag}"}),
        sources=cite(document, "Kitakyushu and Dalian became friendship cities in 1979."),
    )), 201, City)
    dalian = expect("create city Dalian", create_city.sync_detailed(client=client, body=NewCity(
        name=f"Dalian {tag}", local_name="大连市", names=Names.from_dict({"zh": "大连市", "en": "Dalian"}),
        country=CountryCode("CN"), region="Liaoning", latitude=38.914, longitude=121.614,
        external_ids=ExternalIds.from_dict({"example": f"city-dalian-{tag}"}),
        sources=cite(document, "Kitakyushu and Dalian became friendship cities in 1979."),
    )), 201, City)
    read = expect("get city Kitakyushu", get_city.sync_detailed(kitakyushu.id, client=client), 200, City)
    if read.local_name != "北九州市" or not isinstance(read.names, Names) or read.names["ja"] != "北九州市":
        fail(f"Kitakyushu's local names came back as {read.local_name!r}, {read.to_dict().get('names')!r}")
    for city in (kitakyushu, dalian):
        if city.version != 1:
            fail(f"city {city.name}: version {city.version} on a new record")

    # 3. The partnership between them.
    partnership = expect("create partnership", create_partnership.sync_detailed(client=client, body=NewPartnership(
        city_ids=[kitakyushu.id, dalian.id], kind=PartnershipKind.FRIENDSHIP_CITY, established="1979-05-01",
        title=f"Kitakyushu–Dalian friendship {tag}",
        sources=cite(document, "Kitakyushu and Dalian became friendship cities in 1979."),
    )), 201, Partnership)
    if sorted(partnership.city_ids) != sorted([kitakyushu.id, dalian.id]):
        fail(f"the partnership's cities came back as {partnership.city_ids}")

    # 4. A project of the partnership, and two fundings of it in different currencies. Amounts are
    #    exact decimal strings, with no more decimals than the currency has.
    project = expect("create project", create_project.sync_detailed(client=client, body=NewProject(
        title=f"Dalian air quality improvement {tag}", titles=Names.from_dict({"ja": "大連市大気環境改善"}),
        summary="Monitoring and cleaner production in Dalian's industrial districts.",
        partnership_id=partnership.id, city_ids=[dalian.id, kitakyushu.id],
        sectors=[Sector.AIR_QUALITY, Sector.CAPACITY_BUILDING], status=ProjectStatus.ACTIVE, start="2019-04",
        sources=cite(document, "The air quality project started in April 2019."),
    )), 201, Project)
    to_fund = [("JPY", "150000000", "City of Kitakyushu"), ("USD", "250000.50", "A development bank")]
    fundings = []
    for currency, amount, funder in to_fund:
        funding = expect(f"create funding in {currency}", create_funding.sync_detailed(client=client, body=NewFunding(
            project_id=project.id, kind=FundingKind.COMMITMENT, funder_description=funder, amount=amount,
            currency=CurrencyCode(currency), start="2019", end="2019",
            sources=cite(document, f"The project was granted {amount} {currency}."),
        )), 201, Funding)
        if not isinstance(funding.amount, str) or Decimal(funding.amount) != Decimal(amount) \
                or funding.currency != currency:
            fail(f"funding {funding.id}: {amount} {currency} came back as {funding.amount!r} {funding.currency!r}")
        fundings.append(funding)

    # 5. An exchange: trainees from Dalian accepted in Kitakyushu.
    exchange = expect("create exchange", create_exchange.sync_detailed(client=client, body=NewExchange(
        kind=ExchangeKind.TRAINEE_ACCEPTANCE, project_id=project.id, partnership_id=partnership.id,
        from_city_id=dalian.id, to_city_id=kitakyushu.id, start="2019-10-07", end="2019-10-18", participants=12,
        title=f"Air monitoring training {tag}",
        sources=cite(document, "Twelve engineers from Dalian trained in Kitakyushu in October 2019."),
    )), 201, Exchange)

    # 6. The funding totals of this run's partnership (its projects' fundings included). Every row is
    #    one kind and one currency: amounts are never added across currencies.
    stats = expect("funding stats", funding_stats.sync_detailed(
        client=client, group_by="partnership", partnership_id=partnership.id), 200, StatsTableFundingStatsRow)
    totals = {}
    for row in stats.rows:
        if row.partnership_id != partnership.id or row.kind != FundingKind.COMMITMENT:
            fail(f"funding stats of partnership {partnership.id}: an unexpected row {row.to_dict()}")
        if row.count != 1 or row.count_without_amount != 0 or not isinstance(row.total_amount, str):
            fail(f"funding stats: expected one funding with an amount in {row.to_dict()}")
        totals[row.currency] = Decimal(row.total_amount)
    expected = {currency: Decimal(amount) for currency, amount, _ in to_fund}
    if totals != expected:
        fail(f"funding stats: totals {totals}, expected {expected}")

    # 7. Update the project with the version just read (its ETag) in If-Match: the version goes up.
    #    A JSON Merge Patch: fields left out keep their value, null clears one.
    response = get_project.sync_detailed(project.id, client=client)
    current = expect("get project", response, 200, Project)
    version_read = etag("get project", response, current.version)
    response = patch_project.sync_detailed(project.id, client=client, if_match=version_read, body=ProjectPatch(
        status=ProjectStatus.COMPLETED, end="2021-03", summary=None,
        results_summary="PM2.5 monitoring in place in four districts.",
    ))
    project = expect("patch project", response, 200, Project)
    etag("patch project", response, current.version + 1)
    if project.version != current.version + 1 or project.status != ProjectStatus.COMPLETED or project.summary:
        fail(f"patch project: came back as version {project.version}, status {project.status}, "
             f"summary {project.summary!r}")
    if project.title != current.title or sorted(project.city_ids) != sorted(current.city_ids):
        fail("patch project: fields the patch left out changed")

    #    Another write with the version read before that update is refused, with a problem.
    response = patch_project.sync_detailed(project.id, client=client, if_match=version_read,
                                           body=ProjectPatch(notes="A stale edit."))
    problem = expect("patch project with a stale If-Match", response, 412, Problem)
    if problem.status != 412:
        fail(f"the 412 problem says status {problem.status}: {problem.to_dict()}")
    unchanged = expect("get project after the refused patch", get_project.sync_detailed(project.id, client=client),
                       200, Project)
    if unchanged.version != project.version or unchanged.notes:
        fail(f"the refused patch changed the project: {unchanged.to_dict()}")

    # 8. Page through lists with limit and next_cursor, until next_cursor is null. Every city once ...
    cities = all_items("list cities", lambda **page: expect(
        "list cities", list_cities.sync_detailed(client=client, **page), 200, PageCity), limit=20)
    ids = [city.id for city in cities]
    if len(ids) != len(set(ids)):
        fail(f"list cities: {len(ids) - len(set(ids))} cities on more than one page")
    for city in (kitakyushu, dalian):
        if ids.count(city.id) != 1:
            fail(f"list cities: city {city.id} listed {ids.count(city.id)} times, expected once")
    #    ... and the project's fundings, one per page.
    listed = all_items("list fundings", lambda **page: expect(
        "list fundings", list_fundings.sync_detailed(client=client, project_id=project.id, **page), 200,
        PageFunding), limit=1)
    if sorted(funding.id for funding in listed) != sorted(funding.id for funding in fundings):
        fail(f"list fundings of the project: {[f.id for f in listed]}, expected {[f.id for f in fundings]}")

    # 9. Delete it all, what references a record before the record, each with its current version.
    #    (A delete of a record still referenced is refused with 409 and the referrers in the problem.)
    deletions = [("exchange", exchange, get_exchange, delete_exchange)]
    deletions += [("funding", funding, get_funding, delete_funding) for funding in fundings]
    deletions += [("project", project, get_project, delete_project),
                  ("partnership", partnership, get_partnership, delete_partnership),
                  ("city", kitakyushu, get_city, delete_city), ("city", dalian, get_city, delete_city),
                  ("document", document, get_document, delete_document)]
    for kind, record, _, delete in deletions:
        expect(f"delete {kind} {record.id}", delete.sync_detailed(
            record.id, client=client, if_match=f'"{record.version}"'), 204)
    for kind, record, get, _ in deletions:
        problem = expect(f"get deleted {kind} {record.id}", get.sync_detailed(record.id, client=client), 404, Problem)
        if problem.status != 404:
            fail(f"get deleted {kind}: the problem says status {problem.status}")

    print(f"session.py: passed against {base_url} (tag {tag}: 1 document, 2 cities, 1 partnership, 1 project, "
          f"2 fundings, 1 exchange created, read, updated and deleted; {len(cities)} cities paged)")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.environ.get("INTERCITY_TOKEN"):
        sys.exit("usage: INTERCITY_TOKEN=<editor key> python session.py BASE_URL")
    try:
        main(sys.argv[1].rstrip("/"), os.environ["INTERCITY_TOKEN"])
    except UnexpectedStatus as error:
        fail(f"a status the spec does not document: {error.status_code} {error.content[:1000]!r}")
