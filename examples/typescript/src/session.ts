// A data-entry session against a running Intercity server, through a client typed by the code
// openapi-typescript generates from openapi/openapi.json, with openapi-fetch making the requests.
// Copy it to script your own data entry.
//
// It records a document to cite, two cities, a partnership between them, a project with two fundings
// in different currencies and an exchange; reads the funding totals back from the stats; updates the
// project with If-Match and sees a stale If-Match refused; pages through a list; and deletes all it
// made. Every check exits 1 with a message on a mismatch. Each run tags what it writes with a fresh
// tag, so it can run again and again against the same database.
//
//   npm ci && npm run generate && npm run build
//   INTERCITY_TOKEN=<editor key> node dist/src/session.js BASE_URL      (e.g. http://127.0.0.1:8080)

import { randomUUID } from "node:crypto";
import createClient from "openapi-fetch";
import type { components, paths } from "../generated/intercity.js";

type Schemas = components["schemas"];
type Problem = Schemas["Problem"];
type Source = Schemas["Source"];

class Failure extends Error {}

function fail(message: string): never {
  throw new Failure(message);
}

/** What an openapi-fetch call resolves to: the parsed body of a documented success, or of a documented error. */
type Result<T> = { data?: T; error?: Problem; response: Response };

/** The body of a call that must answer `status` with a success body. */
async function expectOk<T>(
  what: string,
  status: number,
  call: Promise<Result<T>>,
): Promise<{ body: T; response: Response }> {
  const { data, error, response } = await call;
  if (response.status !== status || data === undefined) {
    const body = JSON.stringify(error ?? data ?? null).slice(0, 1000);
    fail(`${what}: expected ${status}, got ${response.status}: ${body}`);
  }
  return { body: data, response };
}

/** A call that must answer `status` with no body (a delete). */
async function expectEmpty(what: string, status: number, call: Promise<Result<unknown>>): Promise<void> {
  const { error, response } = await call;
  if (response.status !== status || error !== undefined) {
    fail(`${what}: expected ${status}, got ${response.status}: ${JSON.stringify(error ?? null).slice(0, 1000)}`);
  }
}

/** The problem of a call that must be refused with `status`. */
async function expectProblem(what: string, status: number, call: Promise<Result<unknown>>): Promise<Problem> {
  const { error, response } = await call;
  if (response.status !== status || error === undefined) {
    fail(`${what}: expected a ${status} problem, got ${response.status}`);
  }
  if (error.status !== status || !response.headers.get("content-type")?.startsWith("application/problem+json")) {
    fail(`${what}: the problem is ${response.headers.get("content-type")} with status ${error.status}`);
  }
  return error;
}

/** The response's ETag, which must be the record's version, quoted. */
function etag(what: string, response: Response, version: number): string {
  const tag = response.headers.get("ETag");
  if (tag !== `"${version}"`) fail(`${what}: ETag ${tag}, expected "${version}"`);
  return tag;
}

/** Whether two exact decimal strings are the same number ("250000.5" and "250000.50" are). */
function sameDecimal(a: string, b: string): boolean {
  const canonical = (s: string) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  return canonical(a) === canonical(b);
}

/** Every item of a list, following next_cursor from page to page until it is null. */
async function allItems<I>(
  what: string,
  limit: number,
  fetchPage: (page: { limit: number; cursor?: string }) => Promise<{ items: I[]; next_cursor?: string | null }>,
): Promise<I[]> {
  const items: I[] = [];
  let cursor: string | undefined;
  for (let number = 1; number < 1000; number++) {
    const page = await fetchPage({ limit, cursor });
    if (page.items.length > limit) fail(`${what}, page ${number}: ${page.items.length} items with limit=${limit}`);
    items.push(...page.items);
    if (page.next_cursor == null) return items;
    cursor = page.next_cursor;
  }
  return fail(`${what}: still a next_cursor after 1000 pages`);
}

