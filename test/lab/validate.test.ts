/**
 * The lab check's validator against an independent signer: dnspython signs an RRset with ECDSA P-256 and P-384, Ed25519 and RSA/SHA-256, and makes the DS;
 * verifyRrset and dsMatches must accept each, and refuse a changed record, a changed
 * signature, another key, an expired signature and a DS of another key. (Debian's dnspython
 * 2.3 gives a wildcard's RRSIG the labels of the wildcard name itself, so wildcard expansions
 * are checked against Knot's signatures in the lab test instead.)
 */

import { execFileSync } from "node:child_process";
import t from "tap";
import type { Rr } from "../../src/lab/client.js";
import { dsMatches, signedOwner, trustedKeys, verifyRrset } from "../../src/lab/validate.js";
import { FLAGS_KSK, generateKey, signRrset } from "../../src/wire/dnssec/sign.js";
import { T } from "../../src/wire/types.js";
import { findTool } from "../peers/tools.js";

const python = findTool("python3") === null ? null : "/usr/bin/python3";
const hasDnspython = (() => {
  try {
    execFileSync(python ?? "python3", ["-c", "import dns.dnssec, cryptography"], {
      stdio: "ignore",
    });
    return true;
  } catch {
    return false;
  }
})();

interface Signed {
  algorithm: number;
  dnskey: string;
  ds: string;
  rrset: { name: string; type: number; ttl: number; rdatas: string[] };
  rrsig: string;
}

const rrs = (s: Signed["rrset"]): Rr[] =>
  s.rdatas.map((h) => ({ name: s.name, type: s.type, ttl: s.ttl, rdata: Buffer.from(h, "hex") }));
const sig = (name: string, hex: string): Rr => ({
  name,
  type: T.RRSIG,
  ttl: 300,
  rdata: Buffer.from(hex, "hex"),
});

t.test(
  "signatures made by dnspython",
  { skip: hasDnspython ? false : "dnspython is not installed (apt-get install python3-dnspython)" },
  async (t) => {
    const out = execFileSync(python ?? "python3", [`${import.meta.dirname}/dnspython-sign.py`], {
      encoding: "utf8",
    });
    const cases = JSON.parse(out) as Signed[];
    const now = Math.floor(Date.now() / 1000);
    for (const c of cases) {
      const key = Buffer.from(c.dnskey, "hex");
      const set = rrs(c.rrset);
      const rrsig = sig(c.rrset.name, c.rrsig);
      t.same(
        verifyRrset(set, [rrsig], [key], "lab.test.", now).secure,
        true,
        `alg ${c.algorithm}: secure`,
      );
      t.ok(
        dsMatches(Buffer.from(c.ds, "hex"), "lab.test.", key),
        `alg ${c.algorithm}: the DS matches`,
      );
      t.ok(
        "keys" in
          trustedKeys(
            [{ name: "lab.test.", type: T.DNSKEY, ttl: 300, rdata: key }],
            [],
            [Buffer.from(c.ds, "hex")],
            "lab.test.",
            now,
          ) ===
          false,
        `alg ${c.algorithm}: an unsigned DNSKEY RRset is not trusted`,
      );

      const changed = set.map((r, i) =>
        i === 0 ? { ...r, rdata: Buffer.from([192, 0, 2, 9]) } : r,
      );
      t.match(
        verifyRrset(changed, [rrsig], [key], "lab.test.", now),
        { secure: false, reason: /does not verify/ },
        `alg ${c.algorithm}: a changed record`,
      );
      const bad = Buffer.from(rrsig.rdata);
      bad[bad.length - 5] ^= 0x01;
      t.match(
        verifyRrset(set, [{ ...rrsig, rdata: bad }], [key], "lab.test.", now),
        { secure: false },
        `alg ${c.algorithm}: a changed signature`,
      );
      const other = Buffer.from(cases[(cases.indexOf(c) + 1) % cases.length].dnskey, "hex");
      t.match(
        verifyRrset(set, [rrsig], [other], "lab.test.", now),
        { secure: false, reason: /not a trusted DNSKEY/ },
        `alg ${c.algorithm}: another key`,
      );
      t.match(
        verifyRrset(set, [rrsig], [key], "lab.test.", now + 3 * 86400),
        { secure: false, reason: /validity/ },
        `alg ${c.algorithm}: expired`,
      );
      t.match(
        verifyRrset(set, [rrsig], [key], "other.test.", now),
        { secure: false, reason: /signed by/ },
        `alg ${c.algorithm}: another zone`,
      );
      t.notOk(
        dsMatches(Buffer.from(c.ds, "hex"), "lab.test.", other),
        `alg ${c.algorithm}: a DS of another key`,
      );
    }
  },
);

t.test("signedOwner: a wildcard's expansion is verified as the wildcard", async (t) => {
  t.equal(signedOwner("www.lab.test.", 3), "www.lab.test.", "as many labels: the name itself");
  t.equal(signedOwner("x.y.wild.lab.test.", 3), "*.wild.lab.test.");
  t.equal(signedOwner("a\\.b.wild.lab.test.", 3), "*.wild.lab.test.", "an escaped dot is no label");
  t.equal(signedOwner("x.test.", 0), "*.");
  // A signature over *.wild.lab.test. verifies the records served at an expansion of it.
  const key = generateKey(FLAGS_KSK);
  const now = Math.floor(Date.now() / 1000);
  const rdatas = [Buffer.from([192, 0, 2, 1])];
  const rrsig = signRrset(
    { owner: "*.wild.lab.test.", type: T.A, ttl: 300, rdatas },
    "lab.test.",
    key,
    { inception: now - 3600, expiration: now + 3600 },
  );
  const at = (name: string): Rr[] => [{ name, type: T.A, ttl: 300, rdata: rdatas[0] }];
  const sig = (name: string): Rr => ({ name, type: T.RRSIG, ttl: 300, rdata: rrsig });
  for (const name of ["x.wild.lab.test.", "a\\.b.c.wild.lab.test."])
    t.same(verifyRrset(at(name), [sig(name)], [key.rdata], "lab.test.", now).secure, true, name);
  t.same(
    verifyRrset(at("x.other.lab.test."), [sig("x.other.lab.test.")], [key.rdata], "lab.test.", now)
      .secure,
    false,
    "not under the wildcard: refused",
  );
});
