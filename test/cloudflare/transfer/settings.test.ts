import t, { type Test } from "tap";
import {
  derivedId,
  type Peer,
  SETTINGS_ERRORS,
  type SettingsChange,
  SettingsError,
  type SettingsErrorName,
  TransferSettings,
  zoneId,
} from "../../../src/cloudflare/transfer/settings.js";

const SECRET = "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=";
const T0 = new Date("2024-05-01T12:00:00.000Z");

function store(): { s: TransferSettings; clock: { t: Date } } {
  const clock = { t: T0 };
  let n = 0;
  // Deterministic "random" bytes: a counter in every byte.
  const randomBytes = (size: number) => Buffer.alloc(size, ++n);
  return { s: new TransferSettings({ now: () => clock.t, randomBytes }), clock };
}

/** Every error kind some test provoked; the last test checks none is left out. */
const provoked = new Set<SettingsErrorName>();

/** The SettingsError `fn` throws, checked for kind, code, HTTP status and path. */
function fails(
  t: Test,
  fn: () => unknown,
  kind: SettingsErrorName,
  path: string | undefined,
  message: RegExp,
): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof SettingsError)) {
    t.fail(`expected a SettingsError ${kind}, got ${String(err)}`);
    return;
  }
  provoked.add(err.kind);
  t.equal(err.kind, kind, `kind of "${err.message}"`);
  t.equal(err.code, SETTINGS_ERRORS[kind].code);
  t.equal(err.status, SETTINGS_ERRORS[kind].status);
  t.equal(err.path, path, `path of "${err.message}"`);
  t.match(err.message, message);
}

t.test("error codes: Cloudflare's where known, unique, 404 only for not found", async (t) => {
  t.equal(SETTINGS_ERRORS.NOT_FOUND.code, 7003);
  t.equal(SETTINGS_ERRORS.INVALID_NAME.code, 9000);
  const codes = Object.values(SETTINGS_ERRORS).map((e) => e.code);
  t.equal(new Set(codes).size, codes.length);
  for (const [name, e] of Object.entries(SETTINGS_ERRORS)) {
    t.equal(e.status, name === "NOT_FOUND" ? 404 : 400, name);
  }
});

t.test("TSIG create: canonical name and algorithm, secret kept or generated", async (t) => {
  const { s } = store();
  const k = s.createTsig({ name: "Sec1.Example", algo: "HMAC-SHA256", secret: SECRET });
  t.match(k.id, /^[0-9a-f]{32}$/);
  t.same(k, { id: k.id, name: "Sec1.Example.", algo: "hmac-sha256.", secret: SECRET });
  t.ok(Object.isFrozen(k));
  t.equal(s.getTsig(k.id), k);

  const algos: [string, string, number][] = [
    ["hmac-md5", "hmac-md5.sig-alg.reg.int.", 16],
    ["hmac-md5.sig-alg.reg.int", "hmac-md5.sig-alg.reg.int.", 16],
    ["hmac-sha1.", "hmac-sha1.", 20],
    ["hmac-sha224", "hmac-sha224.", 28],
    ["hmac-sha256", "hmac-sha256.", 32],
    ["hmac-sha384", "hmac-sha384.", 48],
    ["hmac-sha512.", "hmac-sha512.", 64],
  ];
  for (const [i, [given, algo, size]] of algos.entries()) {
    const g = s.createTsig({ name: `gen${i}.`, algo: given });
    t.equal(g.algo, algo, given);
    // Setup guide step 1: a secret left blank is generated, as long as the hash.
    t.equal(Buffer.from(g.secret, "base64").length, size, `${given} secret length`);
  }
  t.equal(s.createTsig({ name: "empty.", algo: "hmac-sha1", secret: "" }).secret.length, 28);
  t.equal(s.createTsig({ name: "nul.", algo: "hmac-sha1", secret: null }).secret.length, 28);
  t.equal(s.listTsigs().length, 10);
  t.equal(s.createTsig({ name: "short.", algo: "hmac-sha1", secret: "YWI=" }).secret, "YWI=");
});

