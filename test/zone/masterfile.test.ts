import path from "node:path";
import { fileURLToPath } from "node:url";
import t, { type Test } from "tap";
import { nameToWire } from "../../src/wire/name.js";
import { ZoneFileError } from "../../src/zone/errors.js";
import {
  type ParsedRecord,
  type ParseOptions,
  parseCfComment,
  parseMasterFile,
  parseTtl,
} from "../../src/zone/masterfile.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/zones");

const NAME = (n: string) => nameToWire(n);
const MX = (pref: number, n: string) =>
  Buffer.concat([Buffer.from([pref >> 8, pref & 255]), NAME(n)]);
const TXT = (...s: string[]) =>
  Buffer.concat(
    s.map((x) =>
      Buffer.concat([Buffer.from([Buffer.byteLength(x, "latin1")]), Buffer.from(x, "latin1")]),
    ),
  );

const parse = (text: string, opts: Partial<ParseOptions> = {}) =>
  parseMasterFile(text, { file: "ex.zone", ...opts });

/** [name, ttl, type, rdata hex, line] of each record. */
const rows = (records: ParsedRecord[]) =>
  records.map((r) => [r.name, r.ttl, r.type, r.rdata.toString("hex"), r.line]);

function parseError(
  t: Test,
  text: string,
  line: number,
  reason: string | RegExp,
  opts: Partial<ParseOptions> = {},
): void {
  let caught: unknown;
  try {
    parse(text, opts);
  } catch (err) {
    caught = err;
  }
  const what = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text);
  if (!(caught instanceof ZoneFileError)) {
    t.fail(`expected a ZoneFileError for ${what}, got ${String(caught)}`);
    return;
  }
  t.equal(caught.file, opts.file ?? "ex.zone", `file for ${what}`);
  t.equal(caught.line, line, `line for ${what}`);
  if (typeof reason === "string") t.equal(caught.reason, reason, `reason for ${what}`);
  else t.match(caught.reason, reason, `reason for ${what}`);
  t.equal(caught.message, `${caught.file}:${caught.line}: ${caught.reason}`);
}

t.test("parseTtl: seconds and BIND unit suffixes", async (t) => {
  t.equal(parseTtl("0"), 0);
  t.equal(parseTtl("300"), 300);
  t.equal(parseTtl("07"), 7);
  t.equal(parseTtl("1h30m"), 5400);
  t.equal(parseTtl("1H30M"), 5400);
  t.equal(parseTtl("2w"), 1209600);
  t.equal(parseTtl("1d"), 86400);
  t.equal(parseTtl("1w2d3h4m5s"), 788645);
  t.equal(parseTtl("1m1h"), 3660, "any order, as BIND");
  t.equal(parseTtl("1s1s"), 2, "repeats add up, as BIND");
  t.equal(parseTtl("4294967295"), 4294967295);
  for (const bad of ["", "h", "1h30", "1x", "0x10", "1.5h", "4294967296", "-1", "99999999999h"]) {
    t.equal(parseTtl(bad), undefined, bad);
  }
});

t.test(
  "records: owner, TTL and class in either order, @, relative and absolute names",
  async (t) => {
    const r = parse(
      [
        "$ORIGIN example.com.",
        "$TTL 1h",
        "@\tIN\tSOA\tns1 hostmaster ( 2024010101 7200 3600 1209600 300 )",
        "\tIN\tNS\tns1",
        "ns1 300 IN A 192.0.2.1",
        "www IN 60 A 192.0.2.2",
        "Mixed.Case 2h A 192.0.2.3",
        "abs.example.net. CLASS1 A 192.0.2.4",
        "  MX 10 mail.example.net.",
        "*.wild TXT hello",
      ].join("\n"),
    );
    t.equal(r.origin, "example.com.");
    t.same(r.warnings, []);
    const timers = Buffer.alloc(20);
    for (const [i, v] of [2024010101, 7200, 3600, 1209600, 300].entries()) {
      timers.writeUInt32BE(v, i * 4);
    }
    const soa = Buffer.concat([NAME("ns1.example.com."), NAME("hostmaster.example.com."), timers]);
    t.same(rows(r.records), [
      ["example.com.", 3600, 6, soa.toString("hex"), 3],
      ["example.com.", 3600, 2, NAME("ns1.example.com.").toString("hex"), 4],
      ["ns1.example.com.", 300, 1, "c0000201", 5],
      ["www.example.com.", 60, 1, "c0000202", 6],
      ["Mixed.Case.example.com.", 7200, 1, "c0000203", 7],
      ["abs.example.net.", 3600, 1, "c0000204", 8],
      ["abs.example.net.", 3600, 15, MX(10, "mail.example.net.").toString("hex"), 9],
      ["*.wild.example.com.", 3600, 16, TXT("hello").toString("hex"), 10],
    ]);
    for (const rec of r.records) {
      t.equal(rec.class, 1);
      t.equal(rec.file, "ex.zone");
    }
    // Consecutive records with the same written owner share one string.
    const same = parse("$ORIGIN example.com.\n$TTL 1\nx A 1.2.3.4\nx A 1.2.3.5\n").records;
    t.equal(same[0].name, same[1].name);
  },
);

