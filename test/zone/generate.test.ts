// biome-ignore-all lint/suspicious/noTemplateCurlyInString: $GENERATE modifiers are written ${...}
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import t from "tap";
import { nameToWire } from "../../src/wire/name.js";
import { ZoneFileError } from "../../src/zone/errors.js";
import {
  GenerateError,
  GenerateTemplate,
  parseGenerateRange,
  rangeCount,
} from "../../src/zone/generate.js";
import { type ParsedRecord, parseMasterFile } from "../../src/zone/masterfile.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/zones");

const render = (tpl: string, v: number) => new GenerateTemplate(tpl).render(v);

t.test("ranges", async (t) => {
  t.same(parseGenerateRange("1-10"), { start: 1, stop: 10, step: 1 });
  t.same(parseGenerateRange("0-2147483647/1000"), { start: 0, stop: 2147483647, step: 1000 });
  t.same(parseGenerateRange("5-5"), { start: 5, stop: 5, step: 1 });
  t.equal(rangeCount({ start: 1, stop: 10, step: 3 }), 4); // 1 4 7 10
  t.equal(rangeCount({ start: 1, stop: 9, step: 3 }), 3);
  t.throws(() => parseGenerateRange("10-1"), /stop is below start/);
  t.throws(() => parseGenerateRange("1-2/0"), /step is 0/);
  t.throws(() => parseGenerateRange("1"), /expected start-stop/);
  t.throws(() => parseGenerateRange("a-2"), /bad start/);
  t.throws(() => parseGenerateRange("1-b"), /bad stop/);
  t.throws(() => parseGenerateRange("1-2/x"), /bad step/);
  t.throws(() => parseGenerateRange("-1-5"), /bad start/);
  t.throws(() => parseGenerateRange("1-2147483648"), /stop is above 2147483647/);
  t.throws(() => parseGenerateRange("1-99999999999"), /bad stop/);
});

t.test("templates: $, $$, escapes", async (t) => {
  t.equal(render("host$", 7), "host7");
  t.equal(render("$.$", 3), "3.3");
  t.equal(render("a$$b", 1), "a$b");
  t.equal(render("a\\$b$", 1), "a\\$b1", "\\$ reaches the name parser as an escape");
  t.equal(render("a\\\\$", 2), "a\\\\2", "an escaped backslash does not escape the $");
  t.equal(render("", 1), "");
  t.equal(render("trailing\\", 1), "trailing\\");
  t.ok(new GenerateTemplate("plain.name.").constant);
  t.notOk(new GenerateTemplate("h$").constant);
});

t.test("templates: ${offset,width,base}", async (t) => {
  // BIND ARM: ${-20,3,d} subtracts 20 and prints a decimal zero-padded to width 3.
  t.equal(render("${-20,3,d}", 25), "005");
  t.equal(render("${+1}", 1), "2");
  t.equal(render("foo${0,3}", 7), "foo007");
  t.equal(render("${0,4,x}", 255), "00ff");
  t.equal(render("${0,4,X}", 255), "00FF");
  t.equal(render("${0,0,o}", 8), "10");
  t.equal(render("${0,1,d}", 1234), "1234", "width is a minimum");
  t.equal(render("${-5}", 1), "-4");
  t.equal(render("${-5,3}", 1), "-04", "as printf %03d");
  t.equal(render("${-5,0,x}", 1), "fffffffc", "as printf %x of a negative int");
  // Nibble mode: least significant digit first, dots between, width counts the dots.
  t.equal(render("${0,0,n}", 0x1234), "4.3.2.1");
  t.equal(render("${0,8,n}", 0x1234), "4.3.2.1.");
  t.equal(render("${0,9,n}", 0x1234), "4.3.2.1.0");
  t.equal(render("${0,3,N}", 0xab), "B.A");
  t.equal(render("${0,0,n}", 0), "0");
  t.equal(render("${0,4,n}", 0), "0.0.");
  t.equal(render("${0,0,n}", 0x7fffffff), "f.f.f.f.f.f.f.7");
});

