/**
 * Hostile input on the REST API: the token on every route (the emulator's own extension
 * included), no stack traces or internal paths in error bodies, prototype pollution in JSON
 * refused with a 400, and very deep JSON answered with a 400 rather than a crash.
 */

import type { FastifyInstance, InjectOptions } from "fastify";
import t, { type Test } from "tap";
import { TransferActivity } from "../../src/cloudflare/transfer/activity.js";
import { ACCOUNT, BASE, lab } from "../api/fixture.js";

const TOKEN = "lab-token-0123456789";
const EXT = "/dns-primary/v1";
const TSIGS = `${BASE}/accounts/${ACCOUNT.id}/secondary_dns/tsigs`;
const PEERS = `${BASE}/accounts/${ACCOUNT.id}/secondary_dns/peers`;
const ACLS = `${BASE}/accounts/${ACCOUNT.id}/secondary_dns/acls`;

async function zoneId(app: FastifyInstance): Promise<string> {
  const res = await app.inject({
    method: "GET",
    url: `${BASE}/zones?name=example.com`,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return res.json().result[0].id;
}

/** Nothing in a body that looks like a stack frame, a source file or a node internal. */
function leaksNothing(t: Test, text: string, what: string): void {
  t.notMatch(text, /\bat .+:\d+:\d+/, `${what}: no stack frame`);
  t.notMatch(text, /\/work\/|\/src\/|\/home\/|node_modules|node:internal|\.ts\b|\.js\b/, what);
  t.notMatch(text, /"stack"/, `${what}: no stack field`);
}

t.test("with a token, every route refuses a missing or wrong credential", async (t) => {
  const { app } = lab(t, { apiToken: TOKEN });
  const id = await zoneId(app);
  const routes: Array<["GET" | "POST" | "PATCH" | "PUT" | "DELETE", string]> = [
    ["GET", `${BASE}/zones`],
    ["GET", `${BASE}/zones/${id}/dns_records`],
    ["POST", `${BASE}/zones/${id}/dns_records`],
    ["GET", TSIGS],
    ["PATCH", `${BASE}/zones/${id}/dns_settings`],
    ["GET", `${EXT}/zones`],
    ["GET", `${EXT}/zones/${id}/rendering`],
    ["GET", `${EXT}/zones/${id}/secondaries`],
    ["GET", `${EXT}/server`],
    ["GET", `${EXT}/zones/${id}/faults`],
    ["POST", `${EXT}/zones/${id}/faults`],
    ["DELETE", `${EXT}/zones/${id}/faults`],
    ["GET", `${EXT}/fault-kinds`],
    ["GET", `${EXT}/no-such-route`],
  ];
  // Each refused with Cloudflare's status and code (api/auth.ts).
  const bad: Array<[string, Record<string, string>, number, number]> = [
    ["none", {}, 400, 9106],
    ["wrong bearer", { authorization: "Bearer wrong" }, 403, 10000],
    ["token as a prefix", { authorization: `Bearer ${TOKEN}x` }, 403, 10000],
    [
      "basic auth",
      { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString("base64")}` },
      400,
      6003,
    ],
    ["key without email", { "x-auth-key": TOKEN }, 400, 6003],
    ["wrong key", { "x-auth-email": "a@b.c", "x-auth-key": "nope" }, 403, 10000],
  ];
  for (const [method, url] of routes) {
    for (const [what, headers, status, code] of bad) {
      const res = await app.inject({ method, url, headers });
      t.equal(res.statusCode, status, `${method} ${url}: ${what}`);
      t.match(res.json(), { success: false, errors: [{ code }], result: null });
    }
    const ok = await app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` } });
    t.not(ok.statusCode, 403, `${method} ${url} with the token`);
  }
  // The extension's answers need the token as much as Cloudflare's routes do.
  const good = await app.inject({
    method: "GET",
    url: `${EXT}/server`,
    headers: { "x-auth-email": "lab@example.com", "x-auth-key": TOKEN },
  });
  t.equal(good.statusCode, 200);
});

t.test("a forced internal error answers 500 with a fixed message, nothing internal", async (t) => {
  const logged: unknown[] = [];
  const logger = {
    child: () => logger,
    error: (o: unknown) => logged.push(o),
    warn() {},
    info() {},
    debug() {},
    trace() {},
    fatal() {},
    level: "info",
  } as never;
  const activity = new TransferActivity();
  // A store that fails as a bug would: with an internal path in the message and a stack.
  activity.secondaries = () => {
    throw new Error("ENOENT: /work/main/src/secret/state.ts line 42 exploded");
  };
  const { app } = lab(t, {
    logger,
    activity,
    server: () => {
      throw new TypeError("Cannot read properties of undefined (reading '/srv/internal.js')");
    },
  });
  const id = await zoneId(app);
  for (const url of [`${EXT}/server`, `${EXT}/zones/${id}/secondaries`]) {
    const res = await app.inject({ method: "GET", url });
    t.equal(res.statusCode, 500, url);
    t.same(res.json(), {
      success: false,
      errors: [{ code: 89199, message: "Internal server error" }],
      messages: [],
      result: null,
    });
    leaksNothing(t, res.body, url);
  }
  t.ok(logged.length >= 1, "the fault is logged on the server side");
});