t.test("escaped labels, RFC 3597 unknown types and classes, odd spacing", async (t) => {
  const r = parse(
    [
      "$ORIGIN example.com.",
      "$TTL 300",
      "a\\.b A 10.0.0.1",
      "sp\\032ace A 10.0.0.2",
      "\\065bc A 10.0.0.3",
      "unk CLASS1 TYPE65534 \\# 4 0A000001",
      "unk2 type65534 \\# 0",
      "@ A 10.0.0.4",
      "dollar\\$ A 10.0.0.5",
    ].join("\r\n"),
  );
  t.same(rows(r.records), [
    ["a\\.b.example.com.", 300, 1, "0a000001", 3],
    ["sp\\032ace.example.com.", 300, 1, "0a000002", 4],
    ["Abc.example.com.", 300, 1, "0a000003", 5],
    ["unk.example.com.", 300, 65534, "0a000001", 6],
    ["unk2.example.com.", 300, 65534, "", 7],
    ["example.com.", 300, 1, "0a000004", 8],
    ["dollar\\$.example.com.", 300, 1, "0a000005", 9],
  ]);
});

t.test("$ORIGIN: absolute, relative to the current origin, and the result's origin", async (t) => {
  const r = parse(
    [
      "$TTL 300",
      "$ORIGIN example.com.",
      "a A 10.0.0.1",
      "$ORIGIN sub",
      "b A 10.0.0.2",
      "@ A 10.0.0.3",
      "$origin other.test.",
      "c A 10.0.0.4",
      "\tA 10.0.0.5",
    ].join("\n"),
  );
  t.equal(r.origin, "example.com.", "the first $ORIGIN");
  t.equal(
    parse("$ORIGIN a.test.\n$TTL 1\n$ORIGIN b.test.\nx A 1.2.3.4\n").origin,
    "a.test.",
    "the first of several $ORIGIN lines before the first record",
  );
  t.equal(
    parse("$TTL 1\nx A 1.2.3.4\n$ORIGIN sub.given.test.\ny A 1.2.3.4\n", { origin: "given.test." })
      .origin,
    "given.test.",
    "an $ORIGIN after records does not change the zone's origin",
  );
  t.same(
    r.records.map((x) => x.name),
    ["a.example.com.", "b.sub.example.com.", "sub.example.com.", "c.other.test.", "c.other.test."],
  );
  t.equal(parse("$TTL 1\na A 1.2.3.4", { origin: "given.test." }).origin, "given.test.");
  t.equal(parse("$TTL 1\nabs.test. A 1.2.3.4").origin, undefined);
  // BIND warns when a record inherits an owner across an $ORIGIN change.
  const w = parse("$TTL 1\n$ORIGIN a.test.\nx A 1.2.3.4\n$ORIGIN b.test.\n A 1.2.3.5\n").warnings;
  t.same(w, [
    {
      file: "ex.zone",
      line: 5,
      message: "record inherits the owner x.a.test. from before an $ORIGIN change",
    },
  ]);
  const root = parse("$TTL 1\n$ORIGIN .\ncom A 1.2.3.4\n").records;
  t.equal(root[0].name, "com.");
});