t.test("TSIG validation errors", async (t) => {
  const { s } = store();
  const ok = { name: "k.", algo: "hmac-sha256", secret: SECRET };
  fails(
    t,
    () => s.createTsig({ ...ok, name: "" }),
    "INVALID_FIELD",
    "name",
    /TSIG name is required/,
  );
  fails(
    t,
    () => s.createTsig({ ...ok, name: 5 as unknown as string }),
    "INVALID_FIELD",
    "name",
    /TSIG name must be a string, not 5/,
  );
  fails(t, () => s.createTsig({ ...ok, name: "a..b" }), "INVALID_NAME", "name", /empty label/);
  fails(
    t,
    () => s.createTsig({ ...ok, name: `${"x".repeat(64)}.` }),
    "INVALID_NAME",
    "name",
    /longer than 63/,
  );
  fails(t, () => s.createTsig({ ...ok, name: "." }), "INVALID_NAME", "name", /root/);
  fails(
    t,
    () => s.createTsig({ ...ok, algo: "" }),
    "INVALID_FIELD",
    "algo",
    /algorithm is required/,
  );
  fails(
    t,
    () => s.createTsig({ ...ok, algo: "hmac-sha3" }),
    "INVALID_ALGORITHM",
    "algo",
    /"hmac-sha3" is not a TSIG algorithm; use one of hmac-md5.sig-alg.reg.int., hmac-sha1.,/,
  );
  fails(t, () => s.createTsig({ ...ok, algo: "gss-tsig" }), "INVALID_ALGORITHM", "algo", /gss/);
  for (const bad of ["not base64!", "abcde", "a", "YWI", "YW Jj", "YWJj===", "YQ=a", "YWJj\n"]) {
    fails(t, () => s.createTsig({ ...ok, secret: bad }), "INVALID_SECRET", "secret", /base64/);
  }
  fails(
    t,
    () => s.createTsig({ ...ok, secret: 7 as unknown as string }),
    "INVALID_FIELD",
    "secret",
    /secret must be a string/,
  );
  fails(t, () => s.createTsig(null as unknown as never), "INVALID_FIELD", undefined, /object/);
  t.equal(s.listTsigs().length, 0, "nothing stored by failed creates");
});

t.test("TSIG names are unique, case-insensitively, trailing dot optional", async (t) => {
  const { s } = store();
  const a = s.createTsig({ name: "key.example.", algo: "hmac-sha256", secret: SECRET });
  fails(
    t,
    () => s.createTsig({ name: "KEY.example", algo: "hmac-sha1", secret: SECRET }),
    "DUPLICATE_NAME",
    "name",
    /a TSIG named "key.example." already exists/,
  );
  const b = s.createTsig({ name: "other.", algo: "hmac-sha1", secret: SECRET });
  fails(
    t,
    () => s.updateTsig(b.id, { name: "Key.Example.", algo: "hmac-sha1", secret: SECRET }),
    "DUPLICATE_NAME",
    "name",
    /already exists/,
  );
  // Renaming a key to its own name in another case is fine.
  const a2 = s.updateTsig(a.id, { name: "KEY.EXAMPLE", algo: "hmac-sha512", secret: SECRET });
  t.equal(a2.name, "KEY.EXAMPLE.");
  t.equal(a2.algo, "hmac-sha512.");
  t.equal(s.tsigByName("key.example"), a2);
  t.equal(s.tsigByName("key.example."), a2);
  t.equal(s.tsigByName("other"), b);
  t.equal(s.tsigByName("nothing."), undefined);
  t.equal(s.tsigByName("a..b"), undefined, "not a name: no key, no exception");
  // After a rename the old name is free.
  s.updateTsig(b.id, { name: "renamed.", algo: "hmac-sha1", secret: SECRET });
  t.equal(s.tsigByName("other."), undefined);
  t.equal(s.createTsig({ name: "other.", algo: "hmac-sha1", secret: SECRET }).name, "other.");
});

t.test("TSIG update is a full replace; get/update/delete of unknown ids: 404", async (t) => {
  const { s } = store();
  const k = s.createTsig({ name: "k.", algo: "hmac-sha256", secret: SECRET });
  fails(
    t,
    () => s.updateTsig(k.id, { name: "k.", algo: "hmac-sha256" }),
    "INVALID_FIELD",
    "secret",
    /secret is required when replacing a TSIG/,
  );
  const k2 = s.updateTsig(k.id, { name: "k.", algo: "hmac-sha1", secret: "YWJj" });
  t.same(k2, { id: k.id, name: "k.", algo: "hmac-sha1.", secret: "YWJj" });
  const missing = "0".repeat(32);
  fails(t, () => s.getTsig(missing), "NOT_FOUND", undefined, /no TSIG with id "0{32}"/);
  fails(t, () => s.updateTsig(missing, k2), "NOT_FOUND", undefined, /no TSIG/);
  fails(t, () => s.deleteTsig(missing), "NOT_FOUND", undefined, /no TSIG/);
  fails(t, () => s.getTsig("not-an-id"), "NOT_FOUND", undefined, /no TSIG/);
  t.same(s.deleteTsig(k.id), { id: k.id });
  t.same(s.listTsigs(), []);
  t.equal(s.tsigByName("k."), undefined);
});

