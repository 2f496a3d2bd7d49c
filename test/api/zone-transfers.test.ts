import t from "tap";
import { ACCOUNT, call, lab, SECRET } from "./fixture.js";

const A = `/accounts/${ACCOUNT.id}/secondary_dns`;
const OTHER = "ffffffffffffffffffffffffffffffff";
const MISSING = "00000000000000000000000000000000";

t.test("TSIGs: create, list, get, replace, delete", async (t) => {
  const { app, transfers } = lab(t);
  const created = await call(app, "POST", `${A}/tsigs`, {
    name: "tsig.customer.cf.",
    algo: "hmac-sha512.",
    secret: SECRET,
  });
  t.equal(created.status, 200);
  t.same(created.body.errors, []);
  t.equal(created.body.success, true);
  const k = created.body.result;
  t.match(k.id, /^[0-9a-f]{32}$/);
  t.same(k, { id: k.id, name: "tsig.customer.cf.", algo: "hmac-sha512.", secret: SECRET });
  t.same(transfers.getTsig(k.id), k, "stored in the live store");

  const generated = await call(app, "POST", `${A}/tsigs`, { name: "gen.", algo: "hmac-sha256" });
  t.equal(generated.status, 200);
  t.equal(Buffer.from(generated.body.result.secret, "base64").length, 32, "secret generated");

  const list = await call(app, "GET", `${A}/tsigs`);
  t.equal(list.status, 200);
  t.same(
    list.body.result.map((x: { name: string }) => x.name),
    ["tsig.customer.cf.", "gen."],
  );

  t.same((await call(app, "GET", `${A}/tsigs/${k.id}`)).body.result, k);

  const put = await call(app, "PUT", `${A}/tsigs/${k.id}`, {
    name: "tsig.customer.cf.",
    algo: "hmac-sha256",
    secret: "c2Vjb25kIHNlY3JldA==",
  });
  t.equal(put.status, 200);
  t.same(put.body.result, {
    id: k.id,
    name: "tsig.customer.cf.",
    algo: "hmac-sha256.",
    secret: "c2Vjb25kIHNlY3JldA==",
  });

  const del = await call(app, "DELETE", `${A}/tsigs/${k.id}`);
  t.equal(del.status, 200);
  t.same(del.body.result, { id: k.id });
  t.equal(transfers.listTsigs().length, 1);
});

t.test("TSIG errors: validation 400 with the store's code, unknown id 404 7003", async (t) => {
  const { app } = lab(t);
  const k = (
    await call(app, "POST", `${A}/tsigs`, { name: "k1.", algo: "hmac-sha256", secret: SECRET })
  ).body.result;
  const cases: [string, "POST" | "PUT", string, unknown, number, number][] = [
    [
      "second TSIG with the same name",
      "POST",
      `${A}/tsigs`,
      { name: "K1", algo: "hmac-sha1", secret: SECRET },
      400,
      89008,
    ],
    [
      "bad algorithm",
      "POST",
      `${A}/tsigs`,
      { name: "k2.", algo: "rot13", secret: SECRET },
      400,
      89003,
    ],
    [
      "bad secret",
      "POST",
      `${A}/tsigs`,
      { name: "k2.", algo: "hmac-sha256", secret: "not base64!" },
      400,
      89004,
    ],
    [
      "bad name",
      "POST",
      `${A}/tsigs`,
      { name: "a..b", algo: "hmac-sha256", secret: SECRET },
      400,
      9000,
    ],
    ["missing name", "POST", `${A}/tsigs`, { algo: "hmac-sha256" }, 400, 89001],
    [
      "PUT without secret",
      "PUT",
      `${A}/tsigs/${k.id}`,
      { name: "k1.", algo: "hmac-sha256" },
      400,
      89001,
    ],
    [
      "PUT of an unknown id",
      "PUT",
      `${A}/tsigs/${MISSING}`,
      { name: "k9.", algo: "hmac-sha256", secret: SECRET },
      404,
      7003,
    ],
  ];
  for (const [what, method, path, body, status, code] of cases) {
    const r = await call(app, method, path, body);
    t.equal(r.status, status, what);
    t.equal(r.body.success, false, what);
    t.equal(r.body.result, null, what);
    t.equal(r.body.errors[0].code, code, what);
    t.type(r.body.errors[0].message, "string", what);
  }
  for (const method of ["GET", "DELETE"] as const) {
    const r = await call(app, method, `${A}/tsigs/${MISSING}`);
    t.equal(r.status, 404, method);
    t.equal(r.body.errors[0].code, 7003, method);
  }
  const notHex = await call(app, "GET", `${A}/tsigs/not-an-id`);
  t.equal(notHex.status, 404);
  t.equal(notHex.body.errors[0].code, 7003);

  // In use by a peer: refused with 400, the TSIG stays.
  await call(app, "POST", `${A}/peers`, { name: "p", ip: "192.0.2.1", tsig_id: k.id });
  const inUse = await call(app, "DELETE", `${A}/tsigs/${k.id}`);
  t.equal(inUse.status, 400);
  t.equal(inUse.body.errors[0].code, 89014);
  t.equal((await call(app, "GET", `${A}/tsigs/${k.id}`)).status, 200);
});