t.test("TTL rules: $TTL, defaultTtl, RFC 1035 last TTL, SOA MINIMUM, RFC 2181 §8", async (t) => {
  const o = { origin: "example.com." };
  t.same(
    parse("$TTL 1h30m\na A 1.2.3.4\nb 5 A 1.2.3.4\nc A 1.2.3.4\n", o).records.map((r) => r.ttl),
    [5400, 5, 5400],
    "$TTL applies to records without a TTL",
  );
  t.same(
    parse("a A 1.2.3.4\n$TTL 9\nb A 1.2.3.4\n", { ...o, defaultTtl: 60 }).records.map((r) => r.ttl),
    [60, 9],
    "defaultTtl acts as an initial $TTL",
  );
  const r1035 = parse("a 120 A 1.2.3.4\nb A 1.2.3.4\nc 30 A 1.2.3.4\nd A 1.2.3.4\n", o);
  t.same(
    r1035.records.map((r) => r.ttl),
    [120, 120, 30, 30],
  );
  t.same(r1035.warnings, [
    {
      file: "ex.zone",
      line: 2,
      message: "no $TTL: records without a TTL take the last TTL given (120), as in RFC 1035 §5.1",
    },
  ]);
  const soa = parse("@ SOA ns h 1 2 3 4 3600\nwww A 1.2.3.4\n", o);
  t.same(
    soa.records.map((r) => r.ttl),
    [3600, 3600],
  );
  t.same(soa.warnings, [
    {
      file: "ex.zone",
      line: 1,
      message: "no TTL and no $TTL: using the SOA MINIMUM (3600) as the default TTL",
    },
  ]);
  const big = parse(
    "$TTL 4294967295\na A 1.2.3.4\nb 2147483648 A 1.2.3.4\nc 2147483647 A 1.2.3.4\n",
    o,
  );
  t.same(
    big.records.map((r) => r.ttl),
    [0, 0, 2147483647],
  );
  t.same(
    big.warnings.map((w) => [w.line, w.message]),
    [
      [1, "TTL 4294967295 is above 2147483647; using 0 (RFC 2181 §8)"],
      [3, "TTL 2147483648 is above 2147483647; using 0 (RFC 2181 §8)"],
    ],
  );
  parseError(t, "a A 1.2.3.4\n", 1, "no TTL and no $TTL before the first record", o);
});

t.test("quoting, comments and parentheses in records", async (t) => {
  const r = parse(
    [
      "$ORIGIN example.com.",
      "$TTL 300",
      't1 TXT "v=DKIM1; k=rsa" ( "second"',
      '   "third" ) ; trailing',
      't2 TXT a"b"',
      "t3 TXT a\\;b\\ c ; x",
      'spf TXT "v=spf1 -all"',
    ].join("\n"),
  );
  t.same(
    r.records.map((x) => [x.name, x.rdata.toString("latin1"), x.line, x.comment]),
    [
      [
        "t1.example.com.",
        TXT("v=DKIM1; k=rsa", "second", "third").toString("latin1"),
        3,
        "trailing",
      ],
      ["t2.example.com.", TXT("a", "b").toString("latin1"), 5, undefined],
      ["t3.example.com.", TXT("a;b c").toString("latin1"), 6, "x"],
      ["spf.example.com.", TXT("v=spf1 -all").toString("latin1"), 7, undefined],
    ],
  );
  t.notOk("comment" in r.records[1], "no comment property without a comment");
});

t.test("Cloudflare export comments: cf_tags and free text", async (t) => {
  const r = parse(
    [
      "ac.example.com.\t1\tIN\tA\t172.167.50.137 ; cf_tags=cf-proxied:true",
      "t.example.com.\t1\tIN\tA\t172.167.216.23 ; For testing TLS certs cf_tags=cf-proxied:false",
      "ns.example.com.\t1\tIN\tNS\tns-598.awsdns-10.net. ; cf_tags=eoe",
      "c.example.com.\t1\tIN\tA\t1.2.3.4 ; just a comment",
    ].join("\n"),
  );
  t.same(
    r.records.map((x) => [x.cfTags, x.comment]),
    [
      [{ "cf-proxied": "true" }, undefined],
      [{ "cf-proxied": "false" }, "For testing TLS certs"],
      [{ eoe: "" }, undefined],
      [undefined, "just a comment"],
    ],
  );
  t.same(parseCfComment('cf_tags=a:1,b:"x,\\"y\\"=z",c:,d:"",e'), {
    cfTags: { a: "1", b: 'x,"y"=z', c: "", d: "", e: "" },
  });
  t.same(parseCfComment("note cf_tags= "), { comment: "note" });
  t.same(parseCfComment("cf_tags="), { comment: "cf_tags=" });
  t.same(parseCfComment("see my_cf_tags=x"), { comment: "see my_cf_tags=x" });
  t.same(parseCfComment('cf_tags=k:"unterminated'), { cfTags: { k: "unterminated" } });
  t.same(parseCfComment("cf_tags=__proto__:x,ok:1"), { cfTags: { ok: "1" } });
  t.same(parseCfComment("two cf_tags=a:1 cf_tags=b:2"), {
    comment: "two cf_tags=a:1",
    cfTags: { b: "2" },
  });
});