t.test("chosen ids: validated and unique per kind; random ids are 32 hex", async (t) => {
  const { s } = store();
  const id = derivedId("tsig", "k.");
  t.match(id, /^[0-9a-f]{32}$/);
  t.equal(s.createTsig({ name: "k.", algo: "hmac-sha1", secret: SECRET }, { id }).id, id);
  fails(
    t,
    () => s.createTsig({ name: "k2.", algo: "hmac-sha1", secret: SECRET }, { id }),
    "DUPLICATE_ID",
    "id",
    /already taken/,
  );
  fails(
    t,
    () => s.createPeer({ name: "p" }, { id: "ABCDEF".padEnd(32, "0") }),
    "INVALID_ID",
    "id",
    /32 lowercase hexadecimal/,
  );
  fails(
    t,
    () => s.createAcl({ name: "a", ip_range: "10.0.0.0/24" }, { id: "1" }),
    "INVALID_ID",
    "id",
    /hex/,
  );
  // The same id may be used by objects of different kinds.
  t.equal(s.createPeer({ name: "p" }, { id }).id, id);
  const r = s.createAcl({ name: "a", ip_range: "10.0.0.0/24" });
  t.match(r.id, /^[0-9a-f]{32}$/);
  t.not(r.id, s.createAcl({ name: "b", ip_range: "10.0.0.0/24" }).id);
});

t.test("derived ids are stable and depend on kind and key", async (t) => {
  t.equal(derivedId("tsig", "a."), derivedId("tsig", "a."));
  t.not(derivedId("tsig", "a."), derivedId("peer", "a."));
  // sha256("peer:x"), first 32 hex digits: fixed forever, labs script against it.
  t.equal(derivedId("peer", "x"), "e4102b6299df0f1decb803c3e2e350bc");
  t.equal(zoneId("Example.COM"), zoneId("example.com."));
  t.equal(zoneId("example.com"), derivedId("zone", "example.com."));
});

t.test("peers: defaults, canonical addresses, full replace", async (t) => {
  const { s } = store();
  const k = s.createTsig({ name: "k.", algo: "hmac-sha256", secret: SECRET });
  const p = s.createPeer({ name: "bare" });
  t.same(p, { id: p.id, name: "bare", port: 53, ixfr_enable: false });
  t.notOk("ip" in p);
  t.notOk("tsig_id" in p);
  const q = s.createPeer({
    name: "full",
    ip: "2001:DB8:0:0::53",
    port: 5301,
    ixfr_enable: true,
    tsig_id: k.id,
  });
  t.same(q, {
    id: q.id,
    name: "full",
    ip: "2001:db8::53",
    port: 5301,
    ixfr_enable: true,
    tsig_id: k.id,
  });
  // Terraform-style nulls and empty strings count as absent.
  const n = s.createPeer({ name: "nulls", ip: "", port: null, ixfr_enable: null, tsig_id: "" });
  t.same(n, { id: n.id, name: "nulls", port: 53, ixfr_enable: false });
  // PUT replaces everything: what is left out goes back to its default.
  const q2 = s.updatePeer(q.id, { name: "renamed", ip: "192.0.2.1" });
  t.same(q2, { id: q.id, name: "renamed", ip: "192.0.2.1", port: 53, ixfr_enable: false });
  t.equal(s.getPeer(q.id), q2);
  t.equal(s.listPeers().length, 3);
  t.equal(s.createPeer({ name: "mapped", ip: "::FFFF:192.0.2.9" }).ip, "::ffff:192.0.2.9");
});

t.test("peer validation errors", async (t) => {
  const { s } = store();
  fails(t, () => s.createPeer({ name: "" }), "INVALID_FIELD", "name", /peer name is required/);
  for (const ip of ["1.2.3", "1.2.3.256", "01.2.3.4", "fe80::1%eth0", "::g", "host.example"]) {
    fails(
      t,
      () => s.createPeer({ name: "p", ip }),
      "INVALID_IP",
      "ip",
      /is not an IPv4 or IPv6 address/,
    );
  }
  fails(
    t,
    () => s.createPeer({ name: "p", ip: 3 as unknown as string }),
    "INVALID_FIELD",
    "ip",
    /string/,
  );
  for (const port of [0, 65536, 53.5, -1]) {
    fails(
      t,
      () => s.createPeer({ name: "p", port }),
      "INVALID_FIELD",
      "port",
      /port must be an integer from 1 to 65535/,
    );
  }
  fails(
    t,
    () => s.createPeer({ name: "p", port: "53" as unknown as number }),
    "INVALID_FIELD",
    "port",
    /not "53"/,
  );
  fails(
    t,
    () => s.createPeer({ name: "p", ixfr_enable: "yes" as unknown as boolean }),
    "INVALID_FIELD",
    "ixfr_enable",
    /true or false/,
  );
  fails(
    t,
    () => s.createPeer({ name: "p", tsig_id: "f".repeat(32) }),
    "UNKNOWN_TSIG",
    "tsig_id",
    /no TSIG with id "f{32}"/,
  );
  fails(t, () => s.updatePeer("f".repeat(32), { name: "p" }), "NOT_FOUND", undefined, /no peer/);
  fails(t, () => s.deletePeer("f".repeat(32)), "NOT_FOUND", undefined, /no peer/);
  t.same(s.listPeers(), []);
  const p = s.createPeer({ name: "p" });
  t.same(s.deletePeer(p.id), { id: p.id });
});

