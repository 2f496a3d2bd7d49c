// The AXFR messages kept for the next request of the same version (server/axfr-cache.ts):
// what is sent from them is byte for byte what a fresh build sends, signed or not; a change,
// a cut transfer and the byte bound each keep them from being used.
import packet from "dns-packet";
import t from "tap";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { AxfrCache } from "../../src/server/axfr-cache.js";
import type { HandlerResult } from "../../src/server/handler.js";
import { createQueryHandler } from "../../src/server/query.js";
import { createKeyring } from "../../src/server/signed.js";
import { createTransferHandler } from "../../src/server/transfer.js";
import { collect } from "../../src/server/xfr.js";
import { ResponseVerifier, signRequest, tsigKey } from "../../src/wire/tsig.js";
import { zoneFromText } from "../../src/zone/load.js";
import { ZoneSet } from "../../src/zone/zoneset.js";
import { requestContext, xfrRequest } from "./xfr-requests.js";

const SECRET = "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=";
const NOW = 1_800_000_000;
const zoneText = (origin: string) => `$ORIGIN ${origin}
$TTL 300
@ SOA ns hostmaster 10 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
$GENERATE 1-3000 host$ TXT "record $"
$GENERATE 1-500 alias$ CNAME host$
`;
const key = tsigKey("xfr-key.", "hmac-sha256", SECRET);

/** Two handlers over the same zones and settings: one keeps AXFR messages, one never does. */
function setup(maxBytes = 64 * 1024 * 1024, origins = ["example."], signed = false) {
  const zones = new ZoneSet();
  for (const o of origins) zones.add(zoneFromText(zoneText(o), { file: "inline" }).zone);
  const settings = new TransferSettings({ now: () => new Date(NOW * 1000) });
  // Cloudflare's policy: with a TSIG on the peers, every request must be signed with it.
  const tsig = signed
    ? settings.createTsig({ name: "xfr-key.", algo: "hmac-sha256", secret: SECRET })
    : undefined;
  const peer = settings.createPeer({ name: "p", ip: "127.0.0.1", port: 53, tsig_id: tsig?.id });
  for (const o of origins) settings.createOutgoing(o, { peers: [peer.id], status: "Enabled" });
  const keyring = createKeyring(settings, () => NOW);
  const cache = new AxfrCache(maxBytes);
  const handler = (axfrCache?: AxfrCache) =>
    createQueryHandler(zones, {
      keyring,
      transfer: createTransferHandler({ zones, settings, now: () => NOW, keyring, axfrCache }),
    });
  return { zones, cache, kept: handler(cache), fresh: handler() };
}

type Handler = ReturnType<typeof setup>["kept"];

async function run(h: Handler, msg: Buffer): Promise<Buffer[]> {
  const r: HandlerResult = h.handle(msg, requestContext());
  if (r === null) return [];
  if (Buffer.isBuffer(r)) return [r];
  return collect(r);
}

/** An AXFR with this ID and RD set or not, signed or not. */
function axfr(origin: string, id: number, rd: boolean, signed: boolean) {
  const m = xfrRequest(origin, "AXFR", { id });
  if (rd) m[2] |= 0x01;
  if (!signed) return { message: m, mac: undefined };
  return signRequest(m, key, NOW);
}

const answerCount = (msgs: Buffer[]) =>
  msgs.reduce((n, m) => n + (packet.decode(m).answers?.length ?? 0), 0);