t.test("errors name the file and line", async (t) => {
  const head = "$ORIGIN example.com.\n$TTL 300\n";
  parseError(t, `${head}www IN AAA 10.0.0.1\n`, 3, 'unknown record type "AAA"');
  parseError(t, `${head}www IN\n`, 3, "missing record type");
  parseError(t, `${head}www 1x A 10.0.0.1\n`, 3, '"1x" is not a valid TTL');
  parseError(t, `${head}www CH TXT a\n`, 3, "class CH is not supported: only IN zones are served");
  parseError(
    t,
    `${head}www 300 HS A 1.2.3.4\n`,
    3,
    "class HS is not supported: only IN zones are served",
  );
  parseError(t, `${head}www CLASS3 A 1.2.3.4\n`, 3, /class CLASS3 is not supported/);
  parseError(t, `${head}www "A" 10.0.0.1\n`, 3, 'unknown record type "A"');
  parseError(t, `${head}www 300 300 A 10.0.0.1\n`, 3, 'unknown record type "300"');
  parseError(t, `${head}\n\nmx MX ten mail\n`, 5, /ten/);
  parseError(t, `${head}a A 10.0.0.256\n`, 3, /10\.0\.0\.256/);
  parseError(t, `${head}www ANY A 10.0.0.1\n`, 3, /class ANY is not supported/);
  parseError(
    t,
    `${head}www TYPE255 \\# 0\n`,
    3,
    "TYPE255 is a query or meta type, not allowed in a zone file",
  );
  parseError(t, `${head}www OPT \\# 0\n`, 3, /OPT is a query or meta type/);
  parseError(t, `${head}www AXFR \\# 0\n`, 3, /AXFR is a query or meta type/);
  parseError(t, `${head}www MD mail\n`, 3, "record type MD is obsolete: use MX");
  parseError(t, `${head}$FOO bar\n`, 3, 'unknown directive "$FOO"');
  parseError(t, `${head}$ORIGIN\n`, 3, "$ORIGIN takes one domain name");
  parseError(t, `${head}$ORIGIN a. b.\n`, 3, "$ORIGIN takes one domain name");
  parseError(t, `${head}$TTL\n`, 3, "$TTL takes one value");
  parseError(t, `${head}$TTL 1h30\n`, 3, '$TTL "1h30" is not a valid TTL');
  parseError(t, `${head}$TTL "300"\n`, 3, '$TTL "300" is not a valid TTL');
  parseError(t, "\tA 10.0.0.1\n", 1, "no owner name: the first record starts with a space or tab");
  parseError(
    t,
    "$TTL 1\nwww A 10.0.0.1\n",
    2,
    'relative name "www" but no origin: set $ORIGIN before it',
  );
  parseError(
    t,
    "$TTL 1\n@ A 10.0.0.1\n",
    2,
    'relative name "@" but no origin: set $ORIGIN before it',
  );
  parseError(
    t,
    "$TTL 1\n$ORIGIN sub\n",
    2,
    'relative name "sub" but no origin: set $ORIGIN before it',
  );
  parseError(t, "$TTL 1\na\\.b A 10.0.0.1\n", 2, /relative name "a\\.b" but no origin/);
  parseError(
    t,
    "$TTL 1\nw.example.com. CNAME target\n",
    2,
    "relative name in the record data but no origin: set $ORIGIN first",
  );
  parseError(t, `${head}${"a".repeat(64)} A 10.0.0.1\n`, 3, /label longer than 63/);
  parseError(t, `${head}a..b A 10.0.0.1\n`, 3, /empty label/);
  parseError(t, `${"a.".repeat(127)}b. A 1.2.3.4\n`, 1, /longer than 255/, { defaultTtl: 1 });
  parseError(t, `${head}x TXT "open\n`, 3, "missing closing quote");
  parseError(
    t,
    `${head}@ SOA ns h (\n 1 2 3 4 5\n\nx A 1.2.3.4\n`,
    6,
    "unbalanced parenthesis opened at line 3",
  );
  parseError(t, `${head}x A 1.2.3.4 )\n`, 3, 'unbalanced parenthesis: ")" without "("');
  parseError(t, `${head}x A 1.2.3.4\ny A 1.2.3.5`, 4, /./, { maxRecords: 1 });
});