t.test("ACLs: prefix limits, canonical ranges", async (t) => {
  const { s } = store();
  const cases: [string, string][] = [
    ["192.0.2.0/24", "192.0.2.0/24"],
    ["192.0.2.53/28", "192.0.2.48/28"],
    ["192.0.2.53", "192.0.2.53/32"],
    ["192.0.2.77/32", "192.0.2.77/32"],
    ["2001:DB8:0:0:1::/64", "2001:db8::/64"],
    ["2001:db8::1:2:3:4/64", "2001:db8::/64"],
    ["2001:db8::ff/127", "2001:db8::fe/127"],
    ["2001:db8::1", "2001:db8::1/128"],
    ["::ffff:10.1.2.3/120", "::ffff:10.1.2.0/120"],
  ];
  for (const [given, stored] of cases) {
    const a = s.createAcl({ name: given, ip_range: given });
    t.equal(a.ip_range, stored, given);
  }
  const a = s.createAcl({ name: "x", ip_range: "10.0.0.0/24" });
  t.same(a, { id: a.id, name: "x", ip_range: "10.0.0.0/24" });
  for (const bad of [
    "10.0.0.0/",
    "10.0.0.0/33",
    "10.0.0.0/024",
    "10.0.0/24",
    "x/24",
    "::/129",
    "10.0.0.0/2a",
  ]) {
    fails(
      t,
      () => s.createAcl({ name: "bad", ip_range: bad }),
      "INVALID_IP_RANGE",
      "ip_range",
      /is not an address range such as 192.0.2.0\/24/,
    );
  }
  fails(
    t,
    () => s.createAcl({ name: "wide", ip_range: "10.0.0.0/23" }),
    "ACL_RANGE_TOO_WIDE",
    "ip_range",
    /"10.0.0.0\/23" is wider than \/24, the widest IPv4 range an ACL may have/,
  );
  fails(
    t,
    () => s.createAcl({ name: "wide6", ip_range: "2001:db8::/63" }),
    "ACL_RANGE_TOO_WIDE",
    "ip_range",
    /wider than \/64, the widest IPv6 range/,
  );
  fails(
    t,
    () => s.createAcl({ name: "", ip_range: "10.0.0.0/24" }),
    "INVALID_FIELD",
    "name",
    /ACL name is required/,
  );
  fails(
    t,
    () => s.createAcl({ name: "n", ip_range: "" }),
    "INVALID_FIELD",
    "ip_range",
    /ip_range is required/,
  );
  const u = s.updateAcl(a.id, { name: "y", ip_range: "10.9.9.9/24" });
  t.same(u, { id: a.id, name: "y", ip_range: "10.9.9.0/24" });
  fails(
    t,
    () => s.updateAcl(a.id, { name: "y", ip_range: "10.0.0.0/8" }),
    "ACL_RANGE_TOO_WIDE",
    "ip_range",
    /wider/,
  );
  t.equal(s.getAcl(a.id), u, "a failed update changes nothing");
  t.same(s.deleteAcl(a.id), { id: a.id });
  fails(t, () => s.getAcl(a.id), "NOT_FOUND", undefined, /no ACL with id/);
  fails(t, () => s.updateAcl(a.id, u), "NOT_FOUND", undefined, /no ACL/);
  fails(t, () => s.deleteAcl(a.id), "NOT_FOUND", undefined, /no ACL/);
  t.equal(s.listAcls().length, cases.length);
});

