/**
 * DNSSEC signing material checked against independent tools, never against our own code:
 * key tags and DS records against BIND's `dnssec-dsfromkey`, RRSIGs against dnspython's
 * `dns.dnssec.validate_rrsig` (a wrong byte anywhere makes it refuse, which the last case
 * shows). The RRsets mix letter case in owners and RDATA names, repeat a record, and include
 * a wildcard answered for a name below it, where the canonical form and the labels field
 * matter.
 */

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import t from "tap";
import {
  ALG_ECDSAP256SHA256,
  canonicalRrset,
  dsRdata,
  FLAGS_KSK,
  FLAGS_ZSK,
  generateKey,
  keyTag,
  loadKey,
  type RrsetToSign,
  rrsigLabels,
  signRrset,
  storeKey,
} from "../../src/wire/dnssec/sign.js";
import { rdataFromText, rdataToText } from "../../src/wire/rdata.js";
import { T, typeToText } from "../../src/wire/types.js";
import { requireTool } from "../peers/tools.js";

const run = promisify(execFile);

function fields(text: string) {
  return [...text.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) =>
    m[1] !== undefined ? { text: m[1], quoted: true } : { text: m[2], quoted: false },
  );
}
const rd = (type: number, text: string) => rdataFromText(type, fields(text), ".");

t.test("key tag and DS match dnssec-dsfromkey", async (t) => {
  const tool = requireTool(t, "dnssec-dsfromkey");
  if (tool === undefined) return;
  const dir = mkdtempSync(path.join(tmpdir(), "dns-primary-ds-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [owner, flags] of [
    ["example.com.", FLAGS_KSK],
    ["Mixed.Case.Example.", FLAGS_KSK],
    ["example.com.", FLAGS_ZSK],
  ] as const) {
    const key = generateKey(flags);
    const dnskey = rdataToText(T.DNSKEY, key.rdata);
    const file = path.join(dir, `K${owner.toLowerCase()}+013+${key.tag}.key`);
    writeFileSync(file, `${owner} IN DNSKEY ${dnskey}\n`);
    const { stdout } = await run(tool, ["-2", file]);
    const m = /IN DS (\d+) 13 2 ([0-9A-F]+)/.exec(stdout);
    t.ok(m, `dnssec-dsfromkey printed a DS: ${stdout.trim()}`);
    t.equal(key.tag, Number(m?.[1]), `${owner} flags ${flags}: the key tag`);
    t.equal(keyTag(key.rdata), key.tag);
    const ds = dsRdata(owner, key.rdata);
    t.equal(ds.readUInt16BE(0), key.tag);
    t.equal(ds[2], ALG_ECDSAP256SHA256);
    t.equal(ds[3], 2);
    t.equal(ds.subarray(4).toString("hex").toUpperCase(), m?.[2], `${owner}: the SHA-256 digest`);
  }
});

t.test("a key kept and loaded again is the same key", async (t) => {
  const key = generateKey(FLAGS_KSK);
  const back = loadKey(storeKey(key));
  t.equal(back.tag, key.tag);
  t.same(back.rdata, key.rdata);
  t.throws(() => loadKey({ ...storeKey(key), algorithm: 8 }), /not supported/);
});

t.test("canonical form: lowercased names, sorted, duplicates once", async (t) => {
  const set: RrsetToSign = {
    owner: "WWW.Example.",
    type: T.MX,
    ttl: 300,
    rdatas: [
      rd(T.MX, "20 Mail.Example."),
      rd(T.MX, "10 MAIL2.example."),
      rd(T.MX, "20 mail.example."),
    ],
  };
  const c = canonicalRrset(set);
  t.notOk(/[A-Z]/.test(c.toString("latin1").replace(/[^A-Za-z]/g, "")), "no capital letter");
  t.equal(
    c.toString("latin1").split("mail").length - 1,
    2,
    "the two spellings of one record: once",
  );
  t.equal(rrsigLabels("*.wild.example."), 2);
  t.equal(rrsigLabels("a.b.example."), 3);
  t.equal(rrsigLabels("."), 0);
});