t.test("names: fast path and parseName agree", async (t) => {
  const r = parse(
    [
      "$TTL 1",
      "$ORIGIN ex\\.ample.com.",
      "plain A 1.2.3.4",
      "abs.example. A 1.2.3.4",
      "x-y_z/+= A 1.2.3.4",
      `${"a".repeat(63)} A 1.2.3.4`,
      "\\# A 1.2.3.4",
    ].join("\n"),
  );
  t.same(
    r.records.map((x) => x.name),
    [
      "plain.ex\\.ample.com.",
      "abs.example.",
      "x-y_z/+=.ex\\.ample.com.",
      `${"a".repeat(63)}.ex\\.ample.com.`,
      "#.ex\\.ample.com.",
    ],
  );
  // 254 characters of plain labels: the longest name (255 octets on the wire).
  const longest = `${"abc.".repeat(63)}d.`;
  t.equal(longest.length, 255 - 1);
  t.equal(parse(`${longest} A 1.2.3.4`, { defaultTtl: 1 }).records[0].name, longest);
  parseError(t, `x${longest} A 1.2.3.4`, 1, /longer than 255/, { defaultTtl: 1 });
  parseError(t, `x${longest.slice(0, -1)} A 1.2.3.4`, 1, /longer than 255/, {
    defaultTtl: 1,
    origin: ".",
  });
  parseError(t, `\\\\${longest} A 1.2.3.4`, 1, /longer than 255/, { defaultTtl: 1 });
});