t.test("client errors say what is wrong without leaking internals", async (t) => {
  const { app } = lab(t);
  const id = await zoneId(app);
  const cases: Array<[string, InjectOptions]> = [
    ["malformed JSON", { method: "POST", url: TSIGS, payload: "{", headers: json }],
    ["not JSON", { method: "POST", url: TSIGS, payload: "x", headers: { "content-type": "a/b" } }],
    [
      "too large",
      { method: "POST", url: TSIGS, payload: `"${"a".repeat(1_100_000)}"`, headers: json },
    ],
    ["JSON null", { method: "POST", url: TSIGS, payload: "null", headers: json }],
    ["JSON array", { method: "POST", url: PEERS, payload: "[1,2]", headers: json }],
    [
      "record of the wrong shape",
      {
        method: "POST",
        url: `${BASE}/zones/${id}/dns_records`,
        payload: '{"type":{"a":1},"name":[],"content":null}',
        headers: json,
      },
    ],
    ["bad percent-encoding", { method: "GET", url: `${BASE}/zones/%E0%A4%A` }],
    ["bad query", { method: "GET", url: `${BASE}/zones?page=%ZZ&per_page=-1` }],
  ];
  for (const [what, req] of cases) {
    const res = await app.inject(req);
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${what}: ${res.statusCode}`);
    t.match(res.json(), { success: false, result: null }, what);
    leaksNothing(t, res.body, what);
  }
});

const json = { "content-type": "application/json" };

t.test("prototype pollution in JSON bodies is refused with a 400 on every route", async (t) => {
  const { app } = lab(t);
  const id = await zoneId(app);
  const targets: Array<["POST" | "PUT" | "PATCH", string, string]> = [
    ["POST", TSIGS, '{"name":"k.","algo":"hmac-sha256","secret":"AAAA"'],
    ["POST", PEERS, '{"name":"p","ip":"192.0.2.1"'],
    ["POST", ACLS, '{"name":"a","ip_range":"192.0.2.0/24"'],
    ["POST", `${BASE}/zones/${id}/dns_records`, '{"type":"A","name":"x","content":"192.0.2.1"'],
    ["POST", `${BASE}/zones/${id}/dns_records/batch`, '{"posts":[]'],
    ["PATCH", `${BASE}/zones/${id}/dns_settings`, '{"ns_ttl":300'],
    ["PATCH", `${BASE}/zones/${id}`, '{"paused":false'],
    ["POST", `${BASE}/zones/${id}/secondary_dns/outgoing`, '{"peers":[]'],
    ["POST", `${BASE}/zones`, '{"name":"new.example","account":{"id":"x"}'],
  ];
  const poisons = [
    ',"__proto__":{"polluted":true}}',
    ',"constructor":{"prototype":{"polluted":true}}}',
    ',"nested":{"deeper":[{"__proto__":{"polluted":true}}]}}',
    ',"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":true}}',
  ];
  for (const [method, url, start] of targets) {
    for (const poison of poisons) {
      const res = await app.inject({ method, url, payload: start + poison, headers: json });
      t.equal(res.statusCode, 400, `${method} ${url} ${poison}`);
      t.match(res.json(), { success: false, result: null });
      leaksNothing(t, res.body, url);
    }
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, "Object.prototype untouched");
  const tsigs = await app.inject({ method: "GET", url: TSIGS });
  t.same(tsigs.json().result, [], "nothing was created");
});

t.test("very deep JSON nesting is a 400, and the server goes on", async (t) => {
  const { app } = lab(t);
  const id = await zoneId(app);
  const depth = 150_000;
  const bodies = [
    ["arrays", "[".repeat(depth) + "]".repeat(depth)],
    ["objects", `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`],
    [
      "objects with a constructor key",
      `{"constructor":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`,
    ],
    [
      "a record's data",
      `{"type":"CAA","name":"x","data":${"[".repeat(depth)}${"]".repeat(depth)}}`,
    ],
    ["unbalanced", "[".repeat(depth)],
  ];
  const urls = [TSIGS, `${BASE}/zones/${id}/dns_records`, `${BASE}/zones/${id}/dns_records/batch`];
  for (const url of urls) {
    for (const [what, payload] of bodies) {
      const res = await app.inject({ method: "POST", url, payload, headers: json });
      t.equal(res.statusCode, 400, `${url}: ${what}`);
      leaksNothing(t, res.body, what);
    }
  }
  // Moderately deep but well-formed input reaches the route's validation (400 there too).
  const moderate = `{"name":"k.","algo":"hmac-sha256","secret":${"[".repeat(500)}${"]".repeat(500)}}`;
  const res = await app.inject({ method: "POST", url: TSIGS, payload: moderate, headers: json });
  t.equal(res.statusCode, 400);
  const after = await app.inject({ method: "GET", url: `${BASE}/zones` });
  t.equal(after.statusCode, 200, "still serving");
});