/** dnspython, or undefined where it is not installed (a failure under CI=true). */
async function python(): Promise<string | undefined> {
  for (const py of ["python3", "/usr/bin/python3"]) {
    try {
      await run(py, ["-c", "import dns.dnssec, cryptography"]);
      return py;
    } catch {}
  }
  return undefined;
}

const VALIDATE = `
import json, sys, dns.dnssec, dns.name, dns.rrset, dns.rdatatype
cases = json.load(sys.stdin)
for c in cases:
    zone = dns.name.from_text(c["zone"])
    keys = {zone: dns.rrset.from_text_list(zone, 3600, "IN", "DNSKEY", [c["dnskey"]])}
    rrset = dns.rrset.from_text_list(c["owner"], c["ttl"], "IN", c["type"], c["rdatas"])
    sig = dns.rrset.from_text_list(c["owner"], c["ttl"], "IN", "RRSIG", [c["rrsig"]])[0]
    try:
        dns.dnssec.validate_rrsig(rrset, sig, keys, now=c["now"])
        print("valid")
    except Exception as e:
        print("invalid", type(e).__name__, e)
`;

t.test("RRSIGs validate with dnspython; a changed byte does not", async (t) => {
  const py = await python();
  if (py === undefined) {
    if (process.env.CI === "true") t.fail("dnspython is required under CI=true");
    else t.pass("dnspython not installed", { skip: "apt-get install python3-dnspython" });
    return;
  }
  const zone = "Example.";
  const key = generateKey(FLAGS_ZSK);
  const now = 1_767_225_600; // 2026-01-01
  const v = { inception: now - 3600, expiration: now + 7 * 86400 };
  const sets: Array<RrsetToSign & { servedAs?: string }> = [
    {
      owner: "example.",
      type: T.SOA,
      ttl: 3600,
      rdatas: [rd(T.SOA, "NS1.example. Hostmaster.Example. 7 3600 600 86400 60")],
    },
    {
      owner: "WWW.example.",
      type: T.A,
      ttl: 300,
      rdatas: [rd(T.A, "192.0.2.2"), rd(T.A, "192.0.2.1"), rd(T.A, "192.0.2.1")],
    },
    {
      owner: "example.",
      type: T.MX,
      ttl: 300,
      rdatas: [rd(T.MX, "20 Mail.Example."), rd(T.MX, "10 mail2.example.")],
    },
    {
      owner: "_sip._tcp.example.",
      type: T.SRV,
      ttl: 60,
      rdatas: [rd(T.SRV, "0 5 5060 SIP.Example.")],
    },
    { owner: "txt.example.", type: T.TXT, ttl: 60, rdatas: [rd(T.TXT, '"Hello" "World"')] },
    { owner: "alias.example.", type: T.CNAME, ttl: 60, rdatas: [rd(T.CNAME, "WWW.Example.")] },
    // A wildcard's records answered for a name below it: signed as the wildcard.
    {
      owner: "*.wild.example.",
      servedAs: "host.wild.example.",
      type: T.A,
      ttl: 60,
      rdatas: [rd(T.A, "192.0.2.77")],
    },
  ];
  const cases = sets.map((s) => {
    const sig = signRrset(s, zone, key, v);
    return {
      zone,
      dnskey: rdataToText(T.DNSKEY, key.rdata),
      owner: s.servedAs ?? s.owner,
      ttl: s.ttl,
      type: typeToText(s.type),
      rdatas: s.rdatas.map((r) => rdataToText(s.type, r)),
      rrsig: rdataToText(T.RRSIG, sig),
      now,
    };
  });
  // The same A record set, its signature with one byte changed.
  const bad = { ...cases[1] };
  const sig = signRrset(sets[1], zone, key, v);
  sig[sig.length - 1] ^= 1;
  bad.rrsig = rdataToText(T.RRSIG, sig);
  const child = execFile(py, ["-c", VALIDATE]);
  child.stdin!.end(JSON.stringify([...cases, bad]));
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  const code = await new Promise((resolve) => child.on("close", resolve));
  t.equal(code, 0, "the validator ran");
  const lines = out.trim().split("\n");
  for (const [i, c] of cases.entries()) t.equal(lines[i], "valid", `${c.owner} ${c.type}`);
  t.match(lines[cases.length], /^invalid/, "a changed signature is refused");
});
