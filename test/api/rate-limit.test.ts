/**
 * Cloudflare's API rate limit, emulated on request: the budget per credential, the block that
 * follows, Cloudflare's 429 body and headers, what is not limited, and the official SDK
 * waiting out Retry-After and succeeding.
 */

import Cloudflare from "cloudflare";
import t from "tap";
import { RateLimiter } from "../../src/api/rate-limit.js";
import { listenApi } from "../../src/api/server.js";
import { parseRateLimit } from "../../src/transport/limits.js";
import { ACCOUNT, call, lab } from "./fixture.js";

t.test("parseRateLimit: N/SECONDS or the object, in range", async (t) => {
  t.same(parseRateLimit("1200/300"), { requests: 1200, seconds: 300 });
  t.same(parseRateLimit(" 5 / 1 "), { requests: 5, seconds: 1 });
  t.same(parseRateLimit({ requests: 3, seconds: 60 }), { requests: 3, seconds: 60 });
  for (const bad of ["1200", "0/300", "5/0", "5/86401", "a/b", "-1/5", "1.5/3", ""])
    t.throws(() => parseRateLimit(bad), RangeError, bad);
  t.throws(() => parseRateLimit({ requests: 0, seconds: 1 }), RangeError);
});

t.test("RateLimiter: N per window, then blocked for a whole window", async (t) => {
  let now = 0;
  const l = new RateLimiter({ requests: 3, seconds: 10 }, () => now);
  t.match(l.take("a"), { allowed: true, remaining: 2, reset: 10 });
  now = 4000;
  t.match(l.take("a"), { allowed: true, remaining: 1, reset: 6 });
  t.match(l.take("a"), { allowed: true, remaining: 0, reset: 6 });
  t.match(l.take("b"), { allowed: true, remaining: 2 }, "another user has a budget of its own");
  now = 5000;
  t.match(l.take("a"), { allowed: false, remaining: 0, reset: 10 }, "past N: blocked");
  now = 14_000;
  t.match(l.take("a"), { allowed: false, reset: 1 }, "the block lasts a whole window");
  now = 15_000;
  t.match(l.take("a"), { allowed: true, remaining: 2 }, "then a new window");
});

t.test("the API: headers on every answer, 429 as Cloudflare's past the budget", async (t) => {
  const l = lab(t, { rateLimit: { requests: 2, seconds: 60 } });
  const bearer = { authorization: "Bearer one" };
  const a = await call(l.app, "GET", "/zones", undefined, bearer);
  t.equal(a.status, 200);
  t.equal(a.headers.ratelimit, '"default";r=1;t=60');
  t.equal(a.headers["ratelimit-policy"], '"default";q=2;w=60');
  t.equal(a.headers["retry-after"], undefined);
  t.equal((await call(l.app, "GET", "/zones", undefined, bearer)).status, 200);
  const refused = await call(
    l.app,
    "PATCH",
    `/accounts/${ACCOUNT.id}/dns_settings`,
    {
      enforce_dns_only: true,
    },
    bearer,
  );
  t.equal(refused.status, 429);
  t.same(refused.body, {
    success: false,
    errors: [{ code: 971, message: "Please wait and consider throttling your request speed" }],
    messages: [],
    result: null,
  });
  t.equal(refused.headers["retry-after"], "60");
  t.equal(refused.headers.ratelimit, '"default";r=0;t=60');
  t.equal(l.zones.accountSettings().enforce_dns_only, false, "a refused request does nothing");
  const other = await call(l.app, "GET", "/zones", undefined, { authorization: "Bearer two" });
  t.equal(other.status, 200, "another credential is another user");
  const ext = await l.app.inject({ method: "GET", url: "/dns-primary/v1/zones", headers: bearer });
  t.equal(ext.statusCode, 200, "the emulator's own routes are not limited");
  t.equal(ext.headers.ratelimit, undefined);
});

t.test("no limit unless asked for", async (t) => {
  const l = lab(t);
  for (let i = 0; i < 50; i++) t.equal((await call(l.app, "GET", "/zones")).status, 200);
  t.equal((await call(l.app, "GET", "/zones")).headers.ratelimit, undefined);
});

t.test("the official SDK waits out Retry-After and its call succeeds", async (t) => {
  const l = lab(t, { rateLimit: { requests: 2, seconds: 1 } });
  const statuses: number[] = [];
  l.app.addHook("onResponse", async (_req, reply) => {
    statuses.push(reply.statusCode);
  });
  const { port } = await listenApi(l.app, { host: "127.0.0.1", port: 0 });
  const client = new Cloudflare({ apiToken: "sdk", baseURL: `http://127.0.0.1:${port}/client/v4` });
  const account_id = ACCOUNT.id;
  const t0 = Date.now();
  for (let i = 0; i < 3; i++) {
    const s = await client.dns.settings.account.get({ account_id });
    t.equal(s.enforce_dns_only, false, `call ${i + 1} answered`);
  }
  t.same(statuses, [200, 200, 429, 200], "the third was refused once, then retried");
  t.ok(Date.now() - t0 >= 900, "after waiting the second Retry-After asked for");
});

t.test("one credential is one user, however its headers are spelt", async (t) => {
  const l = lab(t, { apiToken: "tok", rateLimit: { requests: 1, seconds: 300 } });
  const statuses: number[] = [];
  const spellings: Record<string, string>[] = [
    { authorization: "Bearer tok" },
    { authorization: "bearer tok" },
    { authorization: "Bearer  tok " },
    { "x-auth-email": "a@example.com", "x-auth-key": "tok" },
    { "x-auth-email": "b@example.com", "x-auth-key": "tok" },
  ];
  for (const headers of spellings)
    statuses.push((await call(l.app, "GET", "/zones", undefined, headers)).status);
  t.same(statuses, [200, 429, 429, 429, 429]);
});
