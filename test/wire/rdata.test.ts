import t from "tap";
import { nameToWire, parseName } from "../../src/wire/name.js";
import { RdataError, rdataFromLine, rdataFromText, rdataToText } from "../../src/wire/rdata.js";
import type { Token } from "../../src/wire/token.js";
import { T, typeFromText } from "../../src/wire/types.js";
import { errorOf, fields } from "./fields.js";

const ORIGIN = "example.com.";

function typeOf(mnemonic: string): number {
  const type = typeFromText(mnemonic);
  if (type === undefined) throw new Error(`no type ${mnemonic}`);
  return type;
}

function toWire(type: string, rdata: string, origin = ORIGIN): Buffer {
  return rdataFromText(typeOf(type), fields(rdata), origin);
}

const KEY =
  "AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8nokfzj31GajIQKY+5CptLr3buXA10hWqTkF7H6RfoRqXQeogmMHfpftf6zMv1LyBUgia7za6ZEzOJBOztyvhjL742iU/TpPSEDhm2SNKLijfUppn1UaNvv4w==";
const SIG =
  "oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6oB9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQfsS3Ap3o=";

/** [type, input as written, canonical output]. */
const ROUND_TRIPS: Array<[string, string, string]> = [
  ["A", "192.0.2.1", "192.0.2.1"],
  ["AAAA", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
  ["AAAA", "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
  ["AAAA", "1:0:0:2:0:0:0:3", "1:0:0:2::3"],
  ["AAAA", "0:0:0:0:0:0:0:0", "::"],
  ["AAAA", "0::0:1", "::1"],
  ["AAAA", "::0.0.0.1", "::1"],
  ["AAAA", "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
  ["AAAA", "::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
  ["AAAA", "::FFFF:192.0.2.1", "::ffff:192.0.2.1"],
  ["AAAA", "::192.0.2.1", "::192.0.2.1"],
  ["AAAA", "64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  ["AAAA", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
  ["AAAA", "0001:02:003:4:5:6:7:0008", "1:2:3:4:5:6:7:8"],
  ["NS", "ns1", "ns1.example.com."],
  ["NS", "@", "example.com."],
  ["NS", "ns1.Other.NET.", "ns1.Other.NET."],
  ["CNAME", "a\\.b.c\\032d\\\\", "a\\.b.c\\032d\\\\.example.com."],
  ["CNAME", "\\065b", "Ab.example.com."],
  ["DNAME", "other.net.", "other.net."],
  ["PTR", "host", "host.example.com."],
  ["MX", "010 mail", "10 mail.example.com."],
  ["MX", "0 .", "0 ."],
  [
    "SOA",
    "ns1 hostmaster 2024010101 1h 15M 2w 1d",
    "ns1.example.com. hostmaster.example.com. 2024010101 3600 900 1209600 86400",
  ],
  ["SOA", "a. b. 4294967295 1h30m 0 4294967295 300", "a. b. 4294967295 5400 0 4294967295 300"],
  [
    "TXT",
    'plain "two words" "q\\"uote" "back\\\\slash"',
    '"plain" "two words" "q\\"uote" "back\\\\slash"',
  ],
  ["TXT", '"\\000\\031 ~\\127\\255;()"', '"\\000\\031 ~\\127\\255;()"'],
  ["TXT", '"\\065\\066" \\"x', '"AB" "\\"x"'],
  ["TXT", '""', '""'],
  ["TXT", '"é"', '"\\195\\169"'],
  ["TXT", '"😀"', '"\\240\\159\\152\\128"'],
  ["SPF", '"v=spf1 -all"', '"v=spf1 -all"'],
  ["HINFO", '"PC Intel" Linux', '"PC Intel" "Linux"'],
  ["MINFO", "rmail email.other.", "rmail.example.com. email.other."],
  ["RP", "mbox txt", "mbox.example.com. txt.example.com."],
  ["AFSDB", "1 afs", "1 afs.example.com."],
  ["KX", "10 kx", "10 kx.example.com."],
  ["RT", "10 relay", "10 relay.example.com."],
  ["PX", "10 a b", "10 a.example.com. b.example.com."],
  ["SRV", "0 5 5060 sip", "0 5 5060 sip.example.com."],
  ["SRV", "0 0 0 .", "0 0 0 ."],
  [
    "NAPTR",
    '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .',
    '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .',
  ],
  ["NAPTR", '100 10 "" "" "" _sip._udp', '100 10 "" "" "" _sip._udp.example.com.'],
  [
    "NAPTR",
    '1 1 s SIP+D2U "!(a)(b)!\\\\2\\\\1!ii" .',
    '1 1 "s" "SIP+D2U" "!(a)(b)!\\\\2\\\\1!ii" .',
  ],
  ["URI", '10 1 "ftp://ftp1.example.com/public"', '10 1 "ftp://ftp1.example.com/public"'],
  ["URI", '10 1 ""', '10 1 ""'],
  ["CAA", "0 issue ca.example.net", '0 issue "ca.example.net"'],
  ["CAA", '128 tbs "Unknown"', '128 tbs "Unknown"'],
  ["CAA", '0 issue ""', '0 issue ""'],
  ["CAA", "0 Issue ca\\;x", '0 Issue "ca;x"'],
  [
    "DS",
    "60485 5 1 2bb183af5f22588179a53b0a 98631fad1a292118",
    "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
  ],
  ["DS", "1 RSASHA256 9 00", "1 8 9 00"],
  ["CDS", "0 0 0 00", "0 0 0 00"],
  ["DNSKEY", `256 3 5 ${KEY.slice(0, 20)} ${KEY.slice(20)}`, `256 3 5 ${KEY}`],
  ["DNSKEY", "257 3 ed25519 AQAB", "257 3 15 AQAB"],
  ["CDNSKEY", "0 3 0 AA==", "0 3 0 AA=="],
  ["KEY", "49408 3 8", "49408 3 8"],
  [
    "RRSIG",
    `A 5 3 86400 20030322173103 20030220173103 2642 example.com. ${SIG}`,
    `A 5 3 86400 20030322173103 20030220173103 2642 example.com. ${SIG}`,
  ],
  [
    "RRSIG",
    "TYPE999 RSASHA256 2 300 1700000000 0 1 @ AAAA",
    "TYPE999 8 2 300 20231114221320 19700101000000 1 example.com. AAAA",
  ],
  [
    "RRSIG",
    "a 8 2 300 21060207062815 19700101000000 1 . AAAA",
    "A 8 2 300 21060207062815 19700101000000 1 . AAAA",
  ],
  [
    "RRSIG",
    "A 8 2 300 21100101000000 20280229235960 1 . AAAA",
    "A 8 2 300 19731124173144 20280301000000 1 . AAAA",
  ],
  [
    "NSEC",
    "host.example.com. A MX RRSIG NSEC TYPE1234",
    "host.example.com. A MX RRSIG NSEC TYPE1234",
  ],
  ["NSEC", "next nsec a a type1 CAA", "next.example.com. A NSEC CAA"],
  ["NSEC", "next", "next.example.com."],
  [
    "NSEC3",
    "1 1 12 aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG",
    "1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR NS SOA MX RRSIG DNSKEY NSEC3PARAM",
  ],
  ["NSEC3", "1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr", "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR"],
  ["NSEC3PARAM", "1 0 12 aabbccdd", "1 0 12 AABBCCDD"],
  ["NSEC3PARAM", "1 0 0 -", "1 0 0 -"],
  ["CSYNC", "66 3 A NS AAAA", "66 3 A NS AAAA"],
  ["ZONEMD", "2018031900 1 9 000102030405060708090a0b", "2018031900 1 9 000102030405060708090A0B"],
  [
    "TLSA",
    "3 1 1 0c72ac70b745ac19998811b131d662c9 ac69dbdbe7cb23e5b514b56664c5d3d6",
    "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6",
  ],
  ["SMIMEA", "3 0 0 308201", "3 0 0 308201"],
  [
    "SSHFP",
    "2 1 123456789abcdef67890123456789abcdef67890",
    "2 1 123456789ABCDEF67890123456789ABCDEF67890",
  ],
  ["CERT", "pkix 0 0 MIIB", "PKIX 0 0 MIIB"],
  ["CERT", "1 12345 8 MI IB", "PKIX 12345 RSASHA256 MIIB"],
  ["CERT", "254 1 253 AA==", "OID 1 PRIVATEDNS AA=="],
  ["OPENPGPKEY", "mQINBFit2jsB EADrbl5v", "mQINBFit2jsBEADrbl5v"],
  [
    "DHCID",
    "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=",
    "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=",
  ],
  ["EUI48", "00-00-5E-00-53-2A", "00-00-5e-00-53-2a"],
  ["EUI64", "00-00-5e-ef-10-00-00-2a", "00-00-5e-ef-10-00-00-2a"],
  ["LOC", "42 21 54 N 71 06 18 W -24m 30m", "42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m"],
  [
    "LOC",
    "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m",
    "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m",
  ],
  ["LOC", "60 9 n 24 39 e 10 20", "60 9 0.000 N 24 39 0.000 E 10.00m 20m 10000m 10m"],
  ["LOC", "0 0 0 S 0 0 0 W 0", "0 0 0.000 N 0 0 0.000 E 0.00m 1m 10000m 10m"],
  ["LOC", "1 0 .5 S 180 W +0.5 15m 0.11m 1.", "1 0 0.500 S 180 0 0.000 W 0.50m 10m 0.10m 1m"],
  [
    "LOC",
    "90 N 0 E -100000m 90000000m 12345678m",
    "90 0 0.000 N 0 0 0.000 E -100000.00m 90000000m 10000000m 10m",
  ],
  ["LOC", "10 N 1 E 42849672.95m", "10 0 0.000 N 1 0 0.000 E 42849672.95m 1m 10000m 10m"],
  ["LOC", "10 N 1 E -0.5m", "10 0 0.000 N 1 0 0.000 E -0.50m 1m 10000m 10m"],
  ["SVCB", "0 foo.example.com.", "0 foo.example.com."],
  ["SVCB", "1 .", "1 ."],
  [
    "SVCB",
    "1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.1,192.0.2.2 key65000=abc",
    '1 . alpn="h2,h3" port=443 ipv4hint=192.0.2.1,192.0.2.2 key65000="abc"',
  ],
  [
    "HTTPS",
    '1 . port="8443" alpn="h3,h2\\\\\\\\,x" mandatory=port,alpn no-default-alpn ech=AEP+DQA= ipv6hint=2001:DB8::1',
    '1 . mandatory=alpn,port alpn="h3,h2\\\\\\\\,x" no-default-alpn port=8443 ech=AEP+DQA= ipv6hint=2001:db8::1',
  ],
  [
    "HTTPS",
    "16 foo.example.org. key667=hello\\210qoo",
    '16 foo.example.org. key667="hello\\210qoo"',
  ],
  ["HTTPS", '1 . key3="\\001\\187" key1="\\002h2"', '1 . alpn="h2" port=443'],
  ["HTTPS", '1 . key123 key124="" ech ohttp', "1 . ech ohttp key123 key124"],
  ["HTTPS", "1 . alpn=h2\\,h3", '1 . alpn="h2,h3"'],
  ["HTTPS", "1 . alpn=h2\\\\,h3", '1 . alpn="h2\\\\,h3"'],
  ["HTTPS", '1 . alpn="h2\\\\x"', '1 . alpn="h2x"'],
  [
    "SVCB",
    '1 svc dohpath="/dns-query{?dns}" alpn=h2',
    '1 svc.example.com. alpn="h2" dohpath="/dns-query{?dns}"',
  ],
  ["SVCB", "1 . mandatory=key65000 key65000", "1 . mandatory=key65000 key65000"],
  ["SVCB", "0 . alpn=h2", '0 . alpn="h2"'],
  ["TYPE65534", "\\# 4 0A000001", "\\# 4 0A000001"],
  ["TYPE65534", "\\# 0", "\\# 0"],
  ["TYPE65534", "\\# 3 0a 0 001", "\\# 3 0A0001"],
  ["NULL", "\\# 2 0000", "\\# 2 0000"],
  ["WKS", "\\# 5 c000020106", "\\# 5 C000020106"],
  ["A", "\\# 04 0A000001", "10.0.0.1"],
  ["MX", "\\# 7 000A 01 61 01 62 00", "10 a.b."],
  ["TXT", "\\# 2 0161", '"a"'],
];

t.test("text → wire → text round trips print the canonical form", async (t) => {
  for (const [type, input, canonical] of ROUND_TRIPS) {
    const wire = toWire(type, input);
    const printed = rdataToText(typeOf(type), wire);
    t.equal(printed, canonical, `${type} ${input}`);
    t.same(toWire(type, printed), wire, `${type} ${canonical} reads back to the same octets`);
  }
});

/**
 * Exact octets, computed by hand from the RFC layouts (or quoted from the RFC where it gives
 * them), each with the breakdown in the comment.
 */
const VECTORS: Array<[string, string, string]> = [
  // RFC 1035 §3.4.1: four octets.
  ["A", "192.0.2.1", "c0000201"],
  // RFC 3596 §2.2: sixteen octets, "::" filled with zeros.
  ["AAAA", "2001:db8::1", "20010db8000000000000000000000001"],
  // RFC 4291 §2.2 form 3: last 32 bits from the dotted quad.
  ["AAAA", "::ffff:192.0.2.1", "00000000000000000000ffffc0000201"],
  // Length-prefixed labels, root label 0.
  ["NS", "ns1", "036e7331076578616d706c6503636f6d00"],
  ["CNAME", "a\\.b", "03612e62076578616d706c6503636f6d00"],
  ["MX", "10 mail", "000a046d61696c076578616d706c6503636f6d00"],
  // MNAME, RNAME, then serial 2024010101 = 0x78a3f175, 7200, 3600, 1209600, 300.
  [
    "SOA",
    "ns1 hostmaster 2024010101 7200 3600 1209600 300",
    "036e7331076578616d706c6503636f6d00" +
      "0a686f73746d6173746572076578616d706c6503636f6d00" +
      "78a3f175" +
      "00001c20" +
      "00000e10" +
      "00127500" +
      "0000012c",
  ],
  // Each character-string: length octet + octets.
  ["TXT", '"a" "bc" ""', "0161026263" + "00"],
  ["HINFO", "PC Linux", "025043054c696e7578"],
  // RFC 2782: priority 0, weight 5, port 5060 = 0x13c4, target.
  ["SRV", "0 5 5060 sip", "0000000513c403736970076578616d706c6503636f6d00"],
  // RFC 3403: order 100, pref 10, "U", "E2U+sip", 27-octet regexp, root.
  [
    "NAPTR",
    '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .',
    `0064000a0155074532552b7369701b${Buffer.from("!^.*$!sip:info@example.com!").toString("hex")}00`,
  ],
  // RFC 7553 §4.5: priority, weight, then the target with no length octet.
  [
    "URI",
    '10 1 "ftp://ftp1.example.com/public"',
    `000a0001${Buffer.from("ftp://ftp1.example.com/public").toString("hex")}`,
  ],
  // RFC 8659 §4.1: flags, tag length 5, "issue", value without a length octet.
  ["CAA", '0 issue "ca.example.net"', `0005${Buffer.from("issueca.example.net").toString("hex")}`],
  // RFC 4034 §5.4 example: key tag 60485 = 0xec45, alg 5, digest type 1, SHA-1 digest.
  [
    "DS",
    "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
    "ec4505012bb183af5f22588179a53b0a98631fad1a292118",
  ],
  // RFC 4034 §2.3 example: flags 256, protocol 3, algorithm 5, key.
  ["DNSKEY", `256 3 5 ${KEY}`, `01000305${Buffer.from(KEY, "base64").toString("hex")}`],
  // RFC 4034 §3.3 example: type A, alg 5, 3 labels, TTL 86400 = 0x15180, expiration
  // 2003-03-22T17:31:03Z = 0x3e7c9dd7, inception 2003-02-20T17:31:03Z = 0x3e5510d7,
  // key tag 2642 = 0x0a52, signer, signature.
  [
    "RRSIG",
    `A 5 3 86400 20030322173103 20030220173103 2642 example.com. ${SIG}`,
    [
      "0001", // type covered A
      "05", // algorithm
      "03", // labels
      "00015180", // original TTL
      "3e7c9dd7", // expiration
      "3e5510d7", // inception
      "0a52", // key tag
      "076578616d706c6503636f6d00", // signer
      Buffer.from(SIG, "base64").toString("hex"),
    ].join(""),
  ],
  // RFC 4034 §4.3 gives these octets: window 0 of 6 octets (A, MX, RRSIG, NSEC) and
  // window 4 of 27 octets with only bit 0xd2 (1234 = 4·256 + 210) set.
  [
    "NSEC",
    "host.example.com. A MX RRSIG NSEC TYPE1234",
    ["04686f7374076578616d706c6503636f6d00", "0006400100000003", `041b${"00".repeat(26)}20`].join(
      "",
    ),
  ],
  // RFC 5155 Appendix A: alg 1, flags 1, 12 iterations, salt aabbccdd, 20-octet hash,
  // window 0 of 7 octets: NS SOA (0x22) MX (0x01) RRSIG (0x02) DNSKEY NSEC3PARAM (0x90).
  [
    "NSEC3",
    "1 1 12 aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG",
    [
      "0101000c",
      "04aabbccdd",
      "14174eb2409fe28bcb4887a1836f957f0a8425e27b",
      "0007220100000002" + "90",
    ].join(""),
  ],
  ["NSEC3PARAM", "1 0 12 aabbccdd", "0100000c04aabbccdd"],
  ["NSEC3PARAM", "1 0 0 -", "0100000000"],
  // RFC 6698 §2.3 example: usage 0, selector 0, matching type 1, SHA-256 digest.
  [
    "TLSA",
    "0 0 1 d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971",
    "000001d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971",
  ],
  // RFC 4255 §3.3 example: algorithm 2 (DSA), type 1 (SHA-1), fingerprint.
  [
    "SSHFP",
    "2 1 123456789abcdef67890123456789abcdef67890",
    "0201123456789abcdef67890123456789abcdef67890",
  ],
  // RFC 4398 §2: type PKIX 1, key tag 0, algorithm 0, base64 "MIIB" = 30 82 01.
  ["CERT", "PKIX 0 0 MIIB", "0001000000308201"],
  ["OPENPGPKEY", "MIIB", "308201"],
  // RFC 7043 §3.2 example.
  ["EUI48", "00-00-5e-00-53-2a", "00005e00532a"],
  // RFC 1876: version 0, size 30m = 3·10^3 cm (0x33), default precisions 0x16 0x13,
  // latitude 2^31 + 42°21'54" in ms = 0x89172dd0, longitude 2^31 − 71°06'18" = 0x70be15f0,
  // altitude 10^7 cm − 2400 cm = 0x00988d20.
  ["LOC", "42 21 54 N 71 06 18 W -24m 30m", "0033161389172dd070be15f000988d20"],
  // RFC 9460 Appendix D.1/D.2 test vectors.
  ["HTTPS", "0 foo.example.com.", "000003666f6f076578616d706c6503636f6d00"],
  ["SVCB", "1 .", "000100"],
  ["SVCB", "16 foo.example.com. port=53", "001003666f6f076578616d706c6503636f6d00000300020035"],
  [
    "SVCB",
    "1 foo.example.com. key667=hello",
    "000103666f6f076578616d706c6503636f6d00029b000568656c6c6f",
  ],
  [
    "SVCB",
    '1 foo.example.com. key667="hello\\210qoo"',
    "000103666f6f076578616d706c6503636f6d00029b000968656c6c6fd2716f6f",
  ],
  [
    "SVCB",
    '1 foo.example.com. ipv6hint="2001:db8::1,2001:db8::53:1"',
    "000103666f6f076578616d706c6503636f6d000006002020010db800000000000000000000000120010db8000000000000000000530001",
  ],
  [
    "SVCB",
    '1 example.com. ipv6hint="2001:db8:122:344::192.0.2.33"',
    "0001076578616d706c6503636f6d000006001020010db80122034400000000c0000221",
  ],
  [
    "SVCB",
    "16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1",
    [
      "0010", // SvcPriority 16
      "03666f6f076578616d706c65036f726700", // foo.example.org.
      "0000000400010004", // mandatory: alpn, ipv4hint
      "00010009026832056833" + "2d3139", // alpn: "h2", "h3-19"
      "00040004c0000201", // ipv4hint 192.0.2.1
    ].join(""),
  ],
  [
    "SVCB",
    '16 foo.example.org. alpn="f\\\\\\\\oo\\\\,bar,h2"',
    "001003666f6f076578616d706c65036f726700" + "0001000c" + "08665c6f6f2c626172" + "026832",
  ],
  [
    "SVCB",
    "16 foo.example.org. alpn=f\\\\\\092oo\\092,bar,h2",
    "001003666f6f076578616d706c65036f726700" + "0001000c" + "08665c6f6f2c626172" + "026832",
  ],
  // RFC 3597 §5 example form.
  ["TYPE65534", "\\# 4 0A000001", "0a000001"],
  ["TYPE731", "\\# 6 abcd ef 012345", "abcdef012345"],
];

t.test("exact wire octets", async (t) => {
  for (const [type, input, hex] of VECTORS) {
    t.equal(toWire(type, input).toString("hex"), hex, `${type} ${input}`);
  }
});

t.test("TXT: several strings, 255-octet limit, escapes", async (t) => {
  const max = "x".repeat(255);
  const w = toWire("TXT", `"${max}" "${max}"`);
  t.equal(w.length, 512);
  t.equal(w[0], 255);
  t.equal(w[256], 255);
  // \DDD counts as one octet: 255 of them fit.
  t.equal(toWire("TXT", `"${"\\120".repeat(255)}"`).length, 256);
  // Like BIND 9.18 (named-checkzone: "syntax error"), a string over 255 octets is refused,
  // quoted or not, rather than silently split.
  const tooLong =
    "TXT string is longer than 255 octets; split it into several quoted strings of at most 255";
  t.equal(
    errorOf(() => toWire("TXT", `"${"x".repeat(256)}"`)),
    tooLong,
  );
  t.equal(
    errorOf(() => toWire("TXT", "x".repeat(256))),
    tooLong,
  );
  t.equal(
    errorOf(() => toWire("TXT", `"${"é".repeat(128)}"`)),
    tooLong,
  );
  // The whole RDATA is limited to 65535 octets.
  const many = Array.from({ length: 257 }, () => `"${max}"`).join(" ");
  t.equal(
    errorOf(() => toWire("TXT", many)),
    "TXT RDATA would be longer than 65535 octets",
  );
  // A quoted "\#" is a string, not the generic form.
  t.equal(rdataToText(T.TXT, rdataFromText(T.TXT, [{ text: "\\#", quoted: true }], ORIGIN)), '"#"');
});

t.test("names: the fast path agrees with parseName/nameToWire", async (t) => {
  const samples = [
    "www",
    "www.",
    "a.b.c",
    "@",
    ".",
    "x\\.y",
    "\\@home",
    "UPPER.Case",
    `${"a".repeat(63)}.b`,
    "a-b_c.d*e",
    "*",
    "*.wild",
    `${"abcdefgh.".repeat(27)}`,
  ];
  for (const origin of [".", "example.com.", "a.very.long.origin.example."]) {
    for (const s of samples) {
      const expected = nameToWire(parseName(s, origin));
      t.same(
        rdataFromText(T.NS, [{ text: s, quoted: false }], origin),
        expected,
        `${s} in ${origin}`,
      );
    }
  }
  t.equal(
    errorOf(() => toWire("NS", `${"a".repeat(64)}`)),
    `NS target "${"a".repeat(64)}" is not a valid name: label longer than 63 octets in name "${"a".repeat(64)}"`,
  );
  const long = `${"abcdefgh.".repeat(29)}`;
  t.match(
    errorOf(() => toWire("NS", long)),
    /^NS target ".*" is not a valid name: name longer than 255 octets/,
  );
  t.match(
    errorOf(() => toWire("NS", "abcdefgh.".repeat(27).slice(0, -1), "abcdefgh.example.")),
    /longer than 255/,
  );
  t.equal(
    errorOf(() => toWire("CNAME", "a..b")),
    'CNAME target "a..b" is not a valid name: empty label in name "a..b"',
  );
  t.equal(
    errorOf(() => toWire("CNAME", ".a")),
    'CNAME target ".a" is not a valid name: empty label in name ".a"',
  );
});

t.test("every error path has a readable message", async (t) => {
  const cases: Array<[string, string, string]> = [
    ["MX", "x mail", 'MX preference "x" is not a number'],
    ["MX", "-1 mail", 'MX preference "-1" is not a number'],
    ["MX", "0x10 mail", 'MX preference "0x10" is not a number'],
    ["MX", "65536 mail", "MX preference 65536 is out of range (0-65535)"],
    ["MX", "10", "MX exchange is missing"],
    ["MX", "10 a b", 'MX has an unexpected extra field "b"'],
    ["MX", "", "MX preference is missing"],
    ["A", "1.2.3", 'A address "1.2.3" is not a dotted-quad IPv4 address'],
    ["A", "1.2.3.04", 'A address "1.2.3.04" is not a dotted-quad IPv4 address'],
    ["A", "256.1.1.1", 'A address "256.1.1.1" is not a dotted-quad IPv4 address'],
    ["A", "1.2.3.4.5", 'A address "1.2.3.4.5" is not a dotted-quad IPv4 address'],
    ["A", "1..2.3", 'A address "1..2.3" is not a dotted-quad IPv4 address'],
    ["A", "1.2.3.4 5", 'A has an unexpected extra field "5"'],
    ["AAAA", "1::2::3", 'AAAA address "1::2::3" is not an IPv6 address'],
    ["AAAA", ":::", 'AAAA address ":::" is not an IPv6 address'],
    ["AAAA", "12345::", 'AAAA address "12345::" is not an IPv6 address'],
    ["AAAA", "1:2:3:4:5:6:7:8::", 'AAAA address "1:2:3:4:5:6:7:8::" is not an IPv6 address'],
    ["AAAA", "1:2:3:4:5:6:7:8:9", 'AAAA address "1:2:3:4:5:6:7:8:9" is not an IPv6 address'],
    ["AAAA", "1:2:3:4:5:6:7", 'AAAA address "1:2:3:4:5:6:7" is not an IPv6 address'],
    ["AAAA", ":1::", 'AAAA address ":1::" is not an IPv6 address'],
    ["AAAA", "1:", 'AAAA address "1:" is not an IPv6 address'],
    ["AAAA", "::ffff:1.2.3", 'AAAA address "::ffff:1.2.3" is not an IPv6 address'],
    [
      "AAAA",
      "1:2:3:4:5:6:7:1.2.3.4",
      'AAAA address "1:2:3:4:5:6:7:1.2.3.4" is not an IPv6 address',
    ],
    ["AAAA", "::1.2.3.4:5", 'AAAA address "::1.2.3.4:5" is not an IPv6 address'],
    ["AAAA", "1.2.3.4", 'AAAA address "1.2.3.4" is not an IPv6 address'],
    ["AAAA", "g::", 'AAAA address "g::" is not an IPv6 address'],
    ["SOA", "a b 1 1 1 1", "SOA minimum is missing"],
    ["SOA", "a b 4294967296 1 1 1 1", "SOA serial 4294967296 is out of range (0-4294967295)"],
    ["SOA", "a b 1 1x 1 1 1", 'SOA refresh "1x" is not a number or time interval'],
    ["SOA", "a b 1 1h30 1 1 1", 'SOA refresh "1h30" is not a number or time interval'],
    ["SOA", "a b 1 1 1 7102w 1", "SOA expire 7102w is out of range (0-4294967295 seconds)"],
    ["TXT", "", "TXT needs at least one character-string"],
    ["TXT", '"\\256"', 'TXT string: bad escape "\\256" in "\\256": above 255'],
    ["TXT", '"\\25"', 'TXT string: bad escape "\\25" in "\\25": \\DDD needs 3 digits'],
    ["TXT", '"\\2x5"', 'TXT string: bad escape "\\2x5" in "\\2x5": \\DDD needs 3 digits'],
    ["HINFO", "a", "HINFO OS is missing"],
    ["HINFO", "a b c", 'HINFO has an unexpected extra field "c"'],
    ["SRV", "0 0 65536 .", "SRV port 65536 is out of range (0-65535)"],
    [
      "NAPTR",
      '1 1 "" "" "bad" .',
      'NAPTR regexp "bad" has no delimiter after the regular expression',
    ],
    ["NAPTR", '1 1 "" "" "!a!b" .', 'NAPTR regexp "!a!b" has no delimiter after the replacement'],
    ["NAPTR", '1 1 "" "" "!a!b!x" .', 'NAPTR regexp "!a!b!x" has flags other than "i"'],
    ["NAPTR", '1 1 "" "" "1a1b1" .', 'NAPTR regexp "1a1b1" cannot use "1" as its delimiter'],
    [
      "NAPTR",
      '1 1 "" "" "!(a)!\\\\2!" .',
      'NAPTR regexp "!(a)!\\\\2!" refers to group \\2 but the expression has 1',
    ],
    ["URI", "10 1 ftp://x/", 'URI target "ftp://x/" must be a quoted string'],
    ["URI", '65536 1 "x"', "URI priority 65536 is out of range (0-65535)"],
    ["URI", '10 1 "a" "b"', 'URI has an unexpected extra field "b"'],
    ["CAA", "0 is-sue x", 'CAA tag "is-sue" may contain only letters and digits'],
    ["CAA", "256 issue x", "CAA flags 256 is out of range (0-255)"],
    ["CAA", "0 issue", "CAA value is missing"],
    ["CAA", "0 issue x y", 'CAA has an unexpected extra field "y"'],
    ["CAA", `0 ${"t".repeat(256)} x`, `CAA tag "${"t".repeat(256)}" must be 1-255 characters`],
    ["DS", "1 8 2 0011", "DS digest must be 32 octets, not 2"],
    ["DS", "1 8 1 0011", "DS digest must be 20 octets, not 2"],
    ["DS", "1 8 4 0011", "DS digest must be 48 octets, not 2"],
    ["DS", "1 8 2", "DS digest is missing"],
    ["DS", "1 8 9 001", 'DS digest: bad hex "001": odd number of digits'],
    ["DS", "1 8 9 0g", 'DS digest: bad hex "0g": unexpected "g"'],
    ["DS", "1 FOO 2 00", 'DS algorithm "FOO" is not a number or a known mnemonic'],
    ["DS", "65536 8 2 00", "DS key tag 65536 is out of range (0-65535)"],
    ["DNSKEY", "256 3 8", "DNSKEY public key is missing"],
    ["DNSKEY", "256 3 8 AQA", 'DNSKEY public key: bad base64 "AQA": length is not a multiple of 4'],
    ["DNSKEY", "256 3 8 AQ=B", 'DNSKEY public key: bad base64 "AQ=B": unexpected "="'],
    [
      "DNSKEY",
      "256 3 8 AR==",
      'DNSKEY public key: bad base64 "AR==": non-zero bits after the last octet',
    ],
    [
      "DNSKEY",
      "256 3 8 AQAB CD==",
      'DNSKEY public key: bad base64 "AQABCD==": non-zero bits after the last octet',
    ],
    ["DNSKEY", "256 3 8 AQ==AQ==", 'DNSKEY public key: bad base64 "AQ==AQ==": unexpected "="'],
    ["DNSKEY", "256 3 8 AQ*B", 'DNSKEY public key: bad base64 "AQ*B": unexpected "*"'],
    [
      "RRSIG",
      "A 8 2 1h 20300101000000 20200101000000 1 . AAAA",
      'RRSIG original TTL "1h" is not a number',
    ],
    [
      "RRSIG",
      "A 8 2 300 2030010100000 20200101000000 1 . AAAA",
      "RRSIG expiration 2030010100000 is out of range (0-4294967295)",
    ],
    [
      "RRSIG",
      "A 8 2 300 20301301000000 20200101000000 1 . AAAA",
      'RRSIG expiration "20301301000000" is not a valid date and time',
    ],
    [
      "RRSIG",
      "A 8 2 300 20300229000000 20200101000000 1 . AAAA",
      'RRSIG expiration "20300229000000" is not a valid date and time',
    ],
    [
      "RRSIG",
      "A 8 2 300 20280229240000 20200101000000 1 . AAAA",
      'RRSIG expiration "20280229240000" is not a valid date and time',
    ],
    [
      "RRSIG",
      "A 8 2 300 2028022923000x 20200101000000 1 . AAAA",
      'RRSIG expiration "2028022923000x" is not YYYYMMDDHHmmSS or a number',
    ],
    [
      "RRSIG",
      "A 8 2 300 4294967296 0 1 . AAAA",
      "RRSIG expiration 4294967296 is out of range (0-4294967295)",
    ],
    ["RRSIG", "A 8 256 300 0 0 1 . AAAA", "RRSIG labels 256 is out of range (0-255)"],
    [
      "RRSIG",
      "FOO 8 2 300 0 0 1 . AAAA",
      'RRSIG type covered "FOO" is not a known type mnemonic or TYPEnnn',
    ],
    [
      "RRSIG",
      "TYPE65536 8 2 300 0 0 1 . AAAA",
      'RRSIG type covered "TYPE65536" is not a known type mnemonic or TYPEnnn',
    ],
    ["RRSIG", "A 8 2 300 0 0 1 .", "RRSIG signature is missing"],
    ["NSEC", "a. FOO", 'NSEC type "FOO" in the type list is not a known type mnemonic or TYPEnnn'],
    ["NSEC", "", "NSEC next domain name is missing"],
    [
      "NSEC3",
      "1 1 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr0",
      'NSEC3 next hashed owner name: bad base32hex "2t7b4g4vsa5smi47k61mv5bv1a22bojr0": impossible length 33',
    ],
    [
      "NSEC3",
      "1 1 0 - 2t7b4g4vsa5smi47k61mv5bv1a22boj",
      'NSEC3 next hashed owner name: bad base32hex "2t7b4g4vsa5smi47k61mv5bv1a22boj": non-zero bits after the last octet',
    ],
    [
      "NSEC3",
      "1 1 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bo!",
      'NSEC3 next hashed owner name: bad base32hex "2t7b4g4vsa5smi47k61mv5bv1a22bo!": unexpected "!"',
    ],
    ["NSEC3", "1 1 0 - 00", "NSEC3 next hashed owner name must be 20 octets for SHA-1, not 1"],
    [
      "NSEC3",
      "2 1 0 - 01",
      'NSEC3 next hashed owner name: bad base32hex "01": non-zero bits after the last octet',
    ],
    [
      "NSEC3",
      "2 1 0 - CPNMUOG=",
      'NSEC3 next hashed owner name: bad base32hex "CPNMUOG=": unexpected "="',
    ],
    [
      "NSEC3",
      "1 1 0 abc 2t7b4g4vsa5smi47k61mv5bv1a22bojr",
      'NSEC3 salt: bad hex "abc": odd number of digits (write "-" for no salt)',
    ],
    ["NSEC3PARAM", "1 0 0", "NSEC3PARAM salt is missing"],
    [
      "NSEC3PARAM",
      "1 0 0 -1",
      'NSEC3PARAM salt: bad hex "-1": unexpected "-" (write "-" for no salt)',
    ],
    ["NSEC3PARAM", `1 0 0 ${"00".repeat(256)}`, "NSEC3PARAM salt is longer than 255 octets"],
    ["ZONEMD", "1 1 1 00", "ZONEMD digest must be 48 octets, not 1"],
    ["ZONEMD", "1 1 2 00", "ZONEMD digest must be 64 octets, not 1"],
    ["ZONEMD", "1 1 9 0001", "ZONEMD digest must be at least 12 octets, not 2"],
    ["TLSA", "3 1 1", "TLSA certificate association data is missing"],
    [
      "TLSA",
      "3 1 1 ab c",
      'TLSA certificate association data: bad hex "abc": odd number of digits',
    ],
    ["SSHFP", "1 1 12", "SSHFP fingerprint must be 20 octets, not 1"],
    ["SSHFP", "1 2 12", "SSHFP fingerprint must be 32 octets, not 1"],
    ["CERT", "FOO 1 1 AA==", 'CERT certificate type "FOO" is not a number or a known mnemonic'],
    ["CERT", "1 1 FOO AA==", 'CERT algorithm "FOO" is not a number or a known mnemonic'],
    ["CERT", "65536 1 1 AA==", "CERT certificate type 65536 is out of range (0-65535)"],
    ["CERT", "1 1 1", "CERT certificate is missing"],
    ["OPENPGPKEY", "", "OPENPGPKEY key is missing"],
    [
      "EUI48",
      "00-00-5e-00-53",
      'EUI48 address "00-00-5e-00-53" is not 6 hex pairs separated by "-"',
    ],
    [
      "EUI48",
      "00:00:5e:00:53:2a",
      'EUI48 address "00:00:5e:00:53:2a" is not 6 hex pairs separated by "-"',
    ],
    ["LOC", "91 0 0 N 0 0 0 E 0", 'LOC latitude degrees "91" are not a whole number 0-90'],
    ["LOC", "90 1 0 N 0 0 0 E 0", "LOC latitude is beyond 90 degrees"],
    ["LOC", "10 60 0 N 1 0 0 E 0", 'LOC latitude minutes "60" are not a whole number 0-59'],
    [
      "LOC",
      "10 5 60 N 1 0 0 E 0",
      'LOC latitude seconds "60" are not a number 0-59.999 with at most 3 decimals',
    ],
    [
      "LOC",
      "10 5 59.9999 N 1 0 0 E 0",
      'LOC latitude seconds "59.9999" are not a number 0-59.999 with at most 3 decimals',
    ],
    ["LOC", "10 1.5 N 1 E 1", 'LOC latitude minutes "1.5" are not a whole number 0-59'],
    ["LOC", "10 N 181 E 0", 'LOC longitude degrees "181" are not a whole number 0-180'],
    ["LOC", "10 N 1 0", "LOC longitude hemisphere (E or W) is missing"],
    ["LOC", "10 1 2 3 N 1 E 0", 'LOC latitude "10 1 2 3" lacks N or S'],
    ["LOC", "N 1 E 0", 'LOC latitude degrees are missing before "N"'],
    ["LOC", "10 N 1 E", "LOC altitude is missing"],
    [
      "LOC",
      "10 N 1 E 1.123m",
      'LOC altitude "1.123m" is not a number of metres with at most 2 decimals',
    ],
    ["LOC", "10 N 1 E 1e3", 'LOC altitude "1e3" is not a number of metres with at most 2 decimals'],
    [
      "LOC",
      "10 N 1 E -100000.01m",
      "LOC altitude -100000.01m is out of range (-100000.00m to 42849672.95m)",
    ],
    [
      "LOC",
      "10 N 1 E 42849672.96m",
      "LOC altitude 42849672.96m is out of range (-100000.00m to 42849672.95m)",
    ],
    ["LOC", "10 N 1 E 0m 90000001m", "LOC size 90000001m is out of range (0-90000000m)"],
    [
      "LOC",
      "10 N 1 E 0m 1m x",
      'LOC horizontal precision "x" is not a number of metres with at most 2 decimals',
    ],
    ["LOC", "10 N 1 E 1 2 3 4 5", 'LOC has an unexpected extra field "5"'],
    ["SVCB", "1", "SVCB TargetName is missing"],
    ["SVCB", "65536 .", "SVCB SvcPriority 65536 is out of range (0-65535)"],
    ["SVCB", "1 .. alpn=h2", 'SVCB TargetName ".." is not a valid name: empty label in name ".."'],
    [
      "SVCB",
      "1 . foo=bar",
      'SVCB SvcParamKey "foo" is not known (write keyNNNNN for an unregistered key)',
    ],
    [
      "SVCB",
      "1 . ALPN=h2",
      'SVCB SvcParamKey "ALPN" is not known (write keyNNNNN for an unregistered key)',
    ],
    [
      "SVCB",
      "1 . key0123=a",
      'SVCB SvcParamKey "key0123" is not known (write keyNNNNN for an unregistered key)',
    ],
    ["SVCB", "1 . key65536=a", 'SVCB SvcParamKey "key65536" is out of range (key0-key65535)'],
    ["SVCB", "1 . port=1 port=2", "SVCB SvcParam port appears twice"],
    ["SVCB", "1 . key123=abc key123=def", "SVCB SvcParam key123 appears twice"],
    ["SVCB", "1 . port=1 key3=\\000\\002", "SVCB SvcParam port appears twice"],
    ["SVCB", "1 foo.example.com. mandatory", "SVCB SvcParam mandatory needs a value"],
    ["SVCB", "1 foo.example.com. alpn", "SVCB SvcParam alpn needs a value"],
    ["SVCB", "1 foo.example.com. alpn=", "SVCB SvcParam alpn needs a value"],
    ["SVCB", '1 foo.example.com. alpn=""', "SVCB SvcParam alpn needs a value"],
    ["SVCB", "1 foo.example.com. port", "SVCB SvcParam port needs a value"],
    ["SVCB", "1 foo.example.com. ipv4hint", "SVCB SvcParam ipv4hint needs a value"],
    ["SVCB", "1 foo.example.com. ipv6hint", "SVCB SvcParam ipv6hint needs a value"],
    ["SVCB", "1 foo.example.com. dohpath", "SVCB SvcParam dohpath needs a value"],
    [
      "SVCB",
      "1 foo.example.com. no-default-alpn=abc alpn=h2",
      "SVCB SvcParam no-default-alpn takes no value",
    ],
    ["SVCB", "1 foo.example.com. ohttp=1", "SVCB SvcParam ohttp takes no value"],
    [
      "SVCB",
      "1 foo.example.com. mandatory=key123",
      "SVCB mandatory lists key123, which the record lacks",
    ],
    [
      "SVCB",
      "1 foo.example.com. mandatory=port",
      "SVCB mandatory lists port, which the record lacks",
    ],
    [
      "SVCB",
      "1 foo.example.com. mandatory=mandatory",
      'SVCB SvcParam mandatory may not list "mandatory"',
    ],
    [
      "SVCB",
      "1 foo.example.com. mandatory=key123,key123 key123=abc",
      "SVCB SvcParam mandatory lists key123 twice",
    ],
    [
      "SVCB",
      "1 foo.example.com. mandatory=alpn, alpn=h2",
      "SVCB SvcParam mandatory has an empty item",
    ],
    [
      "SVCB",
      "1 foo.example.com. mandatory=bogus",
      'SVCB SvcParamKey "bogus" is not known (write keyNNNNN for an unregistered key)',
    ],
    ["SVCB", "1 . no-default-alpn", "SVCB no-default-alpn needs alpn"],
    ["SVCB", "1 . alpn=h2,,h3", "SVCB SvcParam alpn has an empty item"],
    [
      "SVCB",
      `1 . alpn=${"x".repeat(256)}`,
      "SVCB SvcParam alpn has an ALPN id longer than 255 octets",
    ],
    ["SVCB", "1 . alpn=h2\\\\", "SVCB SvcParam alpn ends with a lone backslash"],
    ["SVCB", "1 . port=65536", "SVCB SvcParam port 65536 is out of range (0-65535)"],
    ["SVCB", "1 . port=+1", 'SVCB SvcParam port "+1" is not a number'],
    ["SVCB", "1 . ipv4hint=1.2.3.4,", "SVCB SvcParam ipv4hint has an empty item"],
    ["SVCB", "1 . ipv4hint=1.2.3", 'SVCB SvcParam ipv4hint "1.2.3" is not an IPv4 address'],
    ["SVCB", "1 . ipv6hint=::1,1.2.3.4", 'SVCB SvcParam ipv6hint "1.2.3.4" is not an IPv6 address'],
    ["SVCB", "1 . ech=AB", 'SVCB SvcParam ech: bad base64 "AB": length is not a multiple of 4'],
    ["SVCB", "1 . key1=h2", "SVCB SvcParam key1: alpn ALPN id runs past the end of the value"],
    ["SVCB", "1 . key3=\\001", "SVCB SvcParam key3: port is not 2 octets"],
    [
      "SVCB",
      "1 . key4=\\001\\002\\003",
      "SVCB SvcParam key4: ipv4hint is not a non-empty list of 4-octet addresses",
    ],
    [
      "SVCB",
      "1 . key0=\\000\\001\\000\\001 alpn=h2",
      "SVCB SvcParam key0: mandatory keys are not in strictly increasing order",
    ],
    ["SVCB", "1 . key2=x alpn=h2", "SVCB SvcParam key2: no-default-alpn has a value"],
    ["SVCB", '1 . alpn="h2', 'SVCB SvcParam "alpn="h2" has unbalanced quotes'],
    ["SVCB", '1 . alpn="h2"x', 'SVCB SvcParam "alpn="h2"x" has unbalanced quotes'],
    ["TYPE65534", "1.2.3.4", "TYPE65534 has no known text format; write it as \\# <length> <hex>"],
    ["WKS", "1.2.3.4 6 25", "WKS has no known text format; write it as \\# <length> <hex>"],
    ["AXFR", "\\# 0", "AXFR is a meta-type and cannot appear in zone data"],
    ["OPT", "\\# 0", "OPT is a meta-type and cannot appear in zone data"],
    ["A", "\\#", "A \\# needs a length"],
    ["A", "\\# x 00", 'A \\# length "x" is not a number 0-65535'],
    ["A", "\\# 65536 00", 'A \\# length "65536" is not a number 0-65535'],
    ["A", "\\# 4", "A \\# data has 0 octets but the length says 4"],
    ["A", "\\# 3 0A0000", "A RDATA is malformed: must be 4 octets, not 3"],
    ["A", "\\# 4 0A00000102", "A \\# data has 5 octets but the length says 4"],
    ["A", "\\# 4 0A0000zz", 'A \\# data: bad hex "0A0000zz": unexpected "z"'],
    ["TYPE65534", "\\# 0 00", "TYPE65534 \\# data has 1 octets but the length says 0"],
    ["TXT", "\\# 0", "TXT RDATA is malformed: no character-string"],
    ["TXT", "\\# 2 0261", "TXT RDATA is malformed: string runs past the end"],
    [
      "MX",
      "\\# 4 000Ac000",
      "MX RDATA is malformed: exchange is compressed, which generic (\\#) data cannot be",
    ],
    ["MX", "\\# 4 000A0161", "MX RDATA is malformed: exchange runs past the end"],
    ["MX", "\\# 6 000A00000000", "MX RDATA is malformed: 3 octets left over after the last field"],
  ];
  for (const [type, input, message] of cases) {
    t.equal(
      errorOf(() => toWire(type, input)),
      message,
      `${type} ${input}`,
    );
  }
});

t.test("SVCB parameter token shapes from different lexers", async (t) => {
  const expected = toWire("HTTPS", '1 . alpn="h2,h3" port=443');
  // One field with the quotes kept inside it.
  t.same(rdataFromText(T.HTTPS, fields('1 . alpn="h2,h3" port=443'), ORIGIN), expected);
  // "alpn=" then a separate quoted field.
  const split: Token[] = [
    { text: "1", quoted: false },
    { text: ".", quoted: false },
    { text: "alpn=", quoted: false },
    { text: "h2,h3", quoted: true },
    { text: "port=443", quoted: false },
  ];
  t.same(rdataFromText(T.HTTPS, split, ORIGIN), expected);
  // A wholly quoted parameter is not a parameter.
  t.equal(
    errorOf(() =>
      rdataFromText(T.HTTPS, [split[0], split[1], { text: "alpn=h2", quoted: true }], ORIGIN),
    ),
    'HTTPS SvcParam "alpn=h2" must not be quoted as a whole (write key="value")',
  );
  // A value with spaces, given as a quoted field.
  const spaced = rdataFromText(
    T.SVCB,
    [split[0], split[1], { text: "key9=", quoted: false }, { text: "a b", quoted: true }],
    ORIGIN,
  );
  t.equal(rdataToText(T.SVCB, spaced), '1 . key9="a b"');
});

t.test("character-string edge cases", async (t) => {
  t.equal(rdataToText(T.TXT, toWire("TXT", "a\\ b")), '"a b"');
  t.equal(rdataToText(T.TXT, toWire("TXT", '"\\;\\(\\x"')), '";(x"');
  // An escaped non-ASCII character is that character (UTF-8), like an unescaped one.
  t.equal(rdataToText(T.TXT, toWire("TXT", '"\\é"')), '"\\195\\169"');
  t.equal(
    errorOf(() => rdataFromText(T.TXT, [{ text: "a\\", quoted: true }], ORIGIN)),
    'TXT string: trailing backslash in "a\\"',
  );
  // A lone surrogate is encoded as its code unit (what TextEncoder would replace).
  t.equal(toWire("TXT", '"\ud800"').toString("hex"), "03eda080");
});

t.test("rdataFromLine: the data alone, or a whole line of one of the types", async (t) => {
  const ds = "2371 13 2 1F987CC6583E92DF0890718C42F8EA88DB65BBF9D7C1C4ED34F0DF8325DE49BD";
  const alone = rdataFromLine(ds, [T.DS], ".");
  t.same([alone.type, alone.line], [T.DS, false]);
  t.equal(rdataToText(T.DS, alone.rdata), ds);
  const line = rdataFromLine(`  example.com. 3600 IN DS ${ds}\n`, [T.DS], ".");
  t.same([line.type, line.line], [T.DS, true]);
  t.same(line.rdata, alone.rdata, "the same RDATA either way");
  const key =
    "257 3 13 5FuBblAWwQpI+wkUJTNv+nZZByBH8WsrgQZEd/+oEdi7DoRQ11SEytZXLrIsXqBi5WD0+k9Kj0EORL5GZ+CgAA==";
  const dnskey = rdataFromLine(`. 300 IN DNSKEY ${key}`, [T.DS, T.DNSKEY], ".");
  t.same([dnskey.type, dnskey.line], [T.DNSKEY, true], "the type the line names");
  t.equal(rdataToText(T.DNSKEY, dnskey.rdata), key);
  t.throws(() => rdataFromLine("example.com. IN DS 12 13 2 XYZ", [T.DS], "."), RdataError);
});
