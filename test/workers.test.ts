import cluster from "node:cluster";
import dgram from "node:dgram";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dnsPacket from "dns-packet";
import t, { type Test } from "tap";
import { startServer } from "../src/primary.js";
import { ResponseVerifier, signRequest } from "../src/wire/tsig/client.js";
import { tsigKey } from "../src/wire/tsig.js";
import { query } from "./peers/client.js";
import { type ParsedMessage, rcodeText, rrText } from "./peers/wire.js";

const ZONE = `$ORIGIN workers.test.
$TTL 300
@ SOA ns hostmaster 7 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
www A 192.0.2.80
`;

// One primary for the tests below: starting worker processes is the slow part.
const dir = mkdtempSync(join(tmpdir(), "dns-primary-workers-"));
writeFileSync(join(dir, "workers.test.zone"), ZONE);
const primary = await startServer({
  zonesDir: dir,
  dns: { host: "127.0.0.1", port: 0 },
  api: { host: "127.0.0.1", port: 0 },
  udpWorkers: 2,
});
t.teardown(() => primary.close());
const server = { host: "127.0.0.1", port: primary.dns.udp.port };

t.test(
  "UDP worker processes answer on the shared port; TCP stays in the main process",
  async (t) => {
    t.equal(primary.dns.udp.port, primary.dns.tcp.port, "one port for UDP and TCP");
    const answers = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await query(server, "www.workers.test", "A");
      const a = r.decoded?.answers?.[0] as { data?: string } | undefined;
      answers.add(String(a?.data));
    }
    t.same([...answers], ["192.0.2.80"], "every UDP answer comes from the zone");
    const tcp = await query(server, "www.workers.test", "A", { tcp: true });
    const first = tcp.decoded?.answers?.[0] as { data?: string } | undefined;
    t.equal(first?.data, "192.0.2.80", "TCP answers too");
  },
);

/** What an answer says, in a form to compare: the rcode and the answer records, sorted. */
function answerOf(r: { parsed: ParsedMessage }): string {
  const rrs = r.parsed.answer.map(rrText).sort();
  return [rcodeText(r.parsed.rcode), ...rrs].join("\n");
}

const base = `http://127.0.0.1:${primary.api?.port}/client/v4`;

