import packet from "dns-packet";
import t from "tap";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import type { RequestContext } from "../../src/server/handler.js";
import { createQueryHandler } from "../../src/server/query.js";
import { createKeyring } from "../../src/server/signed.js";
import { createTransferHandler } from "../../src/server/transfer.js";
import { collect } from "../../src/server/xfr.js";
import { ResponseVerifier, signRequest, tsigKey } from "../../src/wire/tsig.js";
import { T } from "../../src/wire/types.js";
import { zoneFromText } from "../../src/zone/load.js";
import { ZoneSet } from "../../src/zone/zoneset.js";
import { requestContext, xfrRequest } from "./xfr-requests.js";

const SECRET = "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=";
const ZONE = `$ORIGIN example.
$TTL 300
@ SOA ns hostmaster 10 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
www A 192.0.2.80
`;
const NOW = 1_800_000_000;

function setup(opts: { tsig?: boolean; enabled?: boolean; acl?: string } = {}) {
  const zones = new ZoneSet();
  const { zone } = zoneFromText(ZONE, { file: "inline" });
  zones.add(zone);
  const settings = new TransferSettings({ now: () => new Date(NOW * 1000) });
  const tsig =
    opts.tsig === false
      ? undefined
      : settings.createTsig({ name: "xfr-key.", algo: "hmac-sha256", secret: SECRET });
  const peer = settings.createPeer({
    name: "bind",
    ip: "127.0.0.1",
    port: 53,
    tsig_id: tsig?.id ?? null,
  });
  settings.createOutgoing("example.", {
    peers: [peer.id],
    status: opts.enabled === false ? "Disabled" : "Enabled",
  });
  if (opts.acl) settings.createAcl({ name: "lab", ip_range: opts.acl });
  const logs: Array<Record<string, unknown>> = [];
  const logger = {
    info: (o: Record<string, unknown>) => logs.push({ level: "info", ...o }),
    warn: (o: Record<string, unknown>) => logs.push({ level: "warn", ...o }),
    debug: () => {},
  } as never;
  const keyring = createKeyring(settings, () => NOW);
  const transfer = createTransferHandler({ zones, settings, logger, now: () => NOW, keyring });
  const h = createQueryHandler(zones, { transfer, keyring });
  return { zones, zone, settings, h, logs };
}

const key = tsigKey("xfr-key.", "hmac-sha256", SECRET);
const ctx = requestContext;
const request = (qtype: "AXFR" | "IXFR", serial?: number): Buffer =>
  xfrRequest("example", qtype, { serial });

async function run(h: ReturnType<typeof setup>["h"], msg: Buffer, c = ctx()): Promise<Buffer[]> {
  const r = h.handle(msg, c);
  if (r === null) return [];
  if (Buffer.isBuffer(r)) return [r];
  return collect(r);
}

const rcode = (m: Buffer) => m[3] & 0xf;
const answers = (m: Buffer) =>
  (packet.decode(m) as unknown as { answers: Array<{ type: string; data: { serial?: number } }> })
    .answers;

t.test("a signed AXFR from a linked peer: every message signed and verifiable", async (t) => {
  const { h, settings, logs } = setup();
  const { message, mac } = signRequest(request("AXFR"), key, NOW);
  const msgs = await run(h, message);
  t.ok(msgs.length >= 1);
  const v = new ResponseVerifier(key, mac, () => NOW);
  for (const m of msgs) t.match(v.verify(m), { ok: true }, "message verifies");
  const all = msgs.flatMap(answers);
  t.equal(all[0].type, "SOA");
  t.equal(all[all.length - 1].type, "SOA");
  t.equal(all.length, 5);
  t.ok(settings.getOutgoing("example.").last_transferred_time, "last transfer recorded");
  t.match(logs.at(-1), {
    level: "info",
    type: "AXFR",
    outcome: "finished",
    records: 5,
    key: "xfr-key.",
  });
});

t.test("refusals: rcode, TSIG error and a log line with the reason", async (t) => {
  const wrong = tsigKey("xfr-key.", "hmac-sha256", Buffer.alloc(32, 7).toString("base64"));
  const unknown = tsigKey("other-key.", "hmac-sha256", SECRET);
  const otherAlgorithm = tsigKey("xfr-key.", "hmac-sha512", SECRET);
  const cases: Array<{
    label: string;
    msg: () => Buffer;
    c?: RequestContext;
    opts?: Parameters<typeof setup>[0];
    rcode: number;
    reason: RegExp;
  }> = [
    {
      label: "wrong secret",
      msg: () => signRequest(request("AXFR"), wrong, NOW).message,
      rcode: 9,
      reason: /^TSIG BADSIG: the MAC does not verify with key xfr-key\. \(hmac-sha256\)/,
    },
    {
      label: "unknown key",
      msg: () => signRequest(request("AXFR"), unknown, NOW).message,
      rcode: 9,
      reason: /^TSIG BADKEY: no key named other-key\.$/,
    },
    {
      // The key's name is right and its algorithm is not: said as such, not only BADKEY.
      label: "the right key name with another algorithm",
      msg: () => signRequest(request("AXFR"), otherAlgorithm, NOW).message,
      rcode: 9,
      reason: /^TSIG BADKEY: key xfr-key\. is hmac-sha256, the request used hmac-sha512$/,
    },
    {
      label: "stale signature",
      msg: () => signRequest(request("AXFR"), key, NOW - 3600).message,
      rcode: 9,
      reason: /^TSIG BADTIME: signed 3600 s ago, fudge 300 s$/,
    },
    {
      label: "unsigned",
      msg: () => request("AXFR"),
      rcode: 5,
      reason: /not signed with the zone's TSIG/,
    },
    {
      label: "foreign source",
      msg: () => signRequest(request("AXFR"), key, NOW).message,
      c: ctx("127.0.0.2"),
      rcode: 5,
      reason: /neither a linked peer nor in an ACL/,
    },
    {
      label: "disabled",
      msg: () => signRequest(request("AXFR"), key, NOW).message,
      opts: { enabled: false },
      rcode: 5,
      reason: /not enabled/,
    },
    {
      label: "UDP AXFR",
      msg: () => signRequest(request("AXFR"), key, NOW).message,
      c: ctx("127.0.0.1", "udp"),
      rcode: 1,
      reason: /AXFR over UDP/,
    },
  ];
  for (const c of cases) {
    const { h, logs } = setup(c.opts);
    const [m] = await run(h, c.msg(), c.c);
    t.equal(rcode(m), c.rcode, `${c.label}: rcode`);
    t.match(
      logs.at(-1),
      { level: "warn", reason: c.reason, zone: "example." },
      `${c.label}: logged`,
    );
  }
});

