// The emulator's extension: faults per zone (list, add, get, remove, clear) and the kinds table.
import type { FastifyInstance } from "fastify";
import t, { type Test } from "tap";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { Faults, peersOf } from "../../src/faults/faults.js";
import { FAULT_KIND_NAMES, FAULT_KINDS } from "../../src/faults/kinds.js";
import { startServer } from "../../src/primary.js";
import { lab, T0, zoneText } from "./fixture.js";

const EXT = "/dns-primary/v1";

// biome-ignore lint/suspicious/noExplicitAny: envelopes are checked field by field
type Reply = { status: number; body: any };

async function ext(
  app: FastifyInstance,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await app.inject({
    method,
    url: `${EXT}${path}`,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    ...(body === undefined
      ? {}
      : { payload: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: res.json() };
}

/** The API over a fault store of its own making, as the primary gives it its own. */
function setup(t: Test, apiToken?: string) {
  const transfers = new TransferSettings({ now: () => T0 });
  const faults = new Faults(peersOf(transfers), () => T0);
  const { app, zones } = lab(t, { transfers, faults, ...(apiToken ? { apiToken } : {}) });
  return { app, faults, transfers, zone: zones.set.get("example.com.")! };
}

async function zoneId(app: FastifyInstance, name: string, headers = {}): Promise<string> {
  return (await ext(app, "GET", `/zones?name=${name}`, undefined, headers)).body.result[0].id;
}

/** The envelope of a failure: status, the one error's code, and its message. */
function failed(t: Test, r: Reply, status: number, code: number, message?: RegExp, what = "") {
  t.equal(r.status, status, `${what} status ${status}`);
  t.equal(r.body.success, false, what);
  t.equal(r.body.result, null, what);
  t.equal(r.body.errors[0]?.code, code, `${what} code ${code}`);
  if (message) t.match(r.body.errors[0]?.message, message, what);
}

t.test("add, list, get, remove and clear, in the v4 envelope", async (t) => {
  const { app, faults, zone } = setup(t);
  const id = await zoneId(app, "example.com");
  const base = `/zones/${id}/faults`;

  const empty = await ext(app, "GET", base);
  t.equal(empty.status, 200);
  t.same(empty.body, { success: true, errors: [], messages: [], result: [] });

  const added = await ext(app, "POST", base, { kind: "xfr-truncate", times: 2 });
  t.equal(added.status, 200);
  t.equal(added.body.success, true);
  const f = added.body.result;
  t.match(f, {
    kind: "xfr-truncate",
    params: { after_messages: 1 },
    peer_id: null,
    source: null,
    times: 2,
    applied: 0,
    last_applied: null,
    active: true,
    created_on: T0.toISOString(),
    origin: "runtime",
  });
  t.match(f.id, /^[0-9a-f]{32}$/);
  t.same(
    faults.list(zone.key).map((x) => x.id),
    [f.id],
    "in the store the DNS side reads",
  );

  const second = (await ext(app, "POST", base, { kind: "notify-from", source: "127.0.0.2" })).body
    .result;
  t.same(second.params, { source: "127.0.0.2" }, "notify-from's source is its parameter");
  t.equal(second.source, null, "not a scope");
  const scoped = (
    await ext(app, "POST", base, { kind: "latency", ms: "25", source: "::ffff:127.0.0.1" })
  ).body.result;
  t.same(scoped.params, { ms: 25 }, "a number given as text");
  t.equal(scoped.source, "::ffff:127.0.0.1");

  const list = await ext(app, "GET", base);
  t.same(
    list.body.result.map((x: { id: string }) => x.id),
    [f.id, second.id, scoped.id],
    "oldest first",
  );
  t.same((await ext(app, "GET", `${base}/${f.id}`)).body.result, f);

  // What the points do (faults.applied, as a point calls it) shows in the next GET: applied,
  // last, times left, active.
  const stored = faults.active(zone.key, { point: "transfer", address: "127.0.0.1" });
  const truncate = stored.find((x) => x.id === f.id)!;
  faults.applied(zone.origin, truncate, { point: "transfer", action: "closed" });
  faults.applied(zone.origin, truncate, { point: "transfer", action: "closed" });
  const after = (await ext(app, "GET", `${base}/${f.id}`)).body.result;
  t.match(after, { applied: 2, times: 0, active: false, last_applied: T0.toISOString() });

  const removed = await ext(app, "DELETE", `${base}/${f.id}`);
  t.equal(removed.status, 200);
  t.same(removed.body.result, { id: f.id });
  failed(
    t,
    await ext(app, "GET", `${base}/${f.id}`),
    404,
    89203,
    /no fault with id/,
    "GET removed",
  );
  failed(t, await ext(app, "DELETE", `${base}/${f.id}`), 404, 89203, undefined, "DELETE again");

  // Another zone's faults are not this zone's.
  const other = await zoneId(app, "example.org");
  t.same((await ext(app, "GET", `/zones/${other}/faults`)).body.result, []);
  failed(t, await ext(app, "GET", `/zones/${other}/faults/${second.id}`), 404, 89203);

  const cleared = await ext(app, "DELETE", base);
  t.equal(cleared.status, 200);
  t.same(cleared.body.result, { removed: 2 });
  t.same((await ext(app, "DELETE", base)).body.result, { removed: 0 });
  t.equal(faults.size, 0);
});

t.test("bad input: 400 with 89201 or 89202 and a message naming the mistake", async (t) => {
  const { app, faults, transfers } = setup(t);
  const id = await zoneId(app, "example.com");
  const base = `/zones/${id}/faults`;
  const cases: Array<[string, unknown, number, RegExp]> = [
    ["no kind", { ms: 5 }, 89201, /kind is required: one of axfr-soa-mismatch, /],
    ["unknown kind", { kind: "dns-explode" }, 89201, /unknown fault kind "dns-explode"/],
    ["kind not a string", { kind: 7 }, 89201, /unknown fault kind 7/],
    ["required parameter", { kind: "latency" }, 89202, /latency: ms is required/],
    [
      "out of range",
      { kind: "latency", ms: 0 },
      89202,
      /latency: ms must be a whole number from 1 to 600000/,
    ],
    [
      "not whole",
      { kind: "xfr-truncate", after_messages: 1.5 },
      89202,
      /after_messages must be a whole number/,
    ],
    [
      "not a number",
      { kind: "udp-drop", probability: "often" },
      89202,
      /probability must be a number from 0 to 1/,
    ],
    ["bool", { kind: "soa-rcode", drop: "yes" }, 89202, /soa-rcode: drop must be true or false/],
    ["rcode", { kind: "ixfr-refuse", rcode: "NOERROR" }, 89202, /rcode must be an error RCODE/],
    [
      "message",
      { kind: "tsig-bad-mac", message: 0 },
      89202,
      /message must be "last" or a message number/,
    ],
    [
      "address",
      { kind: "notify-from", source: "example.com" },
      89202,
      /source must be an IP address/,
    ],
    [
      "unknown parameter",
      { kind: "xfr-truncate", after: 3 },
      89202,
      /xfr-truncate has no parameter after \(it has after_messages\)/,
    ],
    ["parameter of a kind with none", { kind: "notify-drop", x: 1 }, 89202, /it takes none/],
    ["times 0", { kind: "notify-drop", times: 0 }, 89202, /times must be a whole number from 1/],
    ["times text", { kind: "notify-drop", times: "twice" }, 89202, /times must be a whole number/],
    [
      "peer_id not an id",
      { kind: "notify-drop", peer_id: "bind" },
      89202,
      /peer_id must be a peer's id/,
    ],
    [
      "peer_id of no peer",
      { kind: "notify-drop", peer_id: "ab".repeat(16) },
      89202,
      /is not a peer of this account/,
    ],
    [
      "source not an address",
      { kind: "latency", ms: 5, source: "localhost" },
      89202,
      /source "localhost" is not an IP address/,
    ],
    ["an array", [{ kind: "notify-drop" }], 89202, /a fault is an object/],
    ["an Object method as kind", { kind: "hasOwnProperty" }, 89201, /unknown fault kind/],
    [
      "an Object method as parameter",
      { kind: "notify-drop", toString: 1 },
      89202,
      /no parameter toString/,
    ],
  ];
  for (const [what, body, code, message] of cases)
    failed(t, await ext(app, "POST", base, body), 400, code, message, what);
  failed(t, await ext(app, "POST", base), 400, 89202, /a fault is an object/, "no body");
  failed(t, await ext(app, "POST", base, "{not json"), 400, 6007, undefined, "malformed JSON");
  t.equal(faults.size, 0, "nothing was added");

  // A peer that exists narrows the fault to it.
  const peer = transfers.createPeer({ name: "bind", ip: "127.0.0.1", port: 5301 });
  const ok = await ext(app, "POST", base, { kind: "notify-drop", peer_id: peer.id });
  t.equal(ok.body.result.peer_id, peer.id);
});

t.test("unknown zone: 7003 on every route", async (t) => {
  const { app } = setup(t);
  const none = "f".repeat(32);
  for (const [method, path] of [
    ["GET", `/zones/${none}/faults`],
    ["POST", `/zones/${none}/faults`],
    ["DELETE", `/zones/${none}/faults`],
    ["GET", `/zones/${none}/faults/${"a".repeat(32)}`],
    ["DELETE", `/zones/${none}/faults/${"a".repeat(32)}`],
  ] as const) {
    const body = method === "POST" ? { kind: "notify-drop" } : undefined;
    failed(
      t,
      await ext(app, method, path, body),
      404,
      7003,
      /Could not route to/,
      `${method} ${path}`,
    );
  }
  // A zone name where the id belongs: the hint says where the id is.
  failed(
    t,
    await ext(app, "GET", "/zones/example.com/faults"),
    404,
    7003,
    /is a zone name, not an id/,
  );
});

t.test("the kinds table: every kind with its parameters, defaults and bounds", async (t) => {
  const { app } = setup(t);
  const r = await ext(app, "GET", "/fault-kinds");
  t.equal(r.status, 200);
  const kinds = r.body.result as Array<{
    kind: string;
    doc: string;
    points: string[];
    params: Record<string, Record<string, unknown>>;
  }>;
  t.same(
    kinds.map((k) => k.kind),
    FAULT_KIND_NAMES,
    "every kind, in the table's order",
  );
  for (const k of kinds) {
    const spec = FAULT_KINDS[k.kind as keyof typeof FAULT_KINDS];
    t.equal(k.doc, spec.doc, k.kind);
    t.same(k.points, spec.points, k.kind);
    t.same(Object.keys(k.params), Object.keys(spec.params), `${k.kind}: its parameters`);
  }
  const byKind = new Map(kinds.map((k) => [k.kind, k]));
  t.same(byKind.get("latency")!.params.ms, {
    type: "int",
    required: true,
    min: 1,
    max: 600_000,
    doc: "the delay before each answer",
  });
  t.match(byKind.get("udp-drop")!.params.probability, {
    type: "number",
    required: false,
    default: 0.5,
    min: 0,
    max: 1,
  });
  t.match(byKind.get("tsig-bad-mac")!.params.message, { type: "message", default: "last" });
  t.match(byKind.get("soa-rcode")!.params.drop, { type: "bool", default: false });
  const rcode = byKind.get("ixfr-refuse")!.params.rcode as { default: string; values: string[] };
  t.equal(rcode.default, "NOTIMP");
  t.ok(rcode.values.includes("REFUSED") && !rcode.values.includes("NOERROR"));
  t.same(byKind.get("notify-drop")!.params, {}, "a kind without parameters");
  // Every default the table shows is one the store accepts.
  const faults = new Faults({ peer: () => undefined });
  for (const k of kinds) {
    const spec: Record<string, unknown> = { kind: k.kind };
    for (const [name, p] of Object.entries(k.params))
      spec[name] = !p.required ? p.default : p.type === "address" ? "127.0.0.2" : p.min;
    t.doesNotThrow(() => faults.add("example.com.", spec), `${k.kind} with the defaults shown`);
  }
});

t.test("the API token guards the fault routes", async (t) => {
  const { app, faults } = setup(t, "s3cret");
  const h = { authorization: "Bearer s3cret" };
  const id = await zoneId(app, "example.com", h);
  failed(t, await ext(app, "POST", `/zones/${id}/faults`, { kind: "notify-drop" }), 400, 9106);
  failed(
    t,
    await ext(
      app,
      "POST",
      `/zones/${id}/faults`,
      { kind: "notify-drop" },
      { authorization: "Bearer nope" },
    ),
    403,
    10000,
  );
  failed(t, await ext(app, "GET", "/fault-kinds"), 400, 9106);
  t.equal(faults.size, 0, "nothing added without the token");
  t.equal((await ext(app, "POST", `/zones/${id}/faults`, { kind: "notify-drop" }, h)).status, 200);
  t.equal(faults.size, 1);
});

t.test("the server's API shows the server's faults, declared ones included", async (t) => {
  const server = await startServer({
    zones: [{ origin: "wired.test", text: zoneText("wired.test.") }],
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: 0 },
    notify: false,
    faults: [{ zone: "wired.test", spec: { kind: "soa-rcode", rcode: 5 } }],
  });
  t.teardown(() => server.close());
  const base = `http://127.0.0.1:${server.api!.port}${EXT}`;
  const zones = (await (await fetch(`${base}/zones?name=wired.test`)).json()) as {
    result: Array<{ id: string }>;
  };
  const url = `${base}/zones/${zones.result[0]!.id}/faults`;
  const listed = (await (await fetch(url)).json()) as { result: Array<Record<string, unknown>> };
  t.match(listed.result, [
    { kind: "soa-rcode", params: { rcode: "REFUSED", drop: false }, origin: "config" },
  ]);
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ kind: "notify-drop" }),
  });
  t.equal(res.status, 200);
  t.same(
    server.faults.list("wired.test.").map((f) => f.kind),
    ["soa-rcode", "notify-drop"],
    "added to the store the DNS side reads",
  );
});
