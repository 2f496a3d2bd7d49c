import t from "tap";
import { envelope, failure, ok } from "../../src/api/envelope.js";
import { toErrorReply } from "../../src/api/errors.js";
import { ApiListenError, ApiOptionsError, createApi, listenApi } from "../../src/api/server.js";
import { defaultAccount } from "../../src/cloudflare/account.js";
import { API_ERRORS, ApiError } from "../../src/cloudflare/errors.js";
import { CloudflareZones } from "../../src/cloudflare/rules/zones.js";
import {
  derivedId,
  SETTINGS_ERRORS,
  TransferSettings,
} from "../../src/cloudflare/transfer/settings.js";
import { ZoneSet } from "../../src/zone/zoneset.js";
import { ACCOUNT, BASE, call, lab, SECRET } from "./fixture.js";

const TSIGS = `/accounts/${ACCOUNT.id}/secondary_dns/tsigs`;

t.test("envelope: one shape for success and failure", async (t) => {
  t.same(ok([1]), { success: true, errors: [], messages: [], result: [1] });
  t.same(ok("OK", { page: 1, per_page: 5, count: 1, total_count: 1, total_pages: 1 }), {
    success: true,
    errors: [],
    messages: [],
    result: "OK",
    result_info: { page: 1, per_page: 5, count: 1, total_count: 1, total_pages: 1 },
  });
  t.same(failure([{ code: 7000, message: "x" }]), {
    success: false,
    errors: [{ code: 7000, message: "x" }],
    messages: [],
    result: null,
  });
  t.equal(envelope().result, null);
});

t.test("error table: unique codes, Cloudflare's numbers where known", async (t) => {
  t.equal(API_ERRORS.AUTHENTICATION.code, 10000);
  t.equal(API_ERRORS.AUTHENTICATION.status, 403);
  t.equal(API_ERRORS.NO_ROUTE.code, 7000);
  t.equal(API_ERRORS.NOT_FOUND.code, SETTINGS_ERRORS.NOT_FOUND.code);
  const all = [
    ...Object.values(API_ERRORS).map((e) => e.code),
    ...Object.values(SETTINGS_ERRORS)
      .map((e) => e.code)
      // 7003 and 9000 mean the same in both tables (an unknown id, an invalid name).
      .filter((c) => c !== 7003 && c !== 9000),
  ];
  t.equal(new Set(all).size, all.length);
  for (const [name, e] of Object.entries(API_ERRORS)) t.not(e.status, 409, name);
  const internal = toErrorReply(new Error("/secret/path/file.ts exploded"));
  t.equal(internal.status, 500);
  t.ok(internal.internal);
  t.notMatch(internal.error.message, /secret|path/);
  const known = toErrorReply(new ApiError("INVALID_QUERY", "bad"));
  t.same(known, { status: 400, error: { code: 89102, message: "bad" }, internal: false });
});

t.test("options are checked once", async (t) => {
  t.same(defaultAccount(), { id: derivedId("account", "dns-primary"), name: "dns-primary" });
  t.match(defaultAccount("Lab").id, /^[0-9a-f]{32}$/);
  const base = { transfers: new TransferSettings(), zones: new CloudflareZones(new ZoneSet()) };
  t.throws(() => createApi({ ...base, account: { id: "ABC", name: "x" } }), ApiOptionsError);
  t.throws(() => createApi({ ...base, account: ACCOUNT, bodyLimit: 0 }), ApiOptionsError);
});

t.test("unknown routes: 404 with code 7000, in the envelope", async (t) => {
  const { app } = lab(t);
  for (const [method, path] of [
    ["GET", "/nothing/here"],
    ["PATCH", "/zones"],
    ["GET", `/accounts/${ACCOUNT.id}/secondary_dns/nothing`],
    ["POST", `/accounts/${ACCOUNT.id}`],
  ] as const) {
    const r = await call(app, method, path);
    t.equal(r.status, 404, `${method} ${path}`);
    t.same(r.body, {
      success: false,
      errors: [{ code: 7000, message: "No route for that URI" }],
      messages: [],
      result: null,
    });
  }
  const outside = await app.inject({ method: "GET", url: "/accounts" });
  t.equal(outside.statusCode, 404, "routes live under /client/v4 only");
  t.equal(outside.json().errors[0].code, 7000);
});

