/**
 * The dashboard's files as the API process serves them, without a browser: at `/` and under
 * `/dashboard/`, without credentials even when a token is required (the data calls carry
 * it), with a self-only Content-Security-Policy, and with no address outside the page's own
 * origin in any of them (no CDN fonts or scripts). Also the extension route the dashboard's
 * configuration panel reads: `GET /dns-primary/v1/zones/{id}/secondary-config`.
 */

import { readdirSync } from "node:fs";
import t from "tap";
import { assetsDir } from "../../src/dashboard/serve.js";
import { secondaryConfig } from "../../src/secondaries/config.js";
import { call, lab, SECRET } from "../api/fixture.js";

const TOKEN = "assets-token";

t.test("the assets are served without credentials, the data is not", async (t) => {
  const { app } = lab(t, { apiToken: TOKEN });
  const page = await app.inject({ method: "GET", url: "/" });
  t.equal(page.statusCode, 200);
  t.match(page.headers["content-type"], /^text\/html/);
  t.match(page.headers["content-security-policy"], /default-src 'none'/);
  t.match(page.headers["content-security-policy"], /connect-src 'self'/);
  t.notMatch(page.headers["content-security-policy"], /https?:/, "the policy names no host");
  t.match(page.body, /<script type="module" src="\/dashboard\/app\.js">/);
  const data = await app.inject({ method: "GET", url: "/client/v4/accounts" });
  t.equal(data.statusCode, 400, "the API itself still wants the token");
  t.equal(data.json().errors[0].code, 9106);
  const post = await app.inject({ method: "POST", url: "/dashboard/app.js" });
  t.equal(post.statusCode, 400, "only GET and HEAD pass without credentials");
  t.equal(post.json().errors[0].code, 9106);
  const unknown = await app.inject({ method: "GET", url: "/dashboard/nope.js" });
  t.equal(unknown.statusCode, 404);
  const outside = await app.inject({ method: "GET", url: "/dashboard/..%2f..%2fserve.ts" });
  t.equal(outside.statusCode, 404, "only the listed files are reachable");
});

t.test("no file refers to anything outside the page's own origin", async (t) => {
  const { app } = lab(t, { apiToken: TOKEN });
  const dir = assetsDir();
  t.ok(dir, "the assets folder is found");
  const names = readdirSync(dir!);
  t.ok(names.includes("index.html") && names.includes("app.js") && names.includes("style.css"));
  const served = new Map<string, string>();
  for (const name of names) {
    const url = name === "index.html" ? "/" : `/dashboard/${name}`;
    const res = await app.inject({ method: "GET", url });
    t.equal(res.statusCode, 200, `${url} is served`);
    served.set(url, res.body);
  }
  // Every module the page imports, and the stylesheet, is one of the served files.
  for (const [url, body] of served) {
    for (const m of body.matchAll(/(?:from|import)\s*"(\.\/[^"]+)"/g)) {
      t.ok(served.has(`/dashboard/${m[1].slice(2)}`), `${url} imports ${m[1]}, which is served`);
    }
    for (const m of body.matchAll(/(?:src|href)="([^"#]+)"/g)) {
      t.ok(m[1] === "data:," || served.has(m[1]), `${url} loads ${m[1]}, which is served`);
    }
    t.notMatch(body, /https?:\/\//i, `${url}: no http:// or https:// address`);
    t.notMatch(body, /\/\/[a-z0-9.-]+\.[a-z]{2,}\//i, `${url}: no protocol-relative address`);
    t.notMatch(body, /@import|url\((?!data:)/i, `${url}: no CSS import or url()`);
  }
});

t.test("secondary-config: the CLI's snippet from the live facts", async (t) => {
  const server = () => ({
    dns: { host: "192.0.2.10", port: 5300 },
    notify_source: { host: "192.0.2.11", port: 0 },
  });
  const { app, transfers } = lab(t, { server });
  const zoneId = (await call(app, "GET", "/zones?name=example.com")).body.result[0].id;
  const url = (q: string) => `/dns-primary/v1/zones/${zoneId}/secondary-config${q}`;
  const get = (q: string) => app.inject({ method: "GET", url: url(q) });

  const none = await get("?for=bind");
  t.equal(none.statusCode, 404, "no outgoing configuration yet");
  t.equal(none.json().errors[0].code, 7003);

  const tsig = transfers.createTsig({ name: "xfr.", algo: "hmac-sha256", secret: SECRET });
  const a = transfers.createPeer({ name: "a", ip: "192.0.2.1", tsig_id: tsig.id });
  const b = transfers.createPeer({ name: "b", ip: "192.0.2.2", tsig_id: tsig.id });
  transfers.createOutgoing("example.com.", { peers: [a.id, b.id] });

  const which = await get("?for=bind");
  t.equal(which.statusCode, 400, "two peers: which one");
  t.equal(which.json().errors[0].code, 89102);
  t.match(which.json().errors[0].message, /a, b/);
  const bad = await get("?for=unbound&peer=a");
  t.equal(bad.statusCode, 400);
  t.match(bad.json().errors[0].message, /bind, knot, nsd, powerdns/);
  const unknown = await get("?for=bind&peer=c");
  t.equal(unknown.statusCode, 400);
  t.match(unknown.json().errors[0].message, /no peer named "c"/);

  for (const kind of ["bind", "knot", "nsd", "powerdns"] as const) {
    const res = await get(`?for=${kind}&peer=b`);
    t.equal(res.statusCode, 200, kind);
    t.same(res.json().result, {
      for: kind,
      zone: "example.com",
      peer: "b",
      config: secondaryConfig(kind, {
        zone: "example.com.",
        primary: { host: "192.0.2.10", port: 5300 },
        notifyFrom: "192.0.2.11",
        key: { name: "xfr.", algorithm: "hmac-sha256.", secret: SECRET },
        peerName: "b",
        source: "192.0.2.2",
      }),
    });
  }
});