t.test("outgoing: create, get, update, delete, timestamps from the clock", async (t) => {
  const { s, clock } = store();
  const p1 = s.createPeer({ name: "p1", ip: "192.0.2.1" });
  const p2 = s.createPeer({ name: "p2", ip: "192.0.2.2" });
  const cfg = s.createOutgoing("Example.COM", { peers: [p1.id] });
  t.same(cfg, {
    id: zoneId("example.com"),
    name: "Example.COM.",
    peers: [p1.id],
    status: "Disabled",
    created_time: "2024-05-01T12:00:00.000Z",
    checked_time: null,
    last_transferred_time: null,
  });
  t.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.peers));
  t.equal(s.outgoing("example.com."), cfg, "lookup is case-insensitive, dot optional");
  t.equal(s.getOutgoing("EXAMPLE.com"), cfg);
  t.equal(s.outgoing("other.com"), undefined);
  t.equal(s.outgoing("bad..name"), undefined);
  fails(
    t,
    () => s.createOutgoing("example.com", {}),
    "OUTGOING_EXISTS",
    undefined,
    /zone Example.COM. already has an outgoing transfer configuration/,
  );
  fails(
    t,
    () => s.getOutgoing("other.com"),
    "NOT_FOUND",
    undefined,
    /zone other.com. has no outgoing/,
  );
  fails(t, () => s.updateOutgoing("other.com", {}), "NOT_FOUND", undefined, /no outgoing/);
  fails(t, () => s.deleteOutgoing("other.com"), "NOT_FOUND", undefined, /no outgoing/);
  fails(t, () => s.enable("other.com"), "NOT_FOUND", undefined, /no outgoing/);
  fails(t, () => s.disable("other.com"), "NOT_FOUND", undefined, /no outgoing/);
  fails(t, () => s.forceNotify("other.com"), "NOT_FOUND", undefined, /no outgoing/);
  fails(t, () => s.createOutgoing("a..b"), "INVALID_NAME", "name", /zone name "a..b": empty label/);
  fails(t, () => s.createOutgoing(""), "INVALID_NAME", "name", /zone name must be a domain name/);

  clock.t = new Date("2024-05-02T00:00:00.000Z");
  t.equal(s.enable("example.com"), "Enabled");
  const up = s.updateOutgoing("example.com", { name: "example.com", peers: [p2.id, p1.id] });
  t.same(up.peers, [p2.id, p1.id]);
  t.equal(up.status, "Enabled", "PUT leaves the status alone");
  t.equal(up.created_time, cfg.created_time);
  fails(
    t,
    () => s.updateOutgoing("example.com", { peers: [], status: "Disabled" }),
    "INVALID_FIELD",
    "status",
    /use enable or disable/,
  );
  fails(
    t,
    () => s.updateOutgoing("example.com", { name: "example.net", peers: [] }),
    "INVALID_FIELD",
    "name",
    /name "example.net" is not this zone \(Example.COM.\)/,
  );
  t.equal(s.disable("example.com"), "Disabled");
  t.equal(s.getOutgoing("example.com").status, "Disabled");

  s.markChecked("example.com");
  t.equal(s.getOutgoing("example.com").checked_time, "2024-05-02T00:00:00.000Z");
  t.equal(s.getOutgoing("example.com").last_transferred_time, null);
  clock.t = new Date("2024-05-03T00:00:00.000Z");
  s.markTransferred("example.com", 2024050301);
  t.match(s.getOutgoing("example.com"), {
    checked_time: "2024-05-03T00:00:00.000Z",
    last_transferred_time: "2024-05-03T00:00:00.000Z",
    soa_serial: 2024050301,
  });
  s.setSoaSerial("example.com", 4294967295);
  t.equal(s.getOutgoing("example.com").soa_serial, 4294967295);
  fails(t, () => s.setSoaSerial("example.com", 2 ** 32), "INVALID_FIELD", "soa_serial", /32-bit/);
  // Marks on zones without a configuration are ignored: a transfer server may call them freely.
  s.markChecked("other.com");
  s.markTransferred("other.com", 1);
  s.setSoaSerial("other.com", 1);
  t.equal(s.outgoing("other.com"), undefined);

  const second = s.createOutgoing("example.net.", { status: "Enabled" }, { id: "a".repeat(32) });
  t.equal(second.id, "a".repeat(32));
  t.equal(second.status, "Enabled");
  t.same(second.peers, []);
  fails(
    t,
    () => s.createOutgoing("x.net", { status: "enabled" }),
    "INVALID_STATUS",
    "status",
    /"Enabled" or "Disabled", not "enabled"/,
  );
  fails(t, () => s.createOutgoing("x.net", {}, { id: "x" }), "INVALID_ID", "id", /hex/);
  t.equal(s.listOutgoing().length, 2);
  t.same(s.deleteOutgoing("example.net"), { id: "a".repeat(32) });
  t.same(
    s.listOutgoing().map((c) => c.name),
    ["Example.COM."],
  );
});

t.test("outgoing links: unknown ids, duplicates, types", async (t) => {
  const { s } = store();
  const p = s.createPeer({ name: "p" });
  fails(
    t,
    () => s.createOutgoing("example.com", { peers: [p.id, "e".repeat(32)] }),
    "UNKNOWN_PEER",
    "peers[1]",
    /no peer with id "e{32}"/,
  );
  fails(
    t,
    () => s.createOutgoing("example.com", { peers: [p.id, p.id] }),
    "DUPLICATE_PEER_LINK",
    "peers[1]",
    /peer "p" is linked twice \(also peers\[0\]\)/,
  );
  fails(
    t,
    () => s.createOutgoing("example.com", { peers: p.id as unknown as string[] }),
    "INVALID_FIELD",
    "peers",
    /peers must be a list of peer ids/,
  );
  fails(
    t,
    () => s.createOutgoing("example.com", { peers: [7 as unknown as string] }),
    "INVALID_FIELD",
    "peers[0]",
    /a peer id is a string, not 7/,
  );
  t.equal(s.outgoing("example.com"), undefined, "nothing stored by failed creates");
});