async function api<R = unknown>(method: string, path: string, body?: unknown): Promise<R> {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as { success: boolean; result: R; errors: unknown };
  if (!res.ok || !json.success)
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json.errors)}`);
  return json.result;
}

const tcp = async (name: string, type: string) =>
  answerOf(await query(server, name, type, { tcp: true }));

async function udpAnswers(name: string, type: string, n = 16): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add(answerOf(await query(server, name, type)));
  return [...seen];
}

/**
 * Every one of many UDP answers (both workers answer some) is `want`. The workers apply a
 * broadcast change asynchronously: retry for up to `ms` before failing.
 */
async function udpSees(
  t: Test,
  name: string,
  type: string,
  want: string,
  what: string,
  ms = 2000,
): Promise<void> {
  const deadline = Date.now() + ms;
  let seen = await udpAnswers(name, type);
  while (!(seen.length === 1 && seen[0] === want) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    seen = await udpAnswers(name, type);
  }
  t.same(seen, [want], what);
}

t.test("changes made through the API reach the UDP workers", async (t) => {
  const serialOf = (answer: string) => Number(answer.split("\n")[1]?.split(" ")[6]);

  const zones = await api<Array<{ id: string }>>("GET", "/zones?name=workers.test");
  t.equal(zones.length, 1, "the zone from the file is listed");
  const zoneId = zones[0].id;
  const soa0 = await tcp("workers.test", "SOA");
  await udpSees(t, "workers.test", "SOA", soa0, "the workers start with the file's SOA");

  // (a) a new record, and the new serial with it
  const rec = await api<{ id: string }>("POST", `/zones/${zoneId}/dns_records`, {
    type: "A",
    name: "api.workers.test",
    content: "192.0.2.10",
    ttl: 300,
  });
  const soa1 = await tcp("workers.test", "SOA");
  t.ok(serialOf(soa1) > serialOf(soa0), "TCP: the write moved the serial");
  const a1 = await tcp("api.workers.test", "A");
  t.match(a1, /192\.0\.2\.10$/, "TCP: the record is served");
  await udpSees(t, "api.workers.test", "A", a1, "(a) every UDP answer has the new record");
  await udpSees(t, "workers.test", "SOA", soa1, "(a) every UDP answer has the new serial");

  // (b) proxied: the anycast addresses, not the content
  await api("PATCH", `/zones/${zoneId}/dns_records/${rec.id}`, { proxied: true });
  const a2 = await tcp("api.workers.test", "A");
  t.notMatch(a2, /192\.0\.2\.10/, "TCP: a proxied record answers with anycast addresses");
  t.match(a2, /NOERROR\n.* A \d/, "TCP: ...and answers A records");
  await udpSees(t, "api.workers.test", "A", a2, "(b) UDP answers the same anycast addresses");
  await udpSees(t, "workers.test", "SOA", await tcp("workers.test", "SOA"), "(b) and serial");

  // (c) a user apex NS, served once multi_provider is on
  await api("POST", `/zones/${zoneId}/dns_records`, {
    type: "NS",
    name: "workers.test",
    content: "ns1.other-provider.example",
    ttl: 300,
  });
  const ns1 = await tcp("workers.test", "NS");
  await udpSees(t, "workers.test", "NS", ns1, "(c) UDP NS as TCP before multi_provider");
  await api("PATCH", `/zones/${zoneId}/dns_settings`, { multi_provider: true });
  const ns2 = await tcp("workers.test", "NS");
  t.match(ns2, /ns1\.other-provider\.example/, "TCP: multi_provider serves the user's apex NS");
  t.not(ns2, ns1, "TCP: the NS answer changed with multi_provider");
  await udpSees(t, "workers.test", "NS", ns2, "(c) UDP NS as TCP after multi_provider");
  await udpSees(t, "workers.test", "SOA", await tcp("workers.test", "SOA"), "(c) and serial");

  // (c2) the account enforces DNS-only: the origin address, then the anycast pair again
  const accounts = await api<Array<{ id: string }>>("GET", "/accounts");
  const settings = `/accounts/${accounts[0].id}/dns_settings`;
  await api("PATCH", settings, { enforce_dns_only: true });
  const origin = await tcp("api.workers.test", "A");
  t.match(origin, /192\.0\.2\.10$/, "TCP: enforce_dns_only serves the origin address");
  await udpSees(t, "api.workers.test", "A", origin, "(c2) UDP serves it too");
  await udpSees(t, "workers.test", "SOA", await tcp("workers.test", "SOA"), "(c2) and serial");
  await api("PATCH", settings, { enforce_dns_only: false });
  t.equal(await tcp("api.workers.test", "A"), a2, "TCP: the anycast pair again");
  await udpSees(t, "api.workers.test", "A", a2, "(c2) UDP: the anycast pair again");

  // (c3) DNSSEC on: the workers sign with the zone's keys (signatures differ each time:
  // ECDSA is randomized), and serve the same DNSKEY RRset as the main process.
  await api("PATCH", `/zones/${zoneId}/dnssec`, { status: "active" });
  const dnskeyTcp = await tcp("workers.test", "DNSKEY");
  t.match(dnskeyTcp, /IN DNSKEY \\# 68 0101030d/, "TCP: the DNSKEY RRset, the KSK in it");
  await udpSees(t, "workers.test", "DNSKEY", dnskeyTcp, "(c3) UDP: the same keys");
  let signed = 0;
  for (let i = 0; i < 16; i++) {
    const r = await query(server, "www.workers.test", "A", { dnssecOk: true });
    if (r.parsed.answer.some((rr) => rr.type === 46)) signed++;
  }
  t.equal(signed, 16, "(c3) every UDP answer to a DO query is signed");
  await api("DELETE", `/zones/${zoneId}/dnssec`);
  await udpSees(t, "workers.test", "DNSKEY", await tcp("workers.test", "DNSKEY"), "(c3) off");

  // (d) a zone created through the API, and a record in it
  const created = await api<{ id: string }>("POST", "/zones", { name: "fresh-workers.test" });
  await api("POST", `/zones/${created.id}/dns_records`, {
    type: "AAAA",
    name: "www.fresh-workers.test",
    content: "2001:db8::80",
    ttl: 120,
  });
  const aaaa = await tcp("www.fresh-workers.test", "AAAA");
  t.match(aaaa, /2001:db8::80$/, "TCP: the new zone serves its record");
  await udpSees(t, "www.fresh-workers.test", "AAAA", aaaa, "(d) UDP serves the new zone's record");
  await udpSees(
    t,
    "fresh-workers.test",
    "SOA",
    await tcp("fresh-workers.test", "SOA"),
    "(d) UDP serves the new zone's SOA and serial",
  );

  // (e) the zone removed: refused
  await api("DELETE", `/zones/${created.id}`);
  const gone = await tcp("www.fresh-workers.test", "AAAA");
  t.equal(gone, "REFUSED", "TCP: a removed zone is refused");
  await udpSees(t, "www.fresh-workers.test", "AAAA", "REFUSED", "(e) UDP refuses the removed zone");
  await udpSees(t, "api.workers.test", "A", a2, "the other zone is still served");
});

t.test("a worker that replaces a dead one serves what the others serve", async (t) => {
  // State the zone files do not have: a zone and records made through the API.
  const kept = await api<{ id: string }>("POST", "/zones", { name: "kept-workers.test" });
  await api("POST", `/zones/${kept.id}/dns_records`, {
    type: "TXT",
    name: "note",
    content: "made through the API",
  });
  const [zone] = await api<Array<{ id: string }>>("GET", "/zones?name=workers.test");
  await api("POST", `/zones/${zone.id}/dns_records`, {
    type: "A",
    name: "before-kill",
    content: "192.0.2.77",
  });
  const checks: Array<[string, string]> = [
    ["note.kept-workers.test", "TXT"],
    ["before-kill.workers.test", "A"],
    ["workers.test", "SOA"],
    ["workers.test", "NS"],
  ];
  for (const [name, type] of checks)
    await udpSees(t, name, type, await tcp(name, type), `before: ${name} ${type}`);

  const victim = Object.values(cluster.workers ?? {})[0];
  t.ok(victim, "a worker to stop");
  const pid = victim?.process.pid;
  victim?.process.kill("SIGKILL");
  // Replaced after about a second; the new worker must not serve the zone files' state.
  const deadline = Date.now() + 15000;
  const live = () =>
    Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead() && w.process.pid !== pid);
  while (live().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.equal(live().length, 2, "the dead worker was replaced");
  for (const [name, type] of checks)
    await udpSees(t, name, type, await tcp(name, type), `after: ${name} ${type}`, 5000);

  // And it follows changes made after it started.
  await api("POST", `/zones/${zone.id}/dns_records`, {
    type: "A",
    name: "after-kill",
    content: "192.0.2.78",
  });
  for (const [name, type] of [...checks, ["after-kill.workers.test", "A"] as [string, string]])
    await udpSees(t, name, type, await tcp(name, type), `later: ${name} ${type}`);
});

t.test(
  "UDP workers verify and sign with the TSIGs (RFC 8945 §5.3), including new ones",
  async (t) => {
    const secret = "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=";
    const [account] = await api<Array<{ id: string }>>("GET", "/accounts");
    const created = await api<{ id: string }>(
      "POST",
      `/accounts/${account.id}/secondary_dns/tsigs`,
      {
        name: "worker-key.",
        algo: "hmac-sha256",
        secret,
      },
    );
    const key = tsigKey("worker-key.", "hmac-sha256", secret);
    const ask = async (): Promise<{ ok: boolean; why?: string }> => {
      const request = dnsPacket.encode({
        type: "query",
        id: Math.floor(Math.random() * 65535),
        questions: [{ type: "SOA", name: "workers.test", class: "IN" }],
      });
      const { message, mac } = signRequest(request, key, Date.now() / 1000);
      const sock = dgram.createSocket("udp4");
      try {
        const reply = await new Promise<Buffer>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("no answer")), 2000);
          sock.once("message", (m) => {
            clearTimeout(timer);
            resolve(m);
          });
          sock.send(message, server.port, server.host);
        });
        const check = new ResponseVerifier(key, mac, () => Date.now() / 1000).verify(reply);
        return check.ok ? { ok: true } : { ok: false, why: `${check.error}: ${check.reason}` };
      } finally {
        sock.close();
      }
    };
    // Many queries, so both workers answer some; the key reaches them asynchronously.
    const deadline = Date.now() + 3000;
    let results = await Promise.all(Array.from({ length: 16 }, ask));
    while (results.some((r) => !r.ok) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      results = await Promise.all(Array.from({ length: 16 }, ask));
    }
    t.same(
      results.filter((r) => !r.ok),
      [],
      "every UDP answer to a signed query is signed and verifies",
    );
    await api("DELETE", `/accounts/${account.id}/secondary_dns/tsigs/${created.id}`);
  },
);

t.test("a restart from --data-dir: the workers serve the stored serial and settings", async (t) => {
  const zonesDir = mkdtempSync(join(tmpdir(), "dns-primary-workers-zones-"));
  const dataDir = mkdtempSync(join(tmpdir(), "dns-primary-workers-data-"));
  writeFileSync(join(zonesDir, "workers.test.zone"), ZONE);
  const options = {
    zonesDir,
    dataDir,
    dns: { host: "127.0.0.1", port: 0 },
    notify: false as const,
  };
  const a = await startServer(options);
  const zone = a.zoneSet.get("workers.test.")!;
  a.cloudflare.editDnsSettings(zone, { ns_ttl: 1234 }); // a commit: serial 8
  await a.reload(); // the file is what the zone holds (bar the serial): taken from it next time
  await a.close();

  const b = await startServer({ ...options, udpWorkers: 1 });
  t.teardown(() => b.close());
  const at = { host: "127.0.0.1", port: b.dns.udp.port };
  const soa = await query(at, "workers.test", "SOA");
  t.equal((soa.decoded?.answers?.[0] as { data?: { serial?: number } })?.data?.serial, 8);
  const ns = await query(at, "workers.test", "NS");
  t.equal((ns.decoded?.answers?.[0] as { ttl?: number })?.ttl, 1234, "the stored NS TTL");
});