t.test("another account id routes nowhere: 404 7003 on every account route", async (t) => {
  const { app } = lab(t);
  const B = `/accounts/${OTHER}/secondary_dns`;
  const routes: ["GET" | "POST" | "PUT" | "DELETE", string, unknown?][] = [];
  for (const kind of ["tsigs", "peers", "acls"]) {
    routes.push(["GET", `${B}/${kind}`], ["POST", `${B}/${kind}`, { name: "x" }]);
    routes.push(
      ["GET", `${B}/${kind}/${MISSING}`],
      ["PUT", `${B}/${kind}/${MISSING}`, { name: "x" }],
    );
    routes.push(["DELETE", `${B}/${kind}/${MISSING}`]);
  }
  for (const [method, path, body] of routes) {
    const r = await call(app, method, path, body);
    t.equal(r.status, 404, `${method} ${path}`);
    t.same(r.body.errors, [
      {
        code: 7003,
        message: `Could not route to /client/v4${path}, perhaps your object identifier is invalid?`,
      },
    ]);
  }
});

t.test("peers: create with all fields (as Terraform sends them), update, delete", async (t) => {
  const { app, transfers } = lab(t);
  const k = (
    await call(app, "POST", `${A}/tsigs`, { name: "k.", algo: "hmac-sha256", secret: SECRET })
  ).body.result;
  const nameOnly = await call(app, "POST", `${A}/peers`, { name: "notify-only" });
  t.equal(nameOnly.status, 200);
  t.same(nameOnly.body.result, {
    id: nameOnly.body.result.id,
    name: "notify-only",
    port: 53,
    ixfr_enable: false,
  });
  const full = await call(app, "POST", `${A}/peers`, {
    name: "ns2",
    ip: "2001:DB8::0:1",
    port: 5353,
    ixfr_enable: true,
    tsig_id: k.id,
  });
  t.equal(full.status, 200);
  const p = full.body.result;
  t.same(p, {
    id: p.id,
    name: "ns2",
    ip: "2001:db8::1",
    port: 5353,
    ixfr_enable: true,
    tsig_id: k.id,
  });
  const nulls = await call(app, "POST", `${A}/peers`, {
    name: "tf",
    ip: null,
    port: null,
    ixfr_enable: null,
    tsig_id: "",
  });
  t.equal(nulls.status, 200, "null and empty count as absent");

  t.equal((await call(app, "GET", `${A}/peers`)).body.result.length, 3);
  t.same((await call(app, "GET", `${A}/peers/${p.id}`)).body.result, p);

  const put = await call(app, "PUT", `${A}/peers/${p.id}`, { name: "ns2", ip: "192.0.2.7" });
  t.equal(put.status, 200);
  t.same(put.body.result, { id: p.id, name: "ns2", ip: "192.0.2.7", port: 53, ixfr_enable: false });
  t.equal(transfers.getPeer(p.id).ip, "192.0.2.7");

  const bad: [unknown, number][] = [
    [{ name: "x", ip: "300.1.1.1" }, 89005],
    [{ name: "x", port: 70000 }, 89001],
    [{ name: "x", tsig_id: "0123456789abcdef0123456789abcdef" }, 89010],
    [{ ip: "192.0.2.1" }, 89001],
  ];
  for (const [body, code] of bad) {
    const r = await call(app, "POST", `${A}/peers`, body);
    t.equal(r.status, 400, JSON.stringify(body));
    t.equal(r.body.errors[0].code, code, JSON.stringify(body));
  }
  t.equal((await call(app, "PUT", `${A}/peers/${MISSING}`, { name: "x" })).status, 404);

  t.same((await call(app, "DELETE", `${A}/peers/${p.id}`)).body.result, { id: p.id });
  t.equal((await call(app, "GET", `${A}/peers/${p.id}`)).body.errors[0].code, 7003);
});

t.test("ACLs: create, list, get, update, delete, and their limits", async (t) => {
  const { app } = lab(t);
  const c = await call(app, "POST", `${A}/acls`, { name: "office", ip_range: "192.0.2.53/28" });
  t.equal(c.status, 200);
  const acl = c.body.result;
  t.same(acl, { id: acl.id, name: "office", ip_range: "192.0.2.48/28" });
  t.same((await call(app, "GET", `${A}/acls`)).body.result, [acl]);
  t.same((await call(app, "GET", `${A}/acls/${acl.id}`)).body.result, acl);
  const u = await call(app, "PUT", `${A}/acls/${acl.id}`, {
    name: "v6",
    ip_range: "2001:db8::/64",
  });
  t.same(u.body.result, { id: acl.id, name: "v6", ip_range: "2001:db8::/64" });
  const wide = await call(app, "POST", `${A}/acls`, { name: "wide", ip_range: "10.0.0.0/8" });
  t.equal(wide.status, 400);
  t.equal(wide.body.errors[0].code, 89007);
  const junk = await call(app, "POST", `${A}/acls`, { name: "junk", ip_range: "nope" });
  t.equal(junk.body.errors[0].code, 89006);
  t.same((await call(app, "DELETE", `${A}/acls/${acl.id}`)).body.result, { id: acl.id });
  t.equal((await call(app, "DELETE", `${A}/acls/${acl.id}`)).status, 404);
});