t.test(
  "auth with a token: Bearer or X-Auth-Email + X-Auth-Key, refused as Cloudflare refuses",
  async (t) => {
    const { app } = lab(t, { apiToken: "s3cret-token" });
    const refused = async (
      headers: Record<string, string>,
      status: number,
      error: Record<string, unknown>,
      what: string,
    ) => {
      const r = await call(app, "GET", "/accounts", undefined, headers);
      t.equal(r.status, status, what);
      t.same(r.body, { success: false, errors: [error], messages: [], result: null }, what);
    };
    const wrong = { code: 10000, message: "Authentication error" };
    const headers = (code: number, message: string) => ({
      code: 6003,
      message: "Invalid request headers",
      error_chain: [{ code, message }],
    });
    await refused(
      {},
      400,
      { code: 9106, message: "Missing X-Auth-Key, X-Auth-Email or Authorization headers" },
      "no credentials",
    );
    await refused({ authorization: "Bearer wrong" }, 403, wrong, "wrong token");
    await refused({ authorization: "Bearer s3cret-token-and-more" }, 403, wrong, "longer token");
    const format = headers(6111, "Invalid format for Authorization header");
    await refused({ authorization: "Basic czNjcmV0LXRva2Vu" }, 400, format, "another scheme");
    await refused({ authorization: "Bearer " }, 400, format, "empty token");
    // A global API key needs both headers; the one missing is named.
    await refused(
      { "x-auth-key": "s3cret-token" },
      400,
      headers(6100, "Missing X-Auth-Email header"),
      "key without email",
    );
    await refused(
      { "x-auth-email": "a@example.com" },
      400,
      headers(6101, "Missing X-Auth-Key header"),
      "email without key",
    );
    await refused(
      { "x-auth-email": "a@example.com", "x-auth-key": "nope" },
      403,
      wrong,
      "wrong key",
    );
    await refused(
      {
        authorization: "Bearer wrong",
        "x-auth-email": "a@example.com",
        "x-auth-key": "s3cret-token",
      },
      403,
      wrong,
      "a wrong bearer is not rescued by a right key",
    );
    // Refused before routing: even an unknown route says 400/403.
    t.equal((await call(app, "GET", "/nothing")).status, 400);
    t.equal(
      (await call(app, "GET", "/nothing", undefined, { authorization: "Bearer x" })).status,
      403,
    );
    // And before the body is read.
    t.equal((await call(app, "POST", TSIGS, { name: "k." })).status, 400);

    const bearer = await call(app, "GET", "/accounts", undefined, {
      authorization: "Bearer s3cret-token",
    });
    t.equal(bearer.status, 200);
    t.equal(bearer.body.success, true);
    const lower = await call(app, "GET", "/accounts", undefined, {
      authorization: "bearer s3cret-token",
    });
    t.equal(lower.status, 200, "the scheme is case-insensitive (RFC 9110 §11.1)");
    const legacy = await call(app, "GET", "/accounts", undefined, {
      "x-auth-email": "admin@example.com",
      "x-auth-key": "s3cret-token",
    });
    t.equal(legacy.status, 200);
  },
);

t.test("auth without a token: any credential, or none", async (t) => {
  const { app } = lab(t);
  const variants: Record<string, string>[] = [
    {},
    { authorization: "Bearer anything" },
    { "x-auth-email": "a@example.com", "x-auth-key": "k" },
    { authorization: "Basic Zm9vOmJhcg==" },
  ];
  for (const headers of variants) {
    t.equal((await call(app, "GET", "/accounts", undefined, headers)).status, 200);
  }
});

