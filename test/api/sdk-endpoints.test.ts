/**
 * Every endpoint the installed official SDK calls under its `dns` and `zones` resources,
 * read from the SDK's own files, is routed here: it answers as Cloudflare does (2xx, or an
 * error of the request such as 7003 for an unknown record id), or 403/89106 for what
 * dns-primary does not emulate (routes/not-emulated.ts), and never 7000 (no such route) nor
 * a 5xx, which the SDK would retry. A new SDK that calls a new endpoint fails here until the
 * endpoint is routed and listed in docs/api.md.
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import t from "tap";
import { zoneId } from "../../src/cloudflare/transfer/settings.js";
import { ACCOUNT, call, lab } from "./fixture.js";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** The SDK's CommonJS files below `dir`. */
function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return jsFiles(p);
    return f.endsWith(".js") ? [p] : [];
  });
}

/** `this._client.get(path\`/zones/${zone_id}/...\`, ...)`: method and path of each call. */
function sdkEndpoints(): Array<{ method: Method; path: string; file: string }> {
  const root = path.dirname(createRequire(import.meta.url).resolve("cloudflare"));
  const out: Array<{ method: Method; path: string; file: string }> = [];
  for (const resource of ["dns", "zones"]) {
    for (const file of jsFiles(path.join(root, "resources", resource))) {
      const text = readFileSync(file, "utf8");
      const re =
        /this\._client\.(get|post|put|patch|delete|getAPIList)\(\(0, path_\d+\.path\) `([^`]+)`/g;
      for (const m of text.matchAll(re)) {
        // getAPIList is a GET unless its options say otherwise (custom_ns's update is a PUT).
        const after = text.slice(m.index!, m.index! + 400);
        const explicit = /method: '(\w+)'/.exec(after)?.[1];
        const verb = m[1] === "getAPIList" ? (explicit ?? "get") : m[1];
        out.push({
          method: verb.toUpperCase() as Method,
          path: m[2],
          file: path.relative(root, file),
        });
      }
    }
  }
  return out;
}

t.test("every dns and zones endpoint of the official SDK is routed", async (t) => {
  const endpoints = sdkEndpoints();
  t.ok(endpoints.length >= 90, `the SDK's endpoints were found (${endpoints.length})`);
  const l = lab(t);
  const zone = zoneId("example.org.");
  const other = "0123456789abcdef0123456789abcdef";
  const seen = new Set<string>();
  const notEmulated: string[] = [];
  for (const e of endpoints) {
    const p = e.path
      .replace(/\$\{zone_id\}/g, zone)
      .replace(/\$\{account_id\}/g, ACCOUNT.id)
      .replace(/\$\{settingID\}/g, "always_use_https")
      .replace(/\$\{[A-Za-z_]+\}/g, other);
    const key = `${e.method} ${e.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // DELETE /zones/{id} would take the zone away from the calls after it.
    if (e.method === "DELETE" && e.path === "/zones/${zone_id}") continue;
    const body = e.method === "GET" || e.method === "DELETE" ? undefined : "{}";
    const res = await l.app.inject({
      method: e.method,
      url: `/client/v4${p}`,
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, payload: body }),
    });
    const json = /json/.test(String(res.headers["content-type"])) ? res.json() : undefined;
    const code = json?.errors?.[0]?.code;
    t.not(code, 7000, `${key}: routed (${e.file})`);
    t.ok(res.statusCode < 500, `${key}: no server error (${res.statusCode})`);
    if (code === 89106) notEmulated.push(key);
  }
  t.ok(notEmulated.length > 0, "some are answered as not emulated");
  t.comment(`not emulated: ${notEmulated.length} of ${seen.size}`);
  t.ok(
    !notEmulated.some((k) => /outgoing|dns_records(\/\$\{dnsRecordID\})?$|dns_settings$/.test(k)),
    "what the setup guide uses is emulated",
  );
});

t.test("a not-emulated endpoint: 403/89106 naming it, after the zone's own check", async (t) => {
  const l = lab(t);
  const r = await call(l.app, "GET", `/zones/${zoneId("example.com.")}/dns_analytics/report`);
  t.equal(r.status, 403);
  t.same(r.body.errors, [{ code: 89106, message: "DNS analytics: not emulated by dns-primary" }]);
  const missing = await call(
    l.app,
    "GET",
    "/zones/00000000000000000000000000000000/dns_analytics/report",
  );
  t.equal(missing.status, 404);
  t.equal(missing.body.errors[0].code, 7003);
  const views = await call(
    l.app,
    "GET",
    "/accounts/ffffffffffffffffffffffffffffffff/dns_settings/views",
  );
  t.equal(views.body.errors[0].code, 7003, "another account routes nowhere first");
});