t.test("at most 30 linked peers (cloudflare.md §4)", async (t) => {
  const { s } = store();
  const ids = Array.from(
    { length: 31 },
    (_, i) => s.createPeer({ name: `p${i}`, ip: `192.0.2.${i + 1}` }).id,
  );
  t.equal(s.createOutgoing("example.com", { peers: ids.slice(0, 30) }).peers.length, 30);
  fails(
    t,
    () => s.updateOutgoing("example.com", { peers: ids }),
    "TOO_MANY_PEERS",
    "peers",
    /^31 peers linked, at most 30$/,
  );
  fails(
    t,
    () => s.createOutgoing("example.net", { peers: ids }),
    "TOO_MANY_PEERS",
    "peers",
    /31 peers/,
  );
  t.equal(s.linkedPeers("example.com").length, 30);
});

t.test("shared TSIG rule (cloudflare.md §2), at link time and on later peer updates", async (t) => {
  const { s } = store();
  const k1 = s.createTsig({ name: "k1.", algo: "hmac-sha256", secret: SECRET });
  const k2 = s.createTsig({ name: "k2.", algo: "hmac-sha256", secret: SECRET });
  const a = s.createPeer({ name: "a", ip: "192.0.2.1", tsig_id: k1.id });
  const b = s.createPeer({ name: "b", ip: "192.0.2.2", tsig_id: k1.id });
  const c = s.createPeer({ name: "c", ip: "192.0.2.3", tsig_id: k2.id });
  const plain = s.createPeer({ name: "plain", ip: "192.0.2.4" });
  const plain2 = s.createPeer({ name: "plain2", ip: "192.0.2.5" });

  fails(
    t,
    () => s.createOutgoing("example.com", { peers: [a.id, c.id] }),
    "TSIG_MISMATCH",
    "peers",
    /^the peers linked to a zone must all use the same TSIG, but peer "a" uses TSIG "k1.", peer "c" uses TSIG "k2."$/,
  );
  fails(
    t,
    () => s.createOutgoing("example.com", { peers: [plain.id, a.id] }),
    "TSIG_MISMATCH",
    "peers",
    /peer "plain" has no TSIG, peer "a" uses TSIG "k1."/,
  );
  s.createOutgoing("example.com", { peers: [a.id, b.id] });
  t.equal(s.zoneTsig("example.com"), k1);
  s.createOutgoing("plain.example", { peers: [plain.id, plain2.id] });
  t.equal(s.zoneTsig("plain.example"), undefined, "no TSIG when no linked peer has one");
  s.createOutgoing("solo.example", { peers: [c.id] });
  t.equal(s.zoneTsig("solo.example"), k2);

  // Decision: a later tsig_id change that would break the rule for a zone is refused.
  fails(
    t,
    () => s.updatePeer(b.id, { name: "b", ip: "192.0.2.2", tsig_id: k2.id }),
    "TSIG_MISMATCH",
    "tsig_id",
    /^peer "b" is linked to example.com.: the peers linked to a zone must all use the same TSIG, but peer "a" uses TSIG "k1.", peer "b" uses TSIG "k2."$/,
  );
  fails(
    t,
    () => s.updatePeer(b.id, { name: "b", ip: "192.0.2.2" }),
    "TSIG_MISMATCH",
    "tsig_id",
    /peer "b" has no TSIG/,
  );
  fails(
    t,
    () => s.updatePeer(plain2.id, { name: "plain2", tsig_id: k1.id }),
    "TSIG_MISMATCH",
    "tsig_id",
    /plain.example/,
  );
  t.equal(s.getPeer(b.id).tsig_id, k1.id, "a refused update changes nothing");
  // A peer that is the only one linked may change its key; the zone follows.
  s.updatePeer(c.id, { name: "c", ip: "192.0.2.3", tsig_id: k1.id });
  t.equal(s.zoneTsig("solo.example"), k1);
  // Other fields of a linked peer may change freely.
  s.updatePeer(b.id, { name: "b2", ip: "192.0.2.22", port: 5300, tsig_id: k1.id });
  t.same(
    s.linkedPeers("example.com").map((p: Peer) => p.name),
    ["a", "b2"],
  );
  // Key rotation: replace the TSIG object's secret; every peer keeps its tsig_id.
  const rotated = s.updateTsig(k1.id, { name: "k1.", algo: "hmac-sha512", secret: "YWJj" });
  t.equal(s.zoneTsig("example.com"), rotated);
});

