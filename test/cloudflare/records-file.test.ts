/**
 * Import and export as model operations, without HTTP (cloudflare/records/file.ts): zone-file
 * text → records committed as one change, refusals that leave the zone as it was, and the
 * export's text read back by the import. The HTTP face (multipart, 256 KiB, the envelope) is
 * test/api/dns-records-file.test.ts.
 */

import t from "tap";
import { ApiError } from "../../src/cloudflare/errors.js";
import { ZoneIndex } from "../../src/cloudflare/ids.js";
import {
  exportRecords,
  importBody,
  importRecords,
  MAX_IMPORT_RECORDS,
} from "../../src/cloudflare/records/file.js";
import {
  listRecords,
  type RecordResult,
  type RecordsContext,
} from "../../src/cloudflare/records/operations.js";
import { CloudflareZones } from "../../src/cloudflare/rules/zones.js";
import { ZoneTimes } from "../../src/cloudflare/zone-times.js";
import { T } from "../../src/wire/types.js";
import { zoneFromText } from "../../src/zone/load.js";
import { parseMasterFile } from "../../src/zone/masterfile.js";
import type { Zone } from "../../src/zone/zone.js";
import { ZoneSet } from "../../src/zone/zoneset.js";

const T0 = new Date("2024-05-01T12:00:00.000Z");
const ORIGIN = "example.com.";

const BASE = `$ORIGIN ${ORIGIN}
$TTL 300
@    IN SOA ns1 admin 7 3600 600 86400 60
@    IN NS  ns1
@    IN NS  ns2
ns1  IN A   192.0.2.53
ns2  IN A   192.0.2.54
`;

/** One zone served through Cloudflare's rules, and the context the record operations use. */
function setup(): { ctx: RecordsContext; zone: Zone } {
  const cloudflare = new CloudflareZones(new ZoneSet());
  cloudflare.add(zoneFromText(BASE, { file: "base", renderer: cloudflare.renderer }).zone);
  const ctx: RecordsContext = {
    zoneIds: new ZoneIndex(cloudflare.set),
    times: new ZoneTimes(() => T0),
    now: () => T0,
    cloudflare,
  };
  return { ctx, zone: cloudflare.set.get(ORIGIN)! };
}

/** The error a call throws, as Cloudflare's code and message. */
function errorOf(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error("no error thrown");
}

/** A record's JSON without what depends on when and where it was written. */
const shape = ({ id, created_on, modified_on, zone_id, ...rest }: RecordResult) => rest;

const FILE = `$TTL 10
; the apex SOA is Cloudflare's: left out and not counted
@       IN SOA  x. y. 99 1 1 1 1
www          A     192.0.2.80 ; cf_tags=cf-proxied:true
api     172800 AAAA 2001:db8::1 ; the API cf_tags=team:"a b",cf-proxied:false
alias   1    CNAME www ; cf_tags=cf-flatten-cname:true
@            MX    10 mail
mail    60   A     192.0.2.25
mail    60   A     192.0.2.25
ns1          A     192.0.2.53
`;

t.test("importRecords: the file's records as one change, with Cloudflare's rules", async (t) => {
  const { ctx, zone } = setup();
  const serial = zone.serial;
  const journal = zone.journal.size;

  t.same(importRecords(ctx, zone, FILE, { proxied: true }), {
    recs_added: 5,
    total_records_parsed: 7,
  });
  t.equal(zone.serial, serial + 1, "one new serial for the whole file");
  t.equal(zone.journal.size, journal + 1, "one journal entry");

  const get = (name: string, type: string) =>
    listRecords(ctx, zone, { name, type }).map((r) => ({
      content: r.content,
      ttl: r.ttl,
      proxied: r.proxied,
      comment: r.comment,
      tags: r.tags,
      settings: r.settings,
    }));
  t.match(get("www", "A"), [{ content: "192.0.2.80", ttl: 1, proxied: true }], "cf-proxied tag");
  t.match(
    get("api", "AAAA"),
    [
      {
        ttl: 86400,
        proxied: false,
        comment: "the API",
        tags: ["team:a b"],
      },
    ],
    "TTL cut to 86400, the tag wins over the default, other tags are record tags",
  );
  t.match(
    get("alias", "CNAME"),
    [{ content: "www.example.com", ttl: 1, proxied: true, settings: { flatten_cname: true } }],
    "no cf-proxied: the default proxies it; a setting tag",
  );
  t.match(get("example.com", "MX"), [{ ttl: 30, proxied: false }], "TTL 10 raised to 30");
  t.equal(get("mail", "A").length, 1, "the repeated line is skipped");
  t.equal(get("ns1", "A").length, 1, "a record already in the zone is skipped");
});

