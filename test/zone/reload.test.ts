import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { rdataToText } from "../../src/wire/rdata.js";
import { T, typeToText } from "../../src/wire/types.js";
import { ZoneFileError } from "../../src/zone/errors.js";
import type { RR } from "../../src/zone/journal.js";
import { loadZoneFile } from "../../src/zone/load.js";
import { reloadZoneFile, reloadZoneFileAsync } from "../../src/zone/reload.js";

const V1 = `$ORIGIN example.
$TTL 300
@ SOA ns hostmaster 2024010101 3600 600 86400 60
@ NS ns
ns A 192.0.2.53
www A 192.0.2.80
old A 192.0.2.1
ttl A 192.0.2.7
tag A 192.0.2.8
`;
const V2 = `$ORIGIN example.
$TTL 300
@ SOA ns hostmaster 2024010101 7200 600 86400 60
@ NS ns
ns A 192.0.2.53
www A 192.0.2.80
www A 192.0.2.81
ttl 60 A 192.0.2.7
tag A 192.0.2.8 ; cf_tags=cf-proxied:true
`;

const show = (rrs: RR[]) =>
  rrs.map(
    (r) =>
      `${r.name} ${r.ttl} ${typeToText(r.type)} ${rdataToText(r.type, Buffer.from(r.rdata, "latin1"))}`,
  );

t.test("a changed zone file becomes one changeset with the next serial", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-reload-"));
  const file = join(dir, "example.zone");
  writeFileSync(file, V1);
  const { zone } = loadZoneFile(file);
  t.equal(zone.serial, 2024010101);
  t.notOk(reloadZoneFile(zone).changeset, "unchanged file: no new version");
  t.equal(zone.serial, 2024010101);

  writeFileSync(file, V2);
  const { changeset } = reloadZoneFile(zone);
  t.ok(changeset);
  t.equal(zone.serial, 2024010102, "serial + 1, whatever the file says");
  t.equal(zone.soa.refresh, 7200, "SOA fields from the file");
  t.same(show(changeset!.removed).sort(), [
    "old.example. 300 A 192.0.2.1",
    "ttl.example. 300 A 192.0.2.7",
  ]);
  t.same(show(changeset!.added).sort(), [
    "ttl.example. 60 A 192.0.2.7",
    "www.example. 300 A 192.0.2.81",
  ]);
  t.same([...zone.meta.values()], [{ proxied: true }], "Cloudflare fields follow the file");
  t.equal(zone.journal.since(2024010101)?.length, 1);

  writeFileSync(file, `${V2}\nbroken IN MX ten mail\n`);
  t.throws(() => reloadZoneFile(zone), ZoneFileError, "a broken file is an error");
  t.equal(zone.serial, 2024010102, "and the served zone is untouched");
  t.ok(zone.node("www.example.")?.get(T.A));

  writeFileSync(file, V2.replace("$ORIGIN example.", "$ORIGIN other."));
  t.throws(() => reloadZoneFile(zone), /now holds zone other\./);
});

t.test(
  "a small file and a file with $GENERATE reload alike, each after other work had its turn",
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "dns-primary-reload-"));
    const small = join(dir, "example.zone");
    const generated = join(dir, "gen.example.zone");
    writeFileSync(small, V1);
    writeFileSync(generated, V1.replace("$ORIGIN example.", "$ORIGIN gen.example."));
    const zones = [loadZoneFile(small).zone, loadZoneFile(generated).zone];
    writeFileSync(small, V2);
    // $generate (any case) sends the file to the worker thread even though it is small.
    writeFileSync(
      generated,
      `${V2.replace("$ORIGIN example.", "$ORIGIN gen.example.")}$generate 1-3 g$ A 192.0.2.$\n`,
    );
    for (const zone of zones) {
      let otherWork = false;
      setImmediate(() => {
        otherWork = true;
      });
      const r = await reloadZoneFileAsync(zone);
      t.ok(otherWork, `${zone.origin}: the event loop turned before the reload finished`);
      t.ok(r.changeset, `${zone.origin}: one changeset`);
      t.equal(zone.serial, 2024010102);
    }
    t.equal(zones[1].node("g2.gen.example.")?.get(T.A)?.size, 1);
  },
);