async function session(baseUrl: string, token: string): Promise<string> {
  // Bodies typed by their JSON forms only (application/json, and application/problem+json for errors):
  // lists and stats would otherwise also be typed as their GeoJSON and CSV forms.
  const client = createClient<paths, `${string}/json` | "application/problem+json">({
    baseUrl, headers: { Authorization: `Bearer ${token}` },
  });
  // Marks this run's records: the database may hold earlier runs'.
  const tag = randomUUID().replaceAll("-", "").slice(0, 10);

  // 1. The document the records cite.
  const { body: document } = await expectOk("create document", 201, client.POST("/v1/documents", {
    body: {
      title: `Kitakyushu–Dalian environmental cooperation, example session ${tag}`,
      publisher: "City of Kitakyushu", published: "2019-03", language: "en",
      external_ids: { example: `doc-${tag}` },
    },
  }));
  const cite = (quote: string): Source[] => [{ document_id: document.id, locator: "p. 1", quote }];

  // 2. Two cities, with their names in the local script.
  const { body: kitakyushu } = await expectOk("create city Kitakyushu", 201, client.POST("/v1/cities", {
    body: {
      name: `Kitakyushu ${tag}`, local_name: "北九州市", names: { ja: "北九州市", en: "Kitakyushu" },
      country: "JP", region: "Fukuoka", latitude: 33.883, longitude: 130.875, population: 940000, population_year: 2020,
      external_ids: { example: `city-kitakyushu-${tag}` },
      sources: cite("Kitakyushu and Dalian became friendship cities in 1979."),
    },
  }));
  const { body: dalian } = await expectOk("create city Dalian", 201, client.POST("/v1/cities", {
    body: {
      name: `Dalian ${tag}`, local_name: "大连市", names: { zh: "大连市", en: "Dalian" },
      country: "CN", region: "Liaoning", latitude: 38.914, longitude: 121.614,
      external_ids: { example: `city-dalian-${tag}` },
      sources: cite("Kitakyushu and Dalian became friendship cities in 1979."),
    },
  }));
  const { body: read } = await expectOk("get city Kitakyushu", 200, client.GET("/v1/cities/{id}", {
    params: { path: { id: kitakyushu.id } },
  }));
  if (read.local_name !== "北九州市" || read.names?.["ja"] !== "北九州市") {
    fail(`Kitakyushu's local names came back as ${read.local_name}, ${JSON.stringify(read.names)}`);
  }
  for (const city of [kitakyushu, dalian]) {
    if (city.version !== 1) fail(`city ${city.name}: version ${city.version} on a new record`);
  }

  // 3. The partnership between them.
  const { body: partnership } = await expectOk("create partnership", 201, client.POST("/v1/partnerships", {
    body: {
      city_ids: [kitakyushu.id, dalian.id], kind: "friendship_city", established: "1979-05-01",
      title: `Kitakyushu–Dalian friendship ${tag}`,
      sources: cite("Kitakyushu and Dalian became friendship cities in 1979."),
    },
  }));
  if ([...partnership.city_ids].sort().join() !== [kitakyushu.id, dalian.id].sort().join()) {
    fail(`the partnership's cities came back as ${partnership.city_ids.join(", ")}`);
  }

  // 4. A project of the partnership, and two fundings of it in different currencies. Amounts are
  //    exact decimal strings, with no more decimals than the currency has.
  const { body: created } = await expectOk("create project", 201, client.POST("/v1/projects", {
    body: {
      title: `Dalian air quality improvement ${tag}`, titles: { ja: "大連市大気環境改善" },
      summary: "Monitoring and cleaner production in Dalian's industrial districts.",
      partnership_id: partnership.id, city_ids: [dalian.id, kitakyushu.id],
      sectors: ["air_quality", "capacity_building"], status: "active", start: "2019-04",
      sources: cite("The air quality project started in April 2019."),
    },
  }));
  const toFund: { currency: Schemas["CurrencyCode"]; amount: string; funder: string }[] = [
    { currency: "JPY", amount: "150000000", funder: "City of Kitakyushu" },
    { currency: "USD", amount: "250000.50", funder: "A development bank" },
  ];
  const fundings: Schemas["Funding"][] = [];
  for (const { currency, amount, funder } of toFund) {
    const newFunding: Schemas["NewFunding"] = {
      project_id: created.id, kind: "commitment", funder_description: funder, amount, currency,
      start: "2019", end: "2019", sources: cite(`The project was granted ${amount} ${currency}.`),
    };
    const { body: funding } = await expectOk(`create funding in ${currency}`, 201,
      client.POST("/v1/fundings", { body: newFunding }));
    if (funding.amount == null || !sameDecimal(funding.amount, amount) || funding.currency !== currency) {
      fail(`funding ${funding.id}: ${amount} ${currency} came back as ${funding.amount} ${funding.currency}`);
    }
    fundings.push(funding);
  }

  // 5. An exchange: trainees from Dalian accepted in Kitakyushu.
  const { body: exchange } = await expectOk("create exchange", 201, client.POST("/v1/exchanges", {
    body: {
      kind: "trainee_acceptance", project_id: created.id, partnership_id: partnership.id,
      from_city_id: dalian.id, to_city_id: kitakyushu.id, start: "2019-10-07", end: "2019-10-18", participants: 12,
      title: `Air monitoring training ${tag}`,
      sources: cite("Twelve engineers from Dalian trained in Kitakyushu in October 2019."),
    },
  }));

  // 6. The funding totals of this run's partnership (its projects' fundings included). Every row is
  //    one kind and one currency: amounts are never added across currencies.
  const { body: stats } = await expectOk("funding stats", 200, client.GET("/v1/stats/fundings", {
    params: { query: { group_by: "partnership", partnership_id: partnership.id } },
  }));
  const totals = new Map<string, string>();
  for (const row of stats.rows) {
    if (row.partnership_id !== partnership.id || row.kind !== "commitment") {
      fail(`funding stats of partnership ${partnership.id}: an unexpected row ${JSON.stringify(row)}`);
    }
    if (row.count !== 1 || row.count_without_amount !== 0 || row.currency == null || row.total_amount == null) {
      fail(`funding stats: expected one funding with an amount in ${JSON.stringify(row)}`);
    }
    totals.set(row.currency, row.total_amount);
  }
  const expected = ({ currency, amount }: { currency: string; amount: string }) =>
    sameDecimal(totals.get(currency) ?? "", amount);
  if (totals.size !== toFund.length || !toFund.every(expected)) {
    fail(`funding stats: totals ${JSON.stringify([...totals])}, expected ${JSON.stringify(toFund)}`);
  }

  // 7. Update the project with the version just read (its ETag) in If-Match: the version goes up.
  //    A JSON Merge Patch: fields left out keep their value, null clears one.
  const projectPath = { path: { id: created.id } };
  const got = await expectOk("get project", 200, client.GET("/v1/projects/{id}", { params: projectPath }));
  const current = got.body;
  const versionRead = etag("get project", got.response, current.version);
  const patch: Schemas["ProjectPatch"] = {
    status: "completed", end: "2021-03", summary: null,
    results_summary: "PM2.5 monitoring in place in four districts.",
  };
  const patched = await expectOk("patch project", 200, client.PATCH("/v1/projects/{id}", {
    params: { ...projectPath, header: { "If-Match": versionRead } },
    headers: { "Content-Type": "application/merge-patch+json" },
    body: patch,
  }));
  const project = patched.body;
  etag("patch project", patched.response, current.version + 1);
  if (project.version !== current.version + 1 || project.status !== "completed" || project.summary != null) {
    fail(`patch project: came back as version ${project.version}, status ${project.status}, `
      + `summary ${project.summary}`);
  }
  if (project.title !== current.title || [...project.city_ids].sort().join() !== [...current.city_ids].sort().join()) {
    fail("patch project: fields the patch left out changed");
  }

  //    Another write with the version read before that update is refused, with a problem.
  const stale: Schemas["ProjectPatch"] = { notes: "A stale edit." };
  await expectProblem("patch project with a stale If-Match", 412, client.PATCH("/v1/projects/{id}", {
    params: { ...projectPath, header: { "If-Match": versionRead } },
    headers: { "Content-Type": "application/merge-patch+json" },
    body: stale,
  }));
  const { body: unchanged } = await expectOk("get project after the refused patch", 200,
    client.GET("/v1/projects/{id}", { params: projectPath }));
  if (unchanged.version !== project.version || unchanged.notes != null) {
    fail(`the refused patch changed the project: ${JSON.stringify(unchanged)}`);
  }

  // 8. Page through lists with limit and next_cursor, until next_cursor is null. Every city once ...
  const cities = await allItems("list cities", 20, async (page) => {
    const { body } = await expectOk("list cities", 200, client.GET("/v1/cities", { params: { query: page } }));
    return body;
  });
  const ids = cities.map((city) => city.id);
  if (new Set(ids).size !== ids.length) {
    fail(`list cities: ${ids.length - new Set(ids).size} cities on more than one page`);
  }
  for (const city of [kitakyushu, dalian]) {
    const times = ids.filter((id) => id === city.id).length;
    if (times !== 1) fail(`list cities: city ${city.id} listed ${times} times, expected once`);
  }
  //    ... and the project's fundings, one per page.
  const listed = await allItems("list fundings", 1, async (page) => {
    const { body } = await expectOk("list fundings", 200, client.GET("/v1/fundings", {
      params: { query: { project_id: project.id, ...page } },
    }));
    return body;
  });
  const listedIds = listed.map((f) => f.id).sort().join(", ");
  const fundingIds = fundings.map((f) => f.id).sort().join(", ");
  if (listedIds !== fundingIds) {
    fail(`list fundings of the project: ${listedIds}, expected ${fundingIds}`);
  }

  // 9. Delete it all, what references a record before the record, each with its current version.
  //    (A delete of a record still referenced is refused with 409 and the referrers in the problem.)
  type Deletion = { what: string; remove: () => Promise<Result<unknown>>; get: () => Promise<Result<unknown>> };
  type Stored = { id: string; version: number };
  const at = (record: Stored) => ({ params: { path: { id: record.id } } });
  const atVersion = (record: Stored) => ({
    params: { path: { id: record.id }, header: { "If-Match": `"${record.version}"` } },
  });
  const deletions: Deletion[] = [
    {
      what: `exchange ${exchange.id}`,
      remove: () => client.DELETE("/v1/exchanges/{id}", atVersion(exchange)),
      get: () => client.GET("/v1/exchanges/{id}", at(exchange)),
    },
    ...fundings.map((funding) => ({
      what: `funding ${funding.id}`,
      remove: () => client.DELETE("/v1/fundings/{id}", atVersion(funding)),
      get: () => client.GET("/v1/fundings/{id}", at(funding)),
    })),
    {
      what: `project ${project.id}`,
      remove: () => client.DELETE("/v1/projects/{id}", atVersion(project)),
      get: () => client.GET("/v1/projects/{id}", at(project)),
    },
    {
      what: `partnership ${partnership.id}`,
      remove: () => client.DELETE("/v1/partnerships/{id}", atVersion(partnership)),
      get: () => client.GET("/v1/partnerships/{id}", at(partnership)),
    },
    ...[kitakyushu, dalian].map((city) => ({
      what: `city ${city.id}`,
      remove: () => client.DELETE("/v1/cities/{id}", atVersion(city)),
      get: () => client.GET("/v1/cities/{id}", at(city)),
    })),
    {
      what: `document ${document.id}`,
      remove: () => client.DELETE("/v1/documents/{id}", atVersion(document)),
      get: () => client.GET("/v1/documents/{id}", at(document)),
    },
  ];
  for (const { what, remove } of deletions) await expectEmpty(`delete ${what}`, 204, remove());
  for (const { what, get } of deletions) await expectProblem(`get deleted ${what}`, 404, get());

  return `tag ${tag}: 1 document, 2 cities, 1 partnership, 1 project, 2 fundings, 1 exchange created, read, `
    + `updated and deleted; ${cities.length} cities paged`;
}

const [baseUrl] = process.argv.slice(2);
const token = process.env["INTERCITY_TOKEN"];
if (process.argv.length !== 3 || baseUrl === undefined || !token) {
  console.error("usage: INTERCITY_TOKEN=<editor key> node dist/src/session.js BASE_URL");
  process.exit(2);
}
try {
  const done = await session(baseUrl.replace(/\/+$/, ""), token);
  console.log(`session.ts: passed against ${baseUrl} (${done})`);
} catch (error) {
  console.error(`session.ts: FAILED: ${error instanceof Failure ? error.message : String(error)}`);
  process.exit(1);
}
