/**
 * The configuration text a zone's secondary is told: the snippet for each kind, the checked
 * facts, and the files of a standalone configuration. That BIND, Knot, NSD and PowerDNS work
 * from this text is proven by the interop tests (test/interop/notify.test.ts,
 * test/interop/secondary-config.test.ts); the command that prints and writes it is tested in
 * test/cli/secondary-config.test.ts, the dashboard's route in test/dashboard/assets.test.ts.
 */

import t from "tap";
import {
  algorithmName,
  SECONDARY_KINDS,
  SecondaryFactsError,
  secondaryConfig,
  secondaryFacts,
  standaloneFiles,
} from "../../src/secondaries/config.js";

const FACTS = {
  zone: "example.com.",
  primary: { host: "127.0.0.1", port: 5300 },
  notifyFrom: "127.0.0.2",
  key: { name: "tsig.customer.cf.", algorithm: "hmac-sha512.", secret: "c2VjcmV0" },
  peerName: "bind",
};

t.test("algorithm names as secondaries spell them", async (t) => {
  t.equal(algorithmName("hmac-sha512."), "hmac-sha512");
  t.equal(algorithmName("HMAC-SHA256"), "hmac-sha256");
  t.equal(algorithmName("hmac-md5.sig-alg.reg.int."), "hmac-md5");
});

t.test(
  "each kind: key, zone as a secondary of our address and port, NOTIFY from our source",
  async (t) => {
    const bind = secondaryConfig("bind", FACTS);
    t.match(
      bind,
      /key "tsig\.customer\.cf\." \{\n {4}algorithm hmac-sha512;\n {4}secret "c2VjcmV0";\n\};/,
    );
    t.match(bind, /zone "example\.com" \{\n {4}type secondary;/);
    t.match(bind, /primaries \{ 127\.0\.0\.1 port 5300 key "tsig\.customer\.cf\."; \};/);
    t.match(bind, /allow-notify \{ 127\.0\.0\.2; \};/);
    const knot = secondaryConfig("knot", FACTS);
    t.match(
      knot,
      /key:\n {2}- id: tsig\.customer\.cf\.\n {4}algorithm: hmac-sha512\n {4}secret: c2VjcmV0/,
    );
    t.match(knot, /address: 127\.0\.0\.1@5300\n {4}key: tsig\.customer\.cf\./);
    t.match(knot, /address: 127\.0\.0\.2\n {4}key: tsig\.customer\.cf\.\n {4}action: notify/);
    t.match(knot, /domain: example\.com\n {4}master: dns-primary\n {4}acl: dns-primary-notify/);
    const nsd = secondaryConfig("nsd", FACTS);
    t.match(nsd, /request-xfr: 127\.0\.0\.1@5300 tsig\.customer\.cf\./);
    t.match(nsd, /allow-notify: 127\.0\.0\.2 tsig\.customer\.cf\./);
    const pdns = secondaryConfig("powerdns", FACTS);
    t.match(pdns, /pdnsutil create-secondary-zone example\.com 127\.0\.0\.1:5300/);
    t.match(pdns, /pdnsutil import-tsig-key tsig\.customer\.cf\. hmac-sha512 c2VjcmV0\n/);
    t.match(pdns, /pdnsutil set-meta example\.com IXFR 1/, "IXFR asked for");
    t.match(pdns, /allow-notify-from=127\.0\.0\.2/);
    // Without a TSIG: no key anywhere.
    const { key: _key, ...plain } = FACTS;
    for (const kind of SECONDARY_KINDS) {
      t.notMatch(secondaryConfig(kind, plain), /c2VjcmV0|tsig\.customer/, kind);
    }
    t.match(secondaryConfig("nsd", plain), /request-xfr: 127\.0\.0\.1@5300 NOKEY/);
  },
);

t.test(
  "the facts: a peer ip of the other address family is refused, with the reason",
  async (t) => {
    const peer = { name: "p", ip: "127.0.0.2", port: 53 };
    t.throws(
      () =>
        secondaryFacts({ zone: "x.", primary: { host: "::1", port: 53 }, notifyFrom: "::1", peer }),
      new SecondaryFactsError(
        'peer "p" has ip 127.0.0.2 (IPv4) but dns-primary answers DNS at ::1 (IPv6): a secondary cannot send its transfers from 127.0.0.2 to it; give the peer an IPv6 ip or serve DNS on IPv4',
      ),
    );
    t.same(
      secondaryFacts({
        zone: "x.",
        primary: { host: "127.0.0.1", port: 53 },
        notifyFrom: "127.0.0.1",
        peer,
        tsig: { name: "k.", algo: "hmac-sha256.", secret: "YQ==" },
      }),
      {
        zone: "x.",
        primary: { host: "127.0.0.1", port: 53 },
        notifyFrom: "127.0.0.1",
        key: { name: "k.", algorithm: "hmac-sha256.", secret: "YQ==" },
        peerName: "p",
        source: "127.0.0.2",
      },
      "the peer's ip is the source; its TSIG the key",
    );
  },
);

t.test(
  "PowerDNS takes NOTIFY from a zone's primaries only, unless the sender is trusted",
  async (t) => {
    t.match(secondaryConfig("powerdns", FACTS), /# {3}trusted-notification-proxy=127\.0\.0\.2\n/);
    t.notMatch(
      secondaryConfig("powerdns", { ...FACTS, notifyFrom: "127.0.0.1" }),
      /trusted-notification-proxy/,
    );
  },
);

t.test("standalone: the files' text around the snippet; PowerDNS's key database", async (t) => {
  const dir = "/srv/secondary";
  const listen = { host: "127.0.0.3", port: 5303 };
  const { key: _key, ...unsigned } = FACTS;
  for (const kind of ["bind", "knot", "nsd"] as const) {
    const s = standaloneFiles(kind, FACTS, dir, listen);
    t.equal(s.files.length, 1, kind);
    t.ok(s.files[0].text.endsWith(secondaryConfig(kind, FACTS)), `${kind}: the snippet, last`);
    t.equal(s.keyDb, undefined, `${kind}: the key is in its configuration`);
  }
  // The bind backend keeps the TSIG in a SQLite file only pdnsutil creates: the text names
  // it, and the commands that create and fill it come in order, for the command to run.
  const signed = standaloneFiles("powerdns", FACTS, dir, listen);
  t.same(
    signed.files.map((f) => f.name),
    ["pdns.conf", "named.conf"],
  );
  t.match(signed.files[0].text, "\nbind-dnssec-db=/srv/secondary/bind-dnssec.sqlite3\n");
  t.same(signed.keyDb, {
    name: "bind-dnssec.sqlite3",
    pdnsutil: [
      ["create-bind-db", "/srv/secondary/bind-dnssec.sqlite3"],
      ["import-tsig-key", "tsig.customer.cf.", "hmac-sha512", "c2VjcmV0"],
      ["set-meta", "example.com", "AXFR-MASTER-TSIG", "tsig.customer.cf."],
    ],
  });
  t.same(signed.server, { program: "pdns_server", args: ["--config-dir=/srv/secondary"] });
  const plain = standaloneFiles("powerdns", unsigned, dir, listen);
  t.equal(plain.keyDb, undefined, "no TSIG, no key database");
  t.notMatch(plain.files[0].text, /bind-dnssec-db/);
  t.same(plain.check, ["dig", "@127.0.0.3", "-p", "5303", "example.com", "SOA", "+norec"]);
});
