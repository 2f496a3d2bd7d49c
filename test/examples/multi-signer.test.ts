/**
 * examples/multi-signer/run.sh as a user runs it: dns-primary as Cloudflare and a Knot
 * secondary that signs its copy with keys of its own (RFC 8901, model 2), set up through the
 * API as Cloudflare's multi-signer guide says. The script's own checks are BIND's delv at both
 * providers with one trust anchor set (the DS of both KSKs). Then, independently of it:
 * - Knot's log shows it signed the zone it received, with Cloudflare's ZSK published beside
 *   its own keys, and took the later change by NOTIFY;
 * - dnspython (not our code) validates each provider's signatures with the *other* provider's
 *   DNSKEY RRset, which is what model 2 is for: a resolver that cached one provider's keys
 *   and asks the other still validates. Without Knot's ZSK in Cloudflare's set, Knot's
 *   signatures do not validate: the check can fail.
 */

import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { buildPackage, ROOT } from "../cli/package.js";
import { freePort, makeTempDir, removeTempDir, requireTool } from "../peers/tools.js";

const run = promisify(execFile);

/** Each provider's `www` A signature checked with each provider's DNSKEY RRset. */
const CROSS = `
import base64, sys, dns.dnssec, dns.message, dns.name, dns.query, dns.rdataclass, dns.rdatatype
zone = dns.name.from_text(sys.argv[1])
ports = {"cloudflare": int(sys.argv[2]), "knot": int(sys.argv[3])}
knot_zsk = sys.argv[4]
def ask(port, name, rdtype):
    q = dns.message.make_query(name, rdtype, want_dnssec=True)
    r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=5)
    t = dns.rdatatype.from_text(rdtype)
    rrset = r.find_rrset(r.answer, name, dns.rdataclass.IN, t)
    sig = r.find_rrset(r.answer, name, dns.rdataclass.IN, dns.rdatatype.RRSIG, t)
    return rrset, sig
www = dns.name.from_text("www", zone)
keys = {p: ask(port, zone, "DNSKEY")[0] for p, port in ports.items()}
def check(label, signer, keyset):
    rrset, sig = ask(ports[signer], www, "A")
    try:
        dns.dnssec.validate(rrset, sig, {zone: keyset})
        print(label, "valid")
    except dns.dnssec.ValidationFailure as e:
        print(label, "invalid", e)
for signer in ports:
    for keys_from in ports:
        check(signer + "-signed/" + keys_from + "-keys", signer, keys[keys_from])
knot_key = base64.b64decode(knot_zsk)
without = dns.rrset.from_rdata_list(zone, 3600, [k for k in keys["cloudflare"] if k.key != knot_key])
check("knot-signed/cloudflare-keys-without-knot-zsk", "knot", without)
`;

async function python(): Promise<string | undefined> {
  for (const py of ["python3", "/usr/bin/python3"]) {
    try {
      await run(py, ["-c", "import dns.dnssec, cryptography"]);
      return py;
    } catch {}
  }
  return undefined;
}

t.test("examples/multi-signer: both providers validate, each with the other's keys", async (t) => {
  for (const tool of ["knotd", "keymgr", "delv", "dig", "curl", "jq"])
    if (requireTool(t, tool) === undefined) return;
  const py = await python();
  if (py === undefined) {
    if (process.env.CI === "true") t.fail("dnspython is required under CI=true");
    else t.pass("dnspython not installed", { skip: "apt-get install python3-dnspython" });
    return;
  }
  const pkg = buildPackage((fn) => t.teardown(fn));
  const work = makeTempDir("dns-primary-multi-signer-");
  t.teardown(() => removeTempDir(work));
  const [dnsPort, apiPort, knotPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn("bash", [path.join(ROOT, "examples/multi-signer/run.sh")], {
    env: {
      ...process.env,
      DNS_PORT: String(dnsPort),
      API_PORT: String(apiPort),
      KNOT_PORT: String(knotPort),
      WORK: work,
      DNS_PRIMARY_CLI: path.join(pkg, "dist/cli/main.js"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  t.teardown(async () => {
    child.kill("SIGTERM");
    await exited;
  });
  // The script prints this line once its own checks have passed, then keeps the lab running.
  const ready = await new Promise<boolean>((resolve) => {
    const done = (v: boolean) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve(v);
    };
    const poll = setInterval(() => out.includes("Running; Ctrl-C") && done(true), 100);
    const timer = setTimeout(() => done(false), 90_000);
    void exited.then(() => done(false));
  });
  t.ok(ready, "the script set up the lab and its checks passed", { out });
  if (!ready) return;
  t.equal((out.match(/ fully validated/g) ?? []).length, 12, "12 answers validated by delv");
  t.notMatch(out, /NOT VALIDATED/);

  const knotLog = readFileSync(path.join(work, "knot/knotd.log"), "utf8");
  t.match(knotLog, /DNSSEC, successfully signed/, "Knot signed its copy");
  const cloudflareZsk = readFileSync(path.join(work, "cloudflare-zsk.key"), "utf8").trim();
  const cfTag = /DNSKEY 256 3 13 (\S+)/.exec(cloudflareZsk)?.[1];
  t.ok(cfTag, "Cloudflare's ZSK came from GET /dnssec/zsk");
  t.match(knotLog, /notify, incoming, remote 127\.0\.0\.1@\d+, serial (\d+)/, "NOTIFY reached it");
  t.match(knotLog, /refresh, remote 127\.0\.0\.1@\d+, zone updated.*-> \d+/, "and it refreshed");

  // Knot's ZSK as dns-primary serves it among the apex DNSKEYs (the user's record).
  const knotZsk = /Cloudflare step 1\.2[^\n]*\n256 3 13 (\S+)/.exec(out)?.[1] ?? "";
  t.ok(knotZsk, "Knot's ZSK was added to Cloudflare");
  const cross = await run(py, [
    "-c",
    CROSS,
    "example.com.",
    String(dnsPort),
    String(knotPort),
    knotZsk,
  ]);
  const lines = cross.stdout.trim().split("\n");
  t.same(
    lines,
    [
      "cloudflare-signed/cloudflare-keys valid",
      "cloudflare-signed/knot-keys valid",
      "knot-signed/cloudflare-keys valid",
      "knot-signed/knot-keys valid",
      lines[4],
    ],
    "every signature validates with either provider's DNSKEY set",
  );
  t.match(lines[4], /^knot-signed\/cloudflare-keys-without-knot-zsk invalid/, "and not without");
});