t.test("deletion keeps references valid", async (t) => {
  const { s } = store();
  const k = s.createTsig({ name: "k.", algo: "hmac-sha256", secret: SECRET });
  const peers = ["a", "b", "c", "d"].map((name) => s.createPeer({ name, tsig_id: k.id }));
  fails(
    t,
    () => s.deleteTsig(k.id),
    "TSIG_IN_USE",
    undefined,
    /^TSIG "k." is used by peers "a", "b", "c" and 1 more; remove it from those peers before deleting it$/,
  );
  for (const p of peers.slice(1)) s.deletePeer(p.id);
  fails(t, () => s.deleteTsig(k.id), "TSIG_IN_USE", undefined, /used by peer "a";/);
  s.createOutgoing("example.com", { peers: [peers[0].id] });
  s.createOutgoing("example.net", { peers: [peers[0].id] });
  fails(
    t,
    () => s.deletePeer(peers[0].id),
    "PEER_IN_USE",
    undefined,
    /^peer "a" is linked to zones example.com., example.net.; unlink it before deleting it$/,
  );
  s.updateOutgoing("example.com", { peers: [] });
  fails(
    t,
    () => s.deletePeer(peers[0].id),
    "PEER_IN_USE",
    undefined,
    /linked to zone example.net.;/,
  );
  s.deleteOutgoing("example.net");
  s.deletePeer(peers[0].id);
  s.deleteTsig(k.id);
  t.same(s.listTsigs(), []);
  t.same(s.listPeers(), []);
});

t.test("isAllowedSource: linked peer ips, ACL ranges, IPv6 and IPv4-mapped", async (t) => {
  const { s } = store();
  const v4 = s.createPeer({ name: "v4", ip: "192.0.2.1" });
  const v6 = s.createPeer({ name: "v6", ip: "2001:db8::53" });
  const mapped = s.createPeer({ name: "mapped", ip: "::ffff:198.51.100.7" });
  const unlinked = s.createPeer({ name: "unlinked", ip: "192.0.2.99" });
  s.createPeer({ name: "no-ip" });
  s.createOutgoing("example.com", { peers: [v4.id, v6.id, mapped.id] });

  const check = (ip: string, zone = "example.com") => s.isAllowedSource(zone, ip);
  t.same(check("192.0.2.1"), { allowed: true, via: "peer", peer: v4 });
  t.same(check("::ffff:192.0.2.1"), { allowed: true, via: "peer", peer: v4 }, "dual-stack socket");
  t.same(check("::FFFF:c000:201"), { allowed: true, via: "peer", peer: v4 }, "mapped, hex form");
  t.same(check("2001:DB8:0::53"), { allowed: true, via: "peer", peer: v6 }, "any IPv6 spelling");
  t.same(check("198.51.100.7"), { allowed: true, via: "peer", peer: mapped });
  t.same(check("::ffff:198.51.100.7"), { allowed: true, via: "peer", peer: mapped });
  t.same(check("192.0.2.99"), { allowed: false }, "a peer that is not linked");
  t.same(check("192.0.2.1", "example.net"), { allowed: false }, "a zone without config");
  t.same(check("not an ip"), { allowed: false });
  t.same(check("192.0.2.1", "bad..zone"), { allowed: false });
  t.same(check("::1"), { allowed: false });
  t.ok(unlinked);

  const lab = s.createAcl({ name: "lab", ip_range: "10.1.2.0/24" });
  const lab6 = s.createAcl({ name: "lab6", ip_range: "2001:db8:1:2::/64" });
  const m6 = s.createAcl({ name: "m6", ip_range: "::ffff:172.16.5.0/120" });
  const host = s.createAcl({ name: "host", ip_range: "203.0.113.9" });
  t.same(check("10.1.2.200"), { allowed: true, via: "acl", acl: lab });
  t.same(
    check("::ffff:10.1.2.3"),
    { allowed: true, via: "acl", acl: lab },
    "mapped source, v4 ACL",
  );
  t.same(check("10.1.3.1"), { allowed: false });
  t.same(check("2001:db8:1:2:ffff:ffff:ffff:ffff"), { allowed: true, via: "acl", acl: lab6 });
  t.same(check("2001:db8:1:3::1"), { allowed: false });
  t.same(check("172.16.5.9"), { allowed: true, via: "acl", acl: m6 }, "v4 source, mapped ACL");
  t.same(check("::ffff:172.16.5.9"), { allowed: true, via: "acl", acl: m6 });
  t.same(check("203.0.113.9"), { allowed: true, via: "acl", acl: host });
  t.same(check("203.0.113.10"), { allowed: false });
  // ACLs are account-wide: they allow a zone without linked peers or configuration.
  t.same(check("10.1.2.1", "example.net"), { allowed: true, via: "acl", acl: lab });
  // A source that is both a peer and in an ACL is reported as the peer.
  s.createAcl({ name: "doc", ip_range: "192.0.2.0/24" });
  t.same(check("192.0.2.1"), { allowed: true, via: "peer", peer: v4 });
  // ACL changes take effect at once.
  s.updateAcl(lab.id, { name: "lab", ip_range: "10.1.3.0/24" });
  t.same(check("10.1.2.200"), { allowed: false });
  t.match(check("10.1.3.1"), { allowed: true, via: "acl" });
  s.deleteAcl(lab.id);
  t.same(check("10.1.3.1"), { allowed: false });
  // Peer changes take effect at once too.
  s.updatePeer(v4.id, { name: "v4", ip: "192.0.2.100" });
  t.match(check("192.0.2.100"), { via: "peer", peer: { name: "v4" } });
  t.match(check("192.0.2.1"), { via: "acl" });
  s.updateOutgoing("example.com", { peers: [v6.id] });
  t.match(check("192.0.2.100"), { via: "acl" });
});

