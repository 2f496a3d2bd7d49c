/**
 * Cross-check against BIND 9's own codecs: the same master-file RDATA is compiled by
 * `named-compilezone -F raw` (BIND's binary dump holds the wire RDATA) and by us, and must
 * give identical octets. Then each side's printed text is read back by the other:
 * our rdataToText output must compile in BIND to the same octets, and BIND's text output must
 * parse here to the same octets. Skipped where BIND's tools are not installed.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { readNameWire } from "../../src/wire/name.js";
import { rdataFromText, rdataToText } from "../../src/wire/rdata.js";
import { typeFromText, typeToText } from "../../src/wire/types.js";
import { fields } from "./fields.js";

const COMPILE = ["/usr/bin/named-compilezone", "/usr/sbin/named-compilezone"].find((p) =>
  existsSync(p),
);

const ORIGIN = "example.com.";
const KEY =
  "AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8nokfzj31GajIQKY+5CptLr3buXA10hWqTkF7H6RfoRqXQeogmMHfpftf6zMv1LyBUgia7za6ZEzOJBOztyvhjL742iU/TpPSEDhm2SNKLijfUppn1UaNvv4w==";
const SIG =
  "oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6oB9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQfsS3Ap3o=";
const SHA256 = "0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6";

/** [type, rdata as written in a zone file]; owners are r0, r1, ... */
const RECORDS: Array<[string, string]> = [
  ["A", "192.0.2.1"],
  ["A", "0.0.0.0"],
  ["AAAA", "2001:DB8::1"],
  ["AAAA", "::ffff:192.0.2.1"],
  ["AAAA", "::192.0.2.1"],
  ["AAAA", "1:2:3:4:5:6:7::"],
  ["AAAA", "::"],
  ["AAAA", "2001:db8:0:0:1:0:0:1"],
  ["AAAA", "64:ff9b::1.2.3.4"],
  ["NS", "ns1"],
  ["NS", "ns.other.net."],
  ["CNAME", "www"],
  ["CNAME", "a\\.b.c\\032d"],
  ["DNAME", "other.net."],
  ["PTR", "host"],
  ["MB", "mb"],
  ["MG", "mg"],
  ["MR", "mr"],
  ["MINFO", "rmail email"],
  ["RP", "mbox.example.com. txt"],
  ["AFSDB", "1 afs"],
  ["RT", "10 relay"],
  ["KX", "10 kx"],
  ["PX", "10 map822 mapx400"],
  ["MX", "10 mail"],
  ["MX", "0 ."],
  ["TXT", '"a;b" b "c\\"d" "\\255" "\\\\" "tab\\009"'],
  ["TXT", '""'],
  ["TXT", `"${"x".repeat(255)}" "${"y".repeat(255)}" z`],
  ["TXT", '"é ü 日本"'],
  ["TXT", "v=spf1 include:_spf.example.com ~all"],
  ["SPF", '"v=spf1 -all"'],
  ["HINFO", '"PC Intel" Linux'],
  ["SRV", "0 5 5060 sip"],
  ["SRV", "0 0 0 ."],
  ["NAPTR", '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .'],
  ["NAPTR", '100 10 "" "" "" _sip._udp'],
  ["NAPTR", '1 1 "" "" "!(a)b!\\\\1!i" .'],
  ["URI", '10 1 "ftp://ftp1.example.com/public"'],
  ["URI", `1 1 "https://example.com/${"p".repeat(300)}"`],
  ["CAA", '0 issue "ca.example.net; account=1"'],
  ["CAA", '128 tbs "Unknown"'],
  ["CAA", '0 iodef "mailto:x@example.com"'],
  ["CAA", '0 issue ""'],
  ["CAA", "0 issue ca\\;x"],
  ["CAA", `0 issue "${"v".repeat(300)}"`],
  ["DS", "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"],
  ["DS", "1 RSASHA256 2 0011223344556677 8899001122334455 6677889900112233 4455667788990011"],
  ["DS", "1 8 9 00"],
  ["CDS", "0 0 0 00"],
  ["TA", `1 8 2 ${SHA256}`],
  ["DLV", `1 8 2 ${SHA256}`],
  ["DNSKEY", `256 3 5 ${KEY.slice(0, 40)} ${KEY.slice(40)}`],
  ["DNSKEY", "257 3 ECDSAP256SHA256 AQAB"],
  ["CDNSKEY", "0 3 0 AA=="],
  ["KEY", "256 3 8 AQAB"],
  ["RRSIG", `A 5 3 86400 20030322173103 20030220173103 2642 example.com. ${SIG}`],
  ["RRSIG", "TYPE999 8 2 300 1700000000 1690000000 1 example.com. AAAA"],
  ["RRSIG", "NSEC3PARAM RSASHA256 0 0 20280229235959 20240101000000 65535 . AAAA"],
  ["NSEC", "host.example.com. A MX RRSIG NSEC TYPE1234"],
  ["NSEC", "host.example.com. NS SOA TXT AAAA RRSIG NSEC DNSKEY CAA TYPE65534"],
  ["NSEC3", "1 1 12 aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr A RRSIG"],
  ["NSEC3", "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR"],
  ["NSEC3", "2 1 0 - cpnmu"],
  ["NSEC3PARAM", "1 0 12 aabbccdd"],
  ["NSEC3PARAM", "1 0 0 -"],
  ["TLSA", `3 1 1 ${SHA256}`],
  ["TLSA", "0 0 0 30 82 01 0a"],
  ["SMIMEA", `3 1 1 ${SHA256}`],
  ["SSHFP", "4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789"],
  ["SSHFP", "1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac"],
  ["SVCB", "1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.1,192.0.2.2 key65000=abc"],
  ["SVCB", "0 foo.example.com."],
  ["SVCB", "0 foo"],
  [
    "HTTPS",
    '1 . alpn="h3,h2\\\\\\\\,x" mandatory=alpn,port port=8443 no-default-alpn ech=AEP+DQA= ipv6hint=2001:db8::1',
  ],
  ["HTTPS", "16 foo.example.org. key667=hello\\210qoo"],
  ["HTTPS", '1 . alpn="h2\\\\,h3" key3="\\001\\187"'],
  ["HTTPS", '1 . key123 key124="" ech'],
  ["HTTPS", "1 . mandatory=key65000,alpn alpn=h2 key65000"],
  ["SVCB", '1 svc ipv6hint=::1,2001:db8::53 dohpath="/dns-query{?dns}"'],
  ["LOC", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m"],
  ["LOC", "60 9 N 24 39 E 10 20"],
  ["LOC", "42 21 54 N 71 06 18 W -24m 30m"],
  ["LOC", "0 0 0 S 0 0 0 W 0"],
  ["LOC", "1 0 0.001 S 180 0 0 W 42849672.95m 90000000m 0.5m 15m"],
  ["LOC", "90 N 0 E -100000m"],
  ["CERT", "PKIX 0 0 MIIB"],
  ["CERT", "1 12345 RSASHA256 MIIB"],
  ["CERT", "URI 1 1 AA=="],
  ["CERT", "65535 1 254 AA=="],
  ["OPENPGPKEY", "mQINBFit2jsBEADrbl5vjVxYeAE0g0IDYCBpHirv1Sjlqxx5gjtPhb2Y hvyDMXjq"],
  [
    "ZONEMD",
    "2018031900 1 1 FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE7EB1A7B641A47BA7FED2DD5B97AE499FAFA4F22C6BD647DE",
  ],
  ["ZONEMD", "1 1 9 000102030405060708090A0B"],
  ["CSYNC", "66 3 A NS AAAA"],
  ["CSYNC", "1 0"],
  ["EUI48", "00-00-5E-00-53-2a"],
  ["EUI64", "00-00-5e-ef-10-00-00-2a"],
  ["DHCID", "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="],
  ["TYPE65534", "\\# 4 0A000001"],
  ["A", "\\# 4 0A 00 00 01"],
  ["TYPE65533", "\\# 0"],
  ["NULL", "\\# 3 00 01 02"],
  ["MX", "\\# 7 000A 01 61 01 62 00"],
];

/** BIND's raw dump: 24-octet header, then per RRset totallen, class, type, covers, ttl,
 * count, owner (length-prefixed wire), and count × (length, RDATA). */
function readRaw(file: string): Map<string, Buffer> {
  const b = readFileSync(file);
  const out = new Map<string, Buffer>();
  let p = 24;
  while (p < b.length) {
    const total = b.readUInt32BE(p);
    const count = b.readUInt32BE(p + 14);
    const nameLen = b.readUInt16BE(p + 18);
    const owner = readNameWire(b, p + 20).name;
    let q = p + 20 + nameLen;
    for (let i = 0; i < count; i++) {
      const len = b.readUInt16BE(q);
      out.set(owner.toLowerCase(), b.subarray(q + 2, q + 2 + len));
      q += 2 + len;
    }
    p += total;
  }
  return out;
}

function zoneText(records: Array<[string, string]>): string {
  const lines = [
    `$ORIGIN ${ORIGIN}`,
    "$TTL 300",
    "@ SOA ns1 hostmaster 1 7200 3600 1209600 300",
    "@ NS ns1",
    "ns1 A 192.0.2.53",
  ];
  records.forEach(([type, rdata], i) => {
    lines.push(`r${i} ${type} ${rdata}`);
  });
  return `${lines.join("\n")}\n`;
}

function compile(dir: string, name: string, zone: string, format: "raw" | "text"): string {
  const src = join(dir, `${name}.zone`);
  const dst = join(dir, `${name}.${format}`);
  writeFileSync(src, zone);
  // Integrity and name checks off: the records are deliberately odd, not a real zone.
  const args = [
    "-i",
    "none",
    "-k",
    "ignore",
    "-n",
    "ignore",
    "-F",
    format,
    "-o",
    dst,
    "example.com",
    src,
  ];
  try {
    execFileSync(COMPILE!, args, { stdio: "pipe" });
  } catch (e) {
    const out = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(
      `named-compilezone failed:\n${out.stdout?.toString()}${out.stderr?.toString()}`,
    );
  }
  return dst;
}

t.test(
  "identical wire RDATA and mutually readable text, compared with BIND",
  { skip: !COMPILE && "named-compilezone not installed" },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "rdata-bind-"));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));

    const bindWire = readRaw(compile(dir, "in", zoneText(RECORDS), "raw"));
    const ours: Buffer[] = [];
    const printed: Array<[string, string]> = [];
    RECORDS.forEach(([typeText, rdata], i) => {
      const type = typeFromText(typeText)!;
      const wire = rdataFromText(type, fields(rdata), ORIGIN);
      ours.push(wire);
      t.same(
        wire.toString("hex"),
        bindWire.get(`r${i}.${ORIGIN}`)?.toString("hex"),
        `${typeText} ${rdata}: same octets as BIND`,
      );
      printed.push([typeToText(type), rdataToText(type, wire)]);
    });

    // Our canonical text, compiled by BIND, gives the same octets again.
    const again = readRaw(compile(dir, "ours", zoneText(printed), "raw"));
    printed.forEach(([type, text], i) => {
      t.same(
        again.get(`r${i}.${ORIGIN}`)?.toString("hex"),
        ours[i].toString("hex"),
        `BIND reads our "${type} ${text}"`,
      );
    });

    // BIND's text output, parsed by us, gives the same octets; and apart from BIND splitting
    // long base64/hex into words, it is our text.
    const bindText = readFileSync(compile(dir, "text", zoneText(RECORDS), "text"), "latin1");
    for (const line of bindText.split("\n")) {
      const m = /^r(\d+)\.example\.com\.\s+\d+\s+IN\s+(\S+)\s+(.*)$/.exec(line);
      if (!m) continue;
      const i = Number(m[1]);
      const type = typeFromText(m[2])!;
      t.same(
        rdataFromText(type, fields(m[3]), ORIGIN).toString("hex"),
        ours[i].toString("hex"),
        `we read BIND's "${m[2]} ${m[3]}"`,
      );
      const squash = (s: string) => s.replace(/\s+/g, "");
      // BIND 9.18 predates the name "dohpath" (RFC 9461) and prints it as key7.
      const bindCanonical = m[3].replace("key7=", "dohpath=");
      t.equal(squash(printed[i][1]), squash(bindCanonical), `same text as BIND for ${m[2]}`);
    }
  },
);