t.test("importBody: the proxied default applies to proxiable types only", async (t) => {
  const { zone } = setup();
  const parsed = parseMasterFile("a 300 IN A 192.0.2.1\na 300 IN TXT hello\n", {
    file: "t",
    origin: ORIGIN,
  }).records;
  t.match(importBody(zone, parsed[0]!, true), { type: "A", ttl: 1, proxied: true });
  t.match(importBody(zone, parsed[1]!, true), { type: "TXT", ttl: 300, proxied: false });
  t.match(importBody(zone, parsed[0]!, false), { type: "A", ttl: 300, proxied: false });
});

t.test("a refused file changes nothing and names its line", async (t) => {
  const { ctx, zone } = setup();
  const before = listRecords(ctx, zone, {}).map(shape);
  const serial = zone.serial;
  const cases: Array<[string, string, number, RegExp]> = [
    [
      "outside the zone",
      "a A 192.0.2.1\nwww.example.org. A 192.0.2.2\n",
      9000,
      /^line 2: .*not in the zone/,
    ],
    ["syntax", "a A 192.0.2.1\nb BOGUS x\n", 1004, /^line 2: unknown record type "BOGUS"/],
    ["$INCLUDE", "a A 192.0.2.1\n$INCLUDE /etc/passwd\n", 1004, /^line 2: \$INCLUDE/],
    [
      "too many records",
      `$GENERATE 0-${MAX_IMPORT_RECORDS} h$ A 192.0.2.1\n`,
      1004,
      /^line 1: more than 50000 records/,
    ],
  ];
  for (const [what, text, code, message] of cases) {
    const e = errorOf(() => importRecords(ctx, zone, text));
    t.match(e, { code, message }, what);
  }
  t.equal(zone.serial, serial, "no new serial");
  t.same(listRecords(ctx, zone, {}).map(shape), before, "the records are as they were");
});

t.test("exportRecords: Cloudflare's shape, read back by importRecords", async (t) => {
  const { ctx, zone } = setup();
  importRecords(ctx, zone, FILE, { proxied: true });
  const text = exportRecords(zone, T0);
  const lines = text.split("\n");

  t.equal(lines[2], ";; Exported:   2024-05-01 12:00:00");
  t.ok(lines.includes(`$ORIGIN ${ORIGIN}`));
  t.match(
    lines.find((l) => l.includes("\tSOA\t")),
    /^example\.com\.\t\d+\tIN\tSOA\t/,
    "the SOA as served",
  );
  const sections = lines.filter((l) => /^;; \S+ Records$/.test(l));
  t.same(
    sections,
    [";; NS Records", ";; A Records", ";; AAAA Records", ";; CNAME Records", ";; MX Records"],
    "NS, A, AAAA, CNAME, then by type name",
  );
  t.ok(lines.includes("www.example.com.\t1\tIN\tA\t192.0.2.80 ; cf_tags=cf-proxied:true"));
  t.ok(
    lines.includes(
      'api.example.com.\t86400\tIN\tAAAA\t2001:db8::1 ; the API cf_tags=cf-proxied:false,team:"a b"',
    ),
    "comment, proxied and a quoted tag value",
  );
  t.ok(
    lines.includes(
      "alias.example.com.\t1\tIN\tCNAME\twww.example.com. ; cf_tags=cf-proxied:true,cf-flatten-cname:true",
    ),
    "a setting",
  );
  t.ok(lines.includes("mail.example.com.\t1\tIN\tA\t192.0.2.25 ; cf_tags=cf-proxied:true"));
  t.equal(text.at(-1), "\n");

  // Into the same zone: every record is there already.
  const serial = zone.serial;
  const all = listRecords(ctx, zone, {}).length;
  t.same(importRecords(ctx, zone, text), { recs_added: 0, total_records_parsed: all });
  t.equal(zone.serial, serial, "nothing to commit, no new serial");

  // Into a fresh zone with the same start: the same records, field for field.
  const fresh = setup();
  importRecords(fresh.ctx, fresh.zone, text);
  t.same(listRecords(fresh.ctx, fresh.zone, {}).map(shape), listRecords(ctx, zone, {}).map(shape));
  t.equal(fresh.zone.apex.get(T.SOA)?.ttl, zone.apex.get(T.SOA)?.ttl);
});