t.test("linkedPeers and zoneTsig follow every change", async (t) => {
  const { s } = store();
  const k = s.createTsig({ name: "k.", algo: "hmac-sha256", secret: SECRET });
  const a = s.createPeer({ name: "a", tsig_id: k.id });
  t.same(s.linkedPeers("example.com"), []);
  t.equal(s.zoneTsig("example.com"), undefined);
  s.createOutgoing("example.com", { peers: [a.id] });
  t.same(s.linkedPeers("EXAMPLE.com."), [a]);
  t.equal(s.zoneTsig("example.com"), k);
  const a2 = s.updatePeer(a.id, { name: "a" });
  t.same(s.linkedPeers("example.com"), [a2]);
  t.equal(s.zoneTsig("example.com"), undefined);
  s.deleteOutgoing("example.com");
  t.same(s.linkedPeers("example.com"), []);
});

t.test("change events", async (t) => {
  const { s } = store();
  const seen: SettingsChange[] = [];
  const stop = s.onChange((c) => seen.push(c));
  const k = s.createTsig({ name: "k.", algo: "hmac-sha256", secret: SECRET });
  const p = s.createPeer({ name: "p", tsig_id: k.id });
  const acl = s.createAcl({ name: "a", ip_range: "10.0.0.0/24" });
  const cfg = s.createOutgoing("example.com", { peers: [p.id] });
  s.enable("example.com");
  s.enable("example.com");
  s.forceNotify("example.com");
  s.updateOutgoing("example.com", { peers: [p.id] });
  s.disable("example.com");
  s.markTransferred("example.com", 5);
  s.deleteOutgoing("example.com");
  s.updateTsig(k.id, { name: "k.", algo: "hmac-sha1", secret: SECRET });
  s.updatePeer(p.id, { name: "p" });
  s.updateAcl(acl.id, { name: "a", ip_range: "10.0.0.0/24" });
  s.deleteAcl(acl.id);
  s.deletePeer(p.id);
  s.deleteTsig(k.id);
  try {
    s.createPeer({ name: "" });
  } catch {}
  const z = { kind: "outgoing", id: cfg.id, zone: "example.com." };
  t.same(seen, [
    { kind: "tsig", action: "create", id: k.id },
    { kind: "peer", action: "create", id: p.id },
    { kind: "acl", action: "create", id: acl.id },
    { ...z, action: "create" },
    { ...z, action: "enable" },
    { ...z, action: "enable" },
    { ...z, action: "force_notify" },
    { ...z, action: "update" },
    { ...z, action: "disable" },
    { ...z, action: "delete" },
    { kind: "tsig", action: "update", id: k.id },
    { kind: "peer", action: "update", id: p.id },
    { kind: "acl", action: "update", id: acl.id },
    { kind: "acl", action: "delete", id: acl.id },
    { kind: "peer", action: "delete", id: p.id },
    { kind: "tsig", action: "delete", id: k.id },
  ]);
  stop();
  s.createAcl({ name: "b", ip_range: "10.0.0.0/24" });
  t.equal(seen.length, 16, "no events after unsubscribing");
});

t.test("a throwing listener neither undoes the change nor stops other listeners", async (t) => {
  const errors: unknown[] = [];
  const s = new TransferSettings({ onListenerError: (e) => errors.push(e) });
  let after = 0;
  s.onChange(() => {
    throw new Error("listener broke");
  });
  s.onChange(() => after++);
  const p = s.createPeer({ name: "p" });
  t.equal(s.getPeer(p.id), p);
  t.equal(after, 1);
  t.match(errors, [{ message: "listener broke" }]);
});

t.test("default clock and randomness", async (t) => {
  const s = new TransferSettings();
  const before = Date.now();
  const cfg = s.createOutgoing("example.com");
  t.ok(Date.parse(cfg.created_time) >= before - 1000);
  const a = s.createTsig({ name: "a.", algo: "hmac-sha256" });
  const b = s.createTsig({ name: "b.", algo: "hmac-sha256" });
  t.not(a.secret, b.secret);
  t.not(a.id, b.id);
});

t.test("every error in the table is provoked by some test above", async (t) => {
  t.same([...provoked].sort(), Object.keys(SETTINGS_ERRORS).sort());
});