t.test("template errors", async (t) => {
  for (const bad of ["${", "${}", "${a}", "${1,2,q}", "${1,2,3,4}", "${1,}", "${1,2,}", "${,}"]) {
    t.throws(() => new GenerateTemplate(`x${bad}`), GenerateError, bad);
  }
  t.throws(() => new GenerateTemplate("${0,128}"), /width above 127/);
  t.throws(() => render("${1}", 2147483647), /out of range/);
  t.throws(() => render("${-5,0,n}", 1), /nibble modifier needs a value of 0 or more/);
  t.doesNotThrow(() => render("${0,127}", 1));
});

const A = (...b: number[]) => Buffer.from(b);

function summary(records: ParsedRecord[]) {
  return records.map((r) => [r.name, r.ttl, r.type, r.rdata.toString("hex"), r.line]);
}

t.test("BIND ARM example: RFC 2317 classless delegation", async (t) => {
  const zone = [
    "$TTL 1d",
    "$ORIGIN 0.0.192.IN-ADDR.ARPA.",
    "$GENERATE 1-2 0 NS SERVER$.EXAMPLE.",
    "$GENERATE 1-127 $ CNAME $.0",
  ].join("\n");
  const r = parseMasterFile(zone, { file: "rev.zone" });
  t.equal(r.records.length, 129);
  t.same(summary(r.records.slice(0, 3)), [
    ["0.0.0.192.IN-ADDR.ARPA.", 86400, 2, nameToWire("SERVER1.EXAMPLE.").toString("hex"), 3],
    ["0.0.0.192.IN-ADDR.ARPA.", 86400, 2, nameToWire("SERVER2.EXAMPLE.").toString("hex"), 3],
    [
      "1.0.0.192.IN-ADDR.ARPA.",
      86400,
      5,
      nameToWire("1.0.0.0.192.IN-ADDR.ARPA.").toString("hex"),
      4,
    ],
  ]);
  const last = r.records[128];
  t.equal(last.name, "127.0.0.192.IN-ADDR.ARPA.");
  t.same(last.rdata, nameToWire("127.0.0.0.192.IN-ADDR.ARPA."));
});

t.test("$GENERATE fields: ttl and class in either order, quoted rdata, TTL rules", async (t) => {
  const zone = [
    "$ORIGIN example.com.",
    "$GENERATE 1-2 $.g 7200 IN A 10.0.0.$",
    "$GENERATE 1-2 $.h IN 3h A 10.0.1.$",
    "$GENERATE 1-2 $.i A 10.0.2.$ ; no TTL, no $TTL: the last TTL given (3h)",
    '$GENERATE 8-10/2 t$ TXT "v=$ \\$ \\"q\\""',
    '$GENERATE 1-1 m$ MX "10 mail$"',
  ].join("\n");
  const r = parseMasterFile(zone, { file: "g.zone" });
  t.same(summary(r.records), [
    ["1.g.example.com.", 7200, 1, "0a000001", 2],
    ["2.g.example.com.", 7200, 1, "0a000002", 2],
    ["1.h.example.com.", 10800, 1, "0a000101", 3],
    ["2.h.example.com.", 10800, 1, "0a000102", 3],
    ["1.i.example.com.", 10800, 1, "0a000201", 4],
    ["2.i.example.com.", 10800, 1, "0a000202", 4],
    // The rdata is split into fields again after substitution, as BIND does; \" becomes ".
    [
      "t8.example.com.",
      10800,
      16,
      A(3, ...Buffer.from("v=8"), 1, 0x24, 1, 0x71).toString("hex"),
      5,
    ],
    [
      "t10.example.com.",
      10800,
      16,
      A(4, ...Buffer.from("v=10"), 1, 0x24, 1, 0x71).toString("hex"),
      5,
    ],
    [
      "m1.example.com.",
      10800,
      15,
      Buffer.concat([A(0, 10), nameToWire("mail1.example.com.")]).toString("hex"),
      6,
    ],
  ]);
  t.same(
    r.warnings.map((w) => w.line),
    [4],
    "one warning: RFC 1035 TTL inheritance without $TTL",
  );
});