t.test("from its third AXFR on, a version is sent from the kept messages, as built", async (t) => {
  const { cache, kept, fresh } = setup();
  const first = await run(kept, axfr("example.", 1, false, false).message);
  t.ok(first.length > 3, `several messages (${first.length})`);
  t.match(cache.stats(), { hits: 0, misses: 1, streams: 0 }, "the first request is only noted");
  const second = await run(kept, axfr("example.", 2, false, false).message);
  t.equal(second.length, first.length);
  t.match(cache.stats(), { hits: 0, misses: 2, streams: 1 }, "the second one keeps its stream");

  // Another ID, RD set: the kept messages made this request's own.
  const again = axfr("example.", 4242, true, false).message;
  const fromKept = await run(kept, again);
  t.match(cache.stats(), { hits: 1, streams: 1 });
  t.same(fromKept, await run(fresh, again), "the bytes a fresh build sends");
  t.equal(packet.decode(fromKept[0]).id, 4242);
  t.equal(answerCount(fromKept), 3000 + 500 + 3 + 1);

  // Signed: every message gets its own MAC, chained as RFC 8945 §5.3.1 says.
  const signing = setup(undefined, undefined, true);
  const s1 = axfr("example.", 7, false, true);
  t.ok((await run(signing.kept, s1.message)).length > 3);
  await run(signing.kept, axfr("example.", 6, false, true).message);
  t.match(signing.cache.stats(), { streams: 1 });
  const s2 = axfr("example.", 8, true, true);
  const signedKept = await run(signing.kept, s2.message);
  t.match(signing.cache.stats(), { hits: 1 });
  t.same(signedKept, await run(signing.fresh, s2.message), "what a fresh signed build sends");
  const v = new ResponseVerifier(key, s2.mac!, () => NOW);
  for (const m of signedKept) t.match(v.verify(m), { ok: true });
});

t.test("a change: the next AXFR is built from the new version", async (t) => {
  const { zones, cache, kept } = setup();
  await run(kept, axfr("example.", 1, false, false).message);
  await run(kept, axfr("example.", 1, false, false).message);
  const zone = zones.get("example.")!;
  zone.commit({
    add: [{ name: "new.example.", type: 1, ttl: 300, rdata: Buffer.from([192, 0, 2, 9]) }],
  });
  t.match(cache.stats(), { streams: 1 });
  const after = await run(kept, axfr("example.", 2, false, false).message);
  t.match(cache.stats(), { hits: 0, misses: 3, streams: 0 }, "the old version's let go");
  const names = after.flatMap((m) => packet.decode(m).answers?.map((a) => a.name) ?? []);
  t.ok(names.includes("new.example"), "the new record");
  t.equal((packet.decode(after[0]).answers![0] as { data: { serial: number } }).data.serial, 11);
});

t.test("a transfer cut before its end keeps nothing", async (t) => {
  const { cache, kept } = setup();
  await run(kept, axfr("example.", 1, false, false).message); // noted: the next one keeps
  const r = kept.handle(axfr("example.", 1, false, false).message, requestContext());
  const it = (r as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  await it.next();
  await it.return?.();
  t.match(cache.stats(), { streams: 0, bytes: 0 });
  await run(kept, axfr("example.", 2, false, false).message);
  t.match(cache.stats(), { streams: 1 });
});

t.test("the byte bound: a stream larger is never kept; the least recently used goes", async (t) => {
  // Twice each: a version's stream is kept from its second request on.
  const twice = async (h: Handler, origin: string) => {
    await run(h, axfr(origin, 1, false, false).message);
    await run(h, axfr(origin, 1, false, false).message);
  };
  const tiny = setup(10_000);
  await twice(tiny.kept, "example.");
  t.match(tiny.cache.stats(), { streams: 0, bytes: 0 }, "larger than the bound");

  const one = setup(1, ["a.example.", "b.example."]);
  await twice(one.kept, "a.example.");
  const size = one.cache.stats().bytes;
  t.equal(size, 0, "a bound of one byte keeps nothing");

  const two = setup(150_000, ["a.example.", "b.example."]);
  await twice(two.kept, "a.example.");
  const a = two.cache.stats().bytes;
  t.ok(a > 75_000 && a <= 150_000, `one stream fits (${a} bytes), two do not`);
  await twice(two.kept, "b.example.");
  t.match(two.cache.stats(), { streams: 1 }, "b's took a's place");
  await run(two.kept, axfr("b.example.", 2, false, false).message);
  t.match(two.cache.stats(), { hits: 1 });
  await run(two.kept, axfr("a.example.", 2, false, false).message);
  t.match(two.cache.stats(), { hits: 1, misses: 5 }, "a's was gone");

  const none = setup(0);
  await twice(none.kept, "example.");
  t.match(none.cache.stats(), { streams: 0, misses: 0 }, "0 keeps none");
});