t.test("$INCLUDE", async (t) => {
  const main = path.join(fixtures, "include", "main.zone");
  const text = (await import("node:fs")).readFileSync(main, "utf8");
  const includeRoot = path.join(fixtures, "include");

  t.test("refused without includeRoot", async (t) => {
    parseError(t, text, 7, "$INCLUDE is not allowed here");
  });

  t.test("relative paths, nested includes, origin and owner restored", async (t) => {
    const r = parseMasterFile(text, { file: main, includeRoot });
    const sub = path.join(path.dirname(main), "sub");
    t.same(
      r.records.map((x) => [x.name, x.rdata.join("."), path.relative(fixtures, x.file), x.line]),
      [
        ["example.com.", r.records[0].rdata.join("."), "include/main.zone", 5],
        ["www.example.com.", "192.0.2.1", "include/main.zone", 6],
        ["h1.sub.example.com.", "10.0.0.1", "include/sub/hosts.zone", 1],
        ["h1.sub.example.com.", "10.0.0.2", "include/sub/hosts.zone", 2],
        ["n1.sub.example.com.", "10.0.1.1", "include/sub/nested.zone", 1],
        ["h2.changed.example.com.", "10.0.0.3", "include/sub/hosts.zone", 5],
        ["www.example.com.", "192.0.2.2", "include/main.zone", 8],
        ["after.example.com.", "192.0.2.3", "include/main.zone", 9],
        ["after.example.com.", "10.9.9.9", "include/sub/plain.zone", 1],
        ["p1.example.com.", "10.9.9.10", "include/sub/plain.zone", 2],
      ],
    );
    t.equal(r.records[2].file, path.join(sub, "hosts.zone"));
    t.equal(r.origin, "example.com.");
  });

  t.test("a relative file name is shown relative to the including file", async (t) => {
    const r = parseMasterFile("$INCLUDE a.zone\n", {
      file: "zones/x.zone",
      origin: "example.com.",
      includeRoot: "zones",
      readFile: () => "$TTL 1\nh A 1.2.3.4\n",
    });
    t.equal(r.records[0].file, path.join("zones", "a.zone"));
  });

  t.test("an injected reader gets the resolved path", async (t) => {
    const seen: string[] = [];
    const files: Record<string, string> = {
      "/virtual/zones/a.zone": "$TTL 1\n$INCLUDE inner/b.zone b.example.com.\n",
      "/virtual/zones/inner/b.zone": "x A 10.0.0.1\n",
    };
    const r = parseMasterFile("$INCLUDE a.zone\n", {
      file: "/virtual/zones/top.zone",
      origin: "example.com.",
      includeRoot: "/virtual/zones",
      readFile: (p) => {
        seen.push(p);
        const f = files[p];
        if (f === undefined) throw Object.assign(new Error("nope"), { code: "ENOENT" });
        return f;
      },
    });
    t.same(seen, ["/virtual/zones/a.zone", "/virtual/zones/inner/b.zone"]);
    t.same(
      r.records.map((x) => [x.name, x.file]),
      [["x.b.example.com.", "/virtual/zones/inner/b.zone"]],
    );
    parseError(
      t,
      "$INCLUDE missing.zone\n",
      1,
      "cannot read $INCLUDE file missing.zone: no such file",
      {
        file: "/virtual/zones/top.zone",
        includeRoot: "/virtual/zones",
        readFile: () => {
          throw Object.assign(new Error("nope"), { code: "ENOENT" });
        },
      },
    );
    parseError(t, "$INCLUDE x.zone\n", 1, "cannot read $INCLUDE file x.zone: weird", {
      file: "/virtual/zones/top.zone",
      includeRoot: "/virtual/zones",
      readFile: () => {
        throw new Error("weird");
      },
    });
  });

  t.test("leaving the zones folder is refused", async (t) => {
    const escapeZone = path.join(fixtures, "include", "escape.zone");
    const etext = (await import("node:fs")).readFileSync(escapeZone, "utf8");
    parseError(t, etext, 3, "$INCLUDE of ../generate.zone leaves the zones folder", {
      file: escapeZone,
      includeRoot,
    });
    parseError(
      t,
      "$INCLUDE /etc/hostname\n",
      1,
      "$INCLUDE of /etc/hostname leaves the zones folder",
      {
        file: main,
        includeRoot,
      },
    );
    parseError(t, "$INCLUDE ../../x.zone\n", 1, /leaves the zones folder/, {
      file: "/virtual/zones/top.zone",
      includeRoot: "/virtual/zones",
      readFile: () => "",
    });
  });

  t.test("a symlink that points outside is refused (realpath)", async (t) => {
    const dir = t.testdir({
      outside: { "secret.zone": "x A 1.2.3.4\n" },
      zones: {
        "top.zone": "$INCLUDE link.zone\n",
        "link.zone": t.fixture("symlink", "../outside/secret.zone"),
        "ok.zone": "$INCLUDE inner-link.zone\n",
        "inner.zone": "$TTL 1\ny A 1.2.3.4\n",
        "inner-link.zone": t.fixture("symlink", "inner.zone"),
      },
    });
    const zones = path.join(dir, "zones");
    parseError(t, "$INCLUDE link.zone\n", 1, "$INCLUDE of link.zone leaves the zones folder", {
      file: path.join(zones, "top.zone"),
      includeRoot: zones,
      origin: "example.com.",
    });
    const ok = parseMasterFile("$INCLUDE inner-link.zone\n", {
      file: path.join(zones, "ok.zone"),
      includeRoot: zones,
      origin: "example.com.",
    });
    t.same(
      ok.records.map((x) => x.name),
      ["y.example.com."],
    );
  });

  t.test("loops, missing files and arguments", async (t) => {
    const a = path.join(fixtures, "loop", "a.zone");
    const atext = (await import("node:fs")).readFileSync(a, "utf8");
    let caught: unknown;
    try {
      parseMasterFile(atext, { file: a, includeRoot: path.join(fixtures, "loop") });
    } catch (err) {
      caught = err;
    }
    t.type(caught, ZoneFileError);
    const e = caught as ZoneFileError;
    t.equal(e.file, path.join(fixtures, "loop", "b.zone"));
    t.equal(e.line, 2);
    t.equal(e.reason, "$INCLUDE loop: ./a.zone is already being read");
    parseError(
      t,
      "$INCLUDE nothere.zone\n",
      1,
      "cannot read $INCLUDE file nothere.zone: no such file",
      {
        file: main,
        includeRoot,
      },
    );
    parseError(t, "$INCLUDE sub\n", 1, "cannot read $INCLUDE file sub: is a folder", {
      file: main,
      includeRoot,
    });
    parseError(t, "$INCLUDE\n", 1, "$INCLUDE takes a file name and an optional origin", {
      file: main,
      includeRoot,
    });
    parseError(t, "$INCLUDE a b. c\n", 1, "$INCLUDE takes a file name and an optional origin", {
      file: main,
      includeRoot,
    });
  });
});

t.test("limits and odd inputs", async (t) => {
  t.same(parse("").records, []);
  t.same(parse("; nothing\n\n").records, []);
  const r = parse("x.test. 1 A 1.2.3.4", { maxRecords: 1 });
  t.equal(r.records.length, 1, "a final line without newline");
  t.throws(() => parse("x.test. 1 A 1.2.3.4\ny.test. 1 A 1.2.3.4\n", { maxRecords: 1 }), {
    message: "ex.zone:2: more than 1 records",
  });
});
