// A zone source's fingerprint: the same records in any order and with any SOA serial give the
// same one, any other record gives another, and a data dir's older form still matches.
import t from "tap";
import { fingerprint, legacyFingerprint, sameSource } from "../../src/store/codec.js";
import { zoneFromText } from "../../src/zone/load.js";

const head = "$ORIGIN fp.test.\n$TTL 300\n@ SOA ns hostmaster SERIAL 3600 600 86400 60\n@ NS ns\n";
const zone = (serial: number, lines: string[]) =>
  zoneFromText(`${head.replace("SERIAL", String(serial))}${lines.join("\n")}\n`, {
    file: "fp.test.zone",
  }).zone;
const lines = ["ns A 192.0.2.53", "www A 192.0.2.1", "www AAAA 2001:db8::1", 'txt TXT "a b"'];

t.test("order and serial do not count; every record does", async (t) => {
  const base = fingerprint(zone(1, lines));
  t.match(base, /^v2:6:[0-9a-f]{32}$/, "six records (SOA and NS too), 128 bits");
  t.equal(fingerprint(zone(7, [...lines].reverse())), base, "reordered, another serial");
  t.not(fingerprint(zone(1, [...lines, "new A 192.0.2.9"])), base, "a record added");
  t.not(
    fingerprint(
      zone(
        1,
        lines.map((l) => l.replace("192.0.2.1", "192.0.2.2")),
      ),
    ),
    base,
    "RDATA",
  );
  t.not(
    fingerprint(
      zone(
        1,
        lines.map((l) => l.replace("www A", "www 60 A")),
      ),
    ),
    base,
    "a TTL",
  );
  t.not(
    fingerprint(
      zone(
        1,
        lines.map((l) => l.replace("www A", "web A")),
      ),
    ),
    base,
    "a name",
  );
  t.equal(
    fingerprint(
      zone(
        1,
        lines.map((l) => l.replace("www", "WWW")),
      ),
    ),
    base,
    "name case",
  );
  const withSoa = (refresh: number) =>
    zoneFromText(head.replace("SERIAL 3600", `1 ${refresh}`) + lines.join("\n"), {
      file: "fp.test.zone",
    }).zone;
  t.not(
    fingerprint(withSoa(7200)),
    fingerprint(withSoa(3600)),
    "an SOA field other than the serial",
  );
});

t.test(
  "a fingerprint of the older form is this zone's when the records are the same",
  async (t) => {
    const z = zone(1, lines);
    const older = legacyFingerprint(z);
    t.match(older, /^6:[0-9a-f]{64}$/);
    t.ok(sameSource(older, zone(9, [...lines].reverse()), fingerprint(z)));
    const other = zone(1, [...lines, "new A 192.0.2.9"]);
    t.notOk(sameSource(older, other, fingerprint(other)));
    t.ok(sameSource(fingerprint(z), z, fingerprint(z)));
    t.notOk(sameSource(undefined, z, fingerprint(z)));
  },
);