t.test("bodies: malformed JSON, poisoning, wrong type, too large → clean 400/413", async (t) => {
  const { app, transfers } = lab(t, { bodyLimit: 2048 });
  const post = async (payload: string, contentType?: string) => {
    const res = await app.inject({
      method: "POST",
      url: `${BASE}${TSIGS}`,
      headers: contentType === undefined ? {} : { "content-type": contentType },
      payload,
    });
    const body = res.json();
    t.notMatch(res.body, /at .*\.(js|ts)|node_modules|\/work\//, "no stack, no paths");
    return { status: res.statusCode, body };
  };
  const expect = async (
    r: Promise<{ status: number; body: { success: boolean; errors: { code: number }[] } }>,
    status: number,
    code: number,
    what: string,
  ) => {
    const { status: s, body } = await r;
    t.equal(s, status, what);
    t.equal(body.success, false, what);
    t.equal(body.errors[0]?.code, code, what);
  };
  await expect(post("{not json", "application/json"), 400, 6007, "malformed");
  await expect(post('{"name": "k.",', "application/json"), 400, 6007, "truncated");
  await expect(
    post('{"name":"k.","algo":"hmac-sha256","__proto__":{"admin":true}}', "application/json"),
    400,
    6007,
    "__proto__ key",
  );
  await expect(
    post('{"name":"k.","constructor":{"prototype":{"admin":true}}}', "application/json"),
    400,
    6007,
    "constructor.prototype",
  );
  t.equal(({} as Record<string, unknown>).admin, undefined, "no prototype was touched");
  await expect(post('{"name":"k."}', "text/plain"), 400, 9207, "text/plain");
  await expect(post("name=k.", "application/x-www-form-urlencoded"), 400, 9207, "form");
  await expect(
    post(
      JSON.stringify({ name: "k.", algo: "hmac-sha256", secret: "A".repeat(4000) }),
      "application/json",
    ),
    413,
    89101,
    "over the body limit",
  );
  await expect(post("[1,2]", "application/json"), 400, 89001, "not an object");
  await expect(post("", "application/json"), 400, 89001, "an empty JSON body is no body");
  t.equal(transfers.listTsigs().length, 0, "nothing was created");

  const good = await post(
    JSON.stringify({ name: "k.", algo: "hmac-sha256", secret: SECRET }),
    "application/json; charset=utf-8",
  );
  t.equal(good.status, 200, "charset parameter accepted");
});

t.test("the default body limit is 1 MiB", async (t) => {
  const { app } = lab(t);
  const big = JSON.stringify({ name: "k.", algo: "hmac-sha256", pad: "x".repeat(1024 * 1024) });
  const res = await app.inject({
    method: "POST",
    url: `${BASE}${TSIGS}`,
    headers: { "content-type": "application/json" },
    payload: big,
  });
  t.equal(res.statusCode, 413);
  t.equal(res.json().errors[0].code, 89101);
  const under = await app.inject({
    method: "POST",
    url: `${BASE}${TSIGS}`,
    headers: { "content-type": "application/json" },
    payload: JSON.stringify({ name: "k.", algo: "hmac-sha256", pad: "x".repeat(1000 * 1000) }),
  });
  t.equal(under.statusCode, 200);
});

t.test("a server fault is a 500 in the envelope, logged, without details", async (t) => {
  const transfers = new TransferSettings();
  transfers.listTsigs = () => {
    throw new Error("boom at /internal/file.ts:12");
  };
  const logged: unknown[] = [];
  const { default: pino } = await import("pino");
  const logger = pino(
    { level: "error" },
    {
      write: (line: string) => {
        logged.push(JSON.parse(line));
      },
    },
  );
  const { app } = lab(t, { transfers, logger });
  const r = await call(app, "GET", TSIGS);
  t.equal(r.status, 500);
  t.same(r.body.errors, [{ code: 89199, message: "Internal server error" }]);
  t.equal(logged.length, 1);
  t.match(logged[0], { msg: "api fault", component: "api" });
});

t.test("listenApi: 127.0.0.1, port 0 by default", async (t) => {
  const { app } = lab(t);
  const addr = await listenApi(app);
  t.equal(addr.address, "127.0.0.1");
  t.ok(addr.port > 0);
  const res = await fetch(`http://127.0.0.1:${addr.port}${BASE}/accounts`);
  t.equal(res.status, 200);
  t.equal(((await res.json()) as { success: boolean }).success, true);
});

t.test("listenApi: a taken port is an ApiListenError naming the address", async (t) => {
  const first = lab(t).app;
  const { port } = await listenApi(first);
  const second = lab(t).app;
  await t.rejects(listenApi(second, { port }), {
    name: "ApiListenError",
    code: "EADDRINUSE",
    message: `API port 127.0.0.1:${port} is already in use`,
  });
  t.ok(ApiListenError);
});
