import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { watchZoneFiles } from "../src/cli/watch.js";
import { startServer } from "../src/primary.js";
import { T } from "../src/wire/types.js";
import { query } from "./peers/client.js";

const zoneText = (extra: string) => `$ORIGIN reload.test.
$TTL 300
@ SOA ns hostmaster 100 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
${extra}
`;

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-reload-"));
  const file = join(dir, "reload.test.zone");
  writeFileSync(file, zoneText("www A 192.0.2.80"));
  return { dir, file };
}

const answerOf = async (port: number, name: string, tcp = false) => {
  const r = await query({ host: "127.0.0.1", port }, name, "A", { tcp });
  return (r.decoded?.answers ?? []).map((a) => String((a as { data?: unknown }).data));
};

for (const udpWorkers of [0, 1]) {
  t.test(`reload applies a file's difference, with ${udpWorkers} UDP workers`, async (t) => {
    const { dir, file } = setup();
    const primary = await startServer({
      zonesDir: dir,
      dns: { host: "127.0.0.1", port: 0 },
      udpWorkers,
    });
    t.teardown(() => primary.close());
    const port = primary.dns.udp.port;
    t.same(await answerOf(port, "www.reload.test"), ["192.0.2.80"]);

    writeFileSync(file, zoneText("www A 192.0.2.81\napi A 192.0.2.90"));
    const [r] = await primary.reload();
    t.match(r, { origin: "reload.test.", changed: true, serial: 101 });
    // Workers get the change over IPC; give it a moment to arrive.
    await new Promise((res) => setTimeout(res, 200));
    t.same(await answerOf(port, "www.reload.test"), ["192.0.2.81"], "UDP sees the new version");
    t.same(await answerOf(port, "api.reload.test", true), ["192.0.2.90"], "TCP too");

    writeFileSync(file, zoneText("www A 192.0.2.81\napi A not-an-address"));
    const [bad] = await primary.reload();
    t.match(bad, { changed: false, serial: 101, error: /reload\.test\.zone:7: / });
    t.same(
      await answerOf(port, "api.reload.test"),
      ["192.0.2.90"],
      "a broken file changes nothing",
    );

    const cs = primary.commit("reload.test.", {
      add: [{ name: "lib.reload.test.", type: T.A, ttl: 300, rdata: Buffer.from([192, 0, 2, 7]) }],
    });
    t.equal(cs.added.length, 1, "the library commits through the same path");
    await new Promise((res) => setTimeout(res, 200));
    t.same(await answerOf(port, "lib.reload.test"), ["192.0.2.7"]);
  });
}

t.test("--watch notices a saved file", async (t) => {
  const { file } = setup();
  const seen: string[][] = [];
  const w = watchZoneFiles(new Map([[file, "reload.test."]]), (o) => seen.push(o), 50);
  t.teardown(() => w.close());
  writeFileSync(file, zoneText("www A 192.0.2.99"));
  writeFileSync(file, zoneText("www A 192.0.2.98"));
  await new Promise((res) => setTimeout(res, 400));
  t.same(seen, [["reload.test."]], "a burst of writes gives one reload");
});

t.test("queries are answered while a big zone file is reloaded", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-reload-big-"));
  const file = join(dir, "reload.test.zone");
  const body = (v: number) => zoneText(`$GENERATE 1-100000 h$ TXT "version-${v}-name-$"\n`);
  writeFileSync(file, body(1));
  const primary = await startServer({ zonesDir: dir, dns: { host: "127.0.0.1", port: 0 } });
  t.teardown(() => primary.close());
  writeFileSync(file, body(2));
  let reloaded = false;
  let answeredDuring = 0;
  const reload = primary.reload().then((r) => {
    reloaded = true;
    return r;
  });
  while (!reloaded) {
    const a = await answerOf(primary.dns.udp.port, "ns.reload.test");
    if (!reloaded && a[0] === "192.0.2.53") answeredDuring++;
  }
  const [r] = await reload;
  t.match(r, { changed: true, serial: 101 });
  t.ok(answeredDuring > 0, `${answeredDuring} queries answered during the reload`);
  const r7 = await query(
    { host: "127.0.0.1", port: primary.dns.udp.port },
    "h7.reload.test",
    "TXT",
  );
  const txt = r7.decoded?.answers?.[0] as { data?: unknown } | undefined;
  t.same(String(txt?.data), "version-2-name-7");
});