t.test("$GENERATE errors carry the directive's line", async (t) => {
  const cases: [string, RegExp][] = [
    ["$GENERATE 1-2 x$ A", /\$GENERATE takes: start-stop\[\/step\] owner/],
    ["$GENERATE 2-1 x$ A 10.0.0.$", /range "2-1" is not valid: stop is below start/],
    ["$GENERATE 1-2 x${a} A 10.0.0.$", /bad \$GENERATE modifier "\$\{a\}"/],
    ["$GENERATE 1-2 x$ A 10.0.0.${q}", /bad \$GENERATE modifier/],
    ["$GENERATE 1-2 x$ AAA 10.0.0.$", /unknown record type "AAA"/],
    ["$GENERATE 1-2 x$ MX 10 mail$", /rdata as one field: quote it/],
    ["$GENERATE 1-2 x$ CH A 10.0.0.$", /class CH is not supported/],
    ["$GENERATE 254-256 x$ A 10.0.0.$", /\$GENERATE value 256: /],
    ['$GENERATE 1-2 x$ TXT "\\"open"', /missing closing quote/],
    ["$GENERATE 1-2 x${2147483647} A 10.0.0.1", /out of range/],
  ];
  for (const [line, re] of cases) {
    const text = `$TTL 300\n$ORIGIN example.com.\n${line}\n`;
    let caught: unknown;
    try {
      parseMasterFile(text, { file: "g.zone" });
    } catch (err) {
      caught = err;
    }
    t.type(caught, ZoneFileError, line);
    const e = caught as ZoneFileError;
    t.same([e.file, e.line], ["g.zone", 3], line);
    t.match(e.reason, re, line);
  }
  t.throws(
    () =>
      parseMasterFile("$ORIGIN example.com.\n$GENERATE 1-2 x$ A 10.0.0.$\n", { file: "g.zone" }),
    { message: "g.zone:2: no TTL and no $TTL before the first record" },
  );
  t.throws(() => parseMasterFile("$TTL 1\n$GENERATE 1-2 x$ A 10.0.0.$\n", { file: "g.zone" }), {
    message: 'g.zone:2: relative name "x1" but no origin: set $ORIGIN before it',
  });
  t.throws(
    () =>
      parseMasterFile("$TTL 1\n$GENERATE 0-2147483647 x$ A 10.0.0.1\n", {
        file: "g.zone",
        origin: "example.com.",
        maxRecords: 1000,
      }),
    { message: "g.zone:2: more than 1000 records" },
  );
});

/** Find named-checkzone; CI=true makes its absence a failure rather than a skip. */
function findCheckzone(): string | undefined {
  for (const p of ["/usr/bin/named-checkzone", "/usr/sbin/named-checkzone"]) {
    if (existsSync(p)) return p;
  }
  return undefined;
}
const checkzone = findCheckzone();
const ci = process.env.CI === "true";

t.test(
  "$GENERATE expands exactly like BIND's named-checkzone",
  {
    skip: checkzone === undefined && !ci ? "named-checkzone is not installed (bind9-utils)" : false,
  },
  async (t) => {
    if (checkzone === undefined) {
      t.fail("named-checkzone is required when CI=true (apt-get install bind9-utils)");
      return;
    }
    const file = path.join(fixtures, "generate.zone");
    const dir = mkdtempSync(path.join(tmpdir(), "gen-"));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const out = path.join(dir, "expanded.zone");
    // -D dumps the loaded zone; -k/-i turn off checks that are not about the syntax.
    execFileSync(
      checkzone,
      ["-q", "-k", "ignore", "-i", "none", "-s", "full", "-D", "-o", out, "example.com", file],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const key = (r: ParsedRecord) =>
      `${r.name.toLowerCase()} ${r.ttl} ${r.type} ${r.rdata.toString("hex")}`;
    const ours = parseMasterFile(readFileSync(file, "utf8"), { file, origin: "example.com." });
    const bind = parseMasterFile(readFileSync(out, "utf8"), { file: out, origin: "example.com." });
    const a = ours.records.map(key).sort();
    const b = bind.records.map(key).sort();
    t.ok(a.length > 50, `${a.length} records from the fixture`);
    t.same(a, b);
  },
);