t.test("an ACL admits another source; without a TSIG nothing needs signing", async (t) => {
  const { h } = setup({ tsig: false, acl: "127.0.0.0/24" });
  const msgs = await run(h, request("AXFR"), ctx("127.0.0.9"));
  t.equal(rcode(msgs[0]), 0);
  t.equal(msgs.flatMap(answers).length, 5);
});

t.test("IXFR: current → one SOA; history → incremental; too old → full zone; UDP", async (t) => {
  const { h, zone } = setup({ tsig: false });
  const soaSerials = (ms: Buffer[]) =>
    ms.flatMap(answers).map((a) => (a.type === "SOA" ? `SOA${a.data.serial}` : a.type));
  t.same(soaSerials(await run(h, request("IXFR", 10))), ["SOA10"], "current");
  zone.commit({
    add: [{ name: "new.example.", type: T.A, ttl: 300, rdata: Buffer.from([1, 2, 3, 4]) }],
  });
  t.same(
    soaSerials(await run(h, request("IXFR", 10))),
    ["SOA11", "SOA10", "SOA11", "A", "SOA11"],
    "incremental",
  );
  t.same(
    soaSerials(await run(h, request("IXFR", 10), ctx("127.0.0.1", "udp"))),
    ["SOA11", "SOA10", "SOA11", "A", "SOA11"],
    "incremental over UDP",
  );
  t.same(
    soaSerials(await run(h, request("IXFR", 3))),
    ["SOA11", "NS", "A", "A", "A", "SOA11"],
    "unknown serial: AXFR-style",
  );
  t.same(
    soaSerials(await run(h, request("IXFR", 3), ctx("127.0.0.1", "udp"))),
    ["SOA11"],
    "AXFR-style does not go over UDP",
  );
  zone.journal.clear();
  t.same(
    soaSerials(await run(h, request("IXFR", 10))).length,
    6,
    "after the backlog is cleared: AXFR-style",
  );
  t.same(
    soaSerials(await run(h, request("IXFR", 12))),
    ["SOA11"],
    "a newer client serial: one SOA",
  );
});

t.test(
  "signed ordinary queries get signed answers (RFC 8945 §5.3); bad ones NOTAUTH",
  async (t) => {
    const { h } = setup();
    const soaQuery = () =>
      packet.encode({
        id: 5,
        type: "query",
        flags: 0,
        questions: [{ name: "example", type: "SOA", class: "IN" }],
      });
    const { message, mac } = signRequest(soaQuery(), key, NOW);
    for (const transport of ["udp", "tcp"] as const) {
      const [m] = await run(h, message, ctx("127.0.0.1", transport));
      t.equal(rcode(m), 0);
      t.equal(answers(m)[0].type, "SOA");
      t.match(
        new ResponseVerifier(key, mac, () => NOW).verify(m),
        { ok: true },
        `${transport}: signed answer verifies`,
      );
    }
    const wrong = tsigKey("xfr-key.", "hmac-sha256", Buffer.alloc(32, 9).toString("base64"));
    const [bad] = await run(h, signRequest(soaQuery(), wrong, NOW).message);
    t.equal(rcode(bad), 9, "BADSIG: NOTAUTH");
    const refused = signRequest(
      packet.encode({
        id: 6,
        type: "query",
        flags: 0,
        questions: [{ name: "www.other.test", type: "A", class: "IN" }],
      }),
      key,
      NOW,
    );
    const [r] = await run(h, refused.message);
    t.equal(rcode(r), 5, "REFUSED outside our zones...");
    t.match(
      new ResponseVerifier(key, refused.mac, () => NOW).verify(r),
      { ok: true },
      "...and signed",
    );
  },
);

t.test("a signed AXFR for a zone not served gets a signed NOTAUTH", async (t) => {
  const { h } = setup();
  const { message, mac } = signRequest(
    packet.encode({
      id: 7,
      type: "query",
      flags: 0,
      questions: [{ name: "other.test", type: "AXFR", class: "IN" }],
    }),
    key,
    NOW,
  );
  const [m] = await run(h, message);
  t.equal(rcode(m), 9);
  t.match(new ResponseVerifier(key, mac, () => NOW).verify(m), { ok: true });
});
