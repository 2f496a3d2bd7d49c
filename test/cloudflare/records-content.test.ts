import t from "tap";
import { API_ERRORS, ApiError } from "../../src/cloudflare/errors.js";
import {
  mergeRecordBody,
  type RecordBody,
  type RecordJson,
  recordJson,
  type ValidRecord,
  validRecord,
} from "../../src/cloudflare/records/content.js";
import { rdataToText } from "../../src/wire/rdata.js";
import { T } from "../../src/wire/types.js";

const ORIGIN = "example.com.";

const DS_DIGEST = "2BB183AF5F22588179A53B0A98631FAD1A292118";
const KEY =
  "AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8nokfzj31GajIQKY+5CptLr3buXA10hWqTkF7H6RfoRqXQeogmMHfpftf6zMv1LyBUgia7za6ZEzOJBOztyvhjL742iU/TpPSEDhm2SNKLijfUppn1UaNvv4w==";
const SHA256 = "D2ABDE240D7CD3EE6B4B28C54DF034B97983A1D16E8A410E4561CB106618E971";
const SHA1 = "123456789ABCDEF67890123456789ABCDEF67890";

/** The error a call throws, as Cloudflare's code, HTTP status and message. */
function errorOf(fn: () => unknown): { code: number; status: number; message: string } {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return { code: e.code, status: e.status, message: e.message };
  }
  throw new Error("no error thrown");
}

function valid(body: RecordBody): ValidRecord {
  return validRecord(ORIGIN, body);
}

/* ------------------------------------------------------------------------------------------ */

/**
 * One row per accepted form: [what, body, presentation of the stored RDATA, JSON fields the
 * record comes back with (checked with t.match)].
 */
const ACCEPTED: Array<[string, RecordBody, string, Partial<RecordJson>]> = [
  [
    "A, relative name",
    { name: "www", type: "A", content: "192.0.2.1" },
    "192.0.2.1",
    { name: "www.example.com", type: "A", content: "192.0.2.1", proxiable: true },
  ],
  [
    "AAAA stored canonical, lowercase type",
    { name: "v6.example.com", type: "aaaa", content: "2001:DB8:0:0:0:0:0:1" },
    "2001:db8::1",
    { name: "v6.example.com", type: "AAAA", content: "2001:db8::1" },
  ],
  [
    "CNAME: content names are absolute without the dot",
    { name: "alias", type: "CNAME", content: "target.example.net" },
    "target.example.net.",
    { content: "target.example.net", proxiable: true },
  ],
  [
    "CNAME to the apex with @",
    { name: "alias", type: "CNAME", content: "@" },
    "example.com.",
    { content: "example.com" },
  ],
  [
    "NS with a trailing dot",
    { name: "sub", type: "NS", content: "ns1.example.net." },
    "ns1.example.net.",
    { content: "ns1.example.net", proxiable: false },
  ],
  [
    "PTR",
    { name: "1.2", type: "PTR", content: "host.example.com" },
    "host.example.com.",
    { name: "1.2.example.com", content: "host.example.com" },
  ],
  [
    "MX: priority apart",
    { name: "@", type: "MX", content: "mail.example.com", priority: 10 },
    "10 mail.example.com.",
    { name: "example.com", content: "mail.example.com", priority: 10 },
  ],
  [
    "MX: priority in the content",
    { name: "@", type: "MX", content: "20 mail.example.com" },
    "20 mail.example.com.",
    { content: "mail.example.com", priority: 20 },
  ],
  [
    "MX: null MX",
    { name: "@", type: "MX", content: ".", priority: 0 },
    "0 .",
    { content: ".", priority: 0 },
  ],
  [
    "SRV from data",
    {
      name: "_sip._tcp",
      type: "SRV",
      data: { priority: 1, weight: 2, port: 5060, target: "sip.example.com" },
    },
    "1 2 5060 sip.example.com.",
    {
      content: "2 5060 sip.example.com",
      priority: 1,
      data: { priority: 1, weight: 2, port: 5060, target: "sip.example.com" },
    },
  ],
  [
    "SRV from content and priority",
    { name: "_sip._udp", type: "SRV", content: "5 5060 sip.example.com", priority: 3 },
    "3 5 5060 sip.example.com.",
    { content: "5 5060 sip.example.com", priority: 3 },
  ],
  [
    "SRV: data without priority takes the priority field",
    {
      name: "_x._tcp",
      type: "SRV",
      priority: 7,
      data: { weight: 0, port: 1, target: "." },
    },
    "7 0 1 .",
    { content: "0 1 .", priority: 7 },
  ],
  [
    "URI from data and priority",
    { name: "_http._tcp", type: "URI", priority: 10, data: { weight: 1, target: "https://a/" } },
    '10 1 "https://a/"',
    { content: '1 "https://a/"', priority: 10, data: { weight: 1, target: "https://a/" } },
  ],
  [
    "URI from content",
    { name: "_http._tcp", type: "URI", priority: 10, content: '1 "https://b/"' },
    '10 1 "https://b/"',
    { priority: 10 },
  ],
  [
    "CAA from data",
    { name: "@", type: "CAA", data: { flags: 0, tag: "issue", value: "letsencrypt.org" } },
    '0 issue "letsencrypt.org"',
    {
      content: '0 issue "letsencrypt.org"',
      data: { flags: 0, tag: "issue", value: "letsencrypt.org" },
    },
  ],
  [
    "CAA from content; data wins over content",
    {
      name: "@",
      type: "CAA",
      content: '0 issue "ignored.example"',
      data: { flags: 128, tag: "iodef", value: 'mailto:"x"@example.com' },
    },
    '128 iodef "mailto:\\"x\\"@example.com"',
    { data: { flags: 128, tag: "iodef", value: 'mailto:"x"@example.com' } },
  ],
  [
    "CAA from content",
    { name: "@", type: "CAA", content: '0 issue "letsencrypt.org"' },
    '0 issue "letsencrypt.org"',
    { data: { flags: 0, tag: "issue", value: "letsencrypt.org" } },
  ],
  [
    "TXT: unquoted content is one text",
    { name: "@", type: "TXT", content: 'v=spf1 include:_spf.example.net ~all "quoted"' },
    '"v=spf1 include:_spf.example.net ~all \\"quoted\\""',
    { content: 'v=spf1 include:_spf.example.net ~all "quoted"' },
  ],
  [
    "TXT: quoted content is character-strings",
    { name: "@", type: "TXT", content: '"part one" "part two"' },
    '"part one" "part two"',
    { content: '"part one" "part two"' },
  ],
  [
    "TXT: one quoted string comes back raw",
    { name: "@", type: "TXT", content: '"hello world"' },
    '"hello world"',
    { content: "hello world" },
  ],
  [
    "TXT: long raw text is cut at 255 octets",
    { name: "@", type: "TXT", content: "a".repeat(300) },
    `"${"a".repeat(255)}" "${"a".repeat(45)}"`,
    { content: `"${"a".repeat(255)}" "${"a".repeat(45)}"` },
  ],
  [
    "TXT: UTF-8 text",
    { name: "@", type: "TXT", content: "héllo ☃" },
    '"h\\195\\169llo \\226\\152\\131"',
    { content: "héllo ☃" },
  ],
  [
    "DS from data",
    {
      name: "sub",
      type: "DS",
      data: { key_tag: 60485, algorithm: 5, digest_type: 1, digest: DS_DIGEST },
    },
    `60485 5 1 ${DS_DIGEST}`,
    { data: { key_tag: 60485, algorithm: 5, digest_type: 1, digest: DS_DIGEST } },
  ],
  [
    "DNSKEY from data",
    { name: "@", type: "DNSKEY", data: { flags: 256, protocol: 3, algorithm: 5, public_key: KEY } },
    `256 3 5 ${KEY}`,
    { data: { flags: 256, protocol: 3, algorithm: 5, public_key: KEY } },
  ],
  [
    "TLSA from data",
    {
      name: "_443._tcp",
      type: "TLSA",
      data: { usage: 3, selector: 1, matching_type: 1, certificate: SHA256 },
    },
    `3 1 1 ${SHA256}`,
    { data: { usage: 3, selector: 1, matching_type: 1, certificate: SHA256 } },
  ],
  [
    "SMIMEA from data",
    {
      name: "x._smimecert",
      type: "SMIMEA",
      data: { usage: 3, selector: 0, matching_type: 1, certificate: SHA256 },
    },
    `3 0 1 ${SHA256}`,
    { data: { usage: 3, selector: 0, matching_type: 1, certificate: SHA256 } },
  ],
  [
    "SSHFP from data",
    { name: "host", type: "SSHFP", data: { algorithm: 4, type: 1, fingerprint: SHA1 } },
    `4 1 ${SHA1}`,
    { data: { algorithm: 4, type: 1, fingerprint: SHA1 } },
  ],
  [
    "CERT from data (numbers come back numbers)",
    { name: "c", type: "CERT", data: { type: 1, key_tag: 2, algorithm: 8, certificate: "AAAA" } },
    "PKIX 2 RSASHA256 AAAA",
    { content: "1 2 8 AAAA", data: { type: 1, key_tag: 2, algorithm: 8, certificate: "AAAA" } },
  ],
  [
    "HTTPS from data",
    {
      name: "@",
      type: "HTTPS",
      data: { priority: 1, target: ".", value: 'alpn="h3,h2" ipv4hint=192.0.2.1' },
    },
    '1 . alpn="h3,h2" ipv4hint=192.0.2.1',
    {
      content: '1 . alpn="h3,h2" ipv4hint=192.0.2.1',
      data: { priority: 1, target: ".", value: 'alpn="h3,h2" ipv4hint=192.0.2.1' },
    },
  ],
  [
    "SVCB from content",
    { name: "_dns", type: "SVCB", content: "1 dns.example.com alpn=dot" },
    '1 dns.example.com. alpn="dot"',
    { data: { priority: 1, target: "dns.example.com", value: 'alpn="dot"' } },
  ],
  [
    "LOC from data",
    {
      name: "loc",
      type: "LOC",
      data: {
        lat_degrees: 52,
        lat_minutes: 22,
        lat_seconds: 23.5,
        lat_direction: "N",
        long_degrees: 4,
        long_minutes: 53,
        long_seconds: 32,
        long_direction: "E",
        altitude: -2,
        size: 1,
        precision_horz: 10000,
        precision_vert: 10,
      },
    },
    "52 22 23.500 N 4 53 32.000 E -2.00m 1m 10000m 10m",
    {
      data: {
        lat_degrees: 52,
        lat_minutes: 22,
        lat_seconds: 23.5,
        lat_direction: "N",
        long_degrees: 4,
        long_minutes: 53,
        long_seconds: 32,
        long_direction: "E",
        altitude: -2,
        size: 1,
        precision_horz: 10000,
        precision_vert: 10,
      },
    },
  ],
  [
    "NAPTR from data",
    {
      name: "naptr",
      type: "NAPTR",
      data: {
        order: 100,
        preference: 10,
        flags: "S",
        service: "SIP+D2U",
        regex: "",
        replacement: "_sip._udp.example.com",
      },
    },
    '100 10 "S" "SIP+D2U" "" _sip._udp.example.com.',
    {
      content: '100 10 "S" "SIP+D2U" "" _sip._udp.example.com',
      data: {
        order: 100,
        preference: 10,
        flags: "S",
        service: "SIP+D2U",
        regex: "",
        replacement: "_sip._udp.example.com",
      },
    },
  ],
  [
    "OPENPGPKEY from content",
    { name: "k._openpgpkey", type: "OPENPGPKEY", content: KEY },
    KEY,
    { content: KEY },
  ],
  [
    "a type outside Cloudflare's list, in RFC 3597 form",
    { name: "g", type: "TYPE65280", content: "\\# 2 ABCD" },
    "\\# 2 ABCD",
    { type: "TYPE65280", content: "\\# 2 ABCD" },
  ],
];

t.test("accepted bodies: stored RDATA, JSON, and JSON back to the same record", async (t) => {
  for (const [what, body, rdata, json] of ACCEPTED) {
    const v = valid(body);
    t.equal(rdataToText(v.type, v.rdata), rdata, `${what}: rdata`);
    const out = recordJson(ORIGIN, v);
    t.match(out, json, `${what}: json`);
    const again = valid(out as unknown as RecordBody);
    t.same(again.rdata, v.rdata, `${what}: round trip`);
    t.equal(again.name, v.name, `${what}: name round trip`);
    t.equal(again.type, v.type, `${what}: type round trip`);
  }
});

/** Name rules: [name given, canonical name stored, name in JSON]. */
const NAMES: Array<[string, string, string]> = [
  ["@", "example.com.", "example.com"],
  ["example.com", "example.com.", "example.com"],
  ["www", "www.example.com.", "www.example.com"],
  ["www.example.com", "www.example.com.", "www.example.com"],
  ["WWW.Example.COM", "WWW.Example.COM.", "www.example.com"],
  ["a.b", "a.b.example.com.", "a.b.example.com"],
  ["www.example.com.", "www.example.com.", "www.example.com"],
  ["*.example.com", "*.example.com.", "*.example.com"],
  ["*", "*.example.com.", "*.example.com"],
  ["_dmarc", "_dmarc.example.com.", "_dmarc.example.com"],
  ["bücher", "xn--bcher-kva.example.com.", "xn--bcher-kva.example.com"],
  ["example.org", "example.org.example.com.", "example.org.example.com"],
];

t.test("names: relative, absolute without the dot, absolute, apex", async (t) => {
  for (const [given, stored, shown] of NAMES) {
    const v = valid({ name: given, type: "A", content: "192.0.2.1" });
    t.equal(v.name, stored, `${given}: stored`);
    t.equal(recordJson(ORIGIN, v).name, shown, `${given}: json`);
  }
});

/** [what, body, code, message (string: exact; RegExp: match)]. */
const REJECTED: Array<[string, unknown, number, string | RegExp]> = [
  ["body not an object", "x", 89104, /body must be a JSON object/],
  ["body an array", [], 89104, /body must be a JSON object/],
  ["name missing", { type: "A", content: "192.0.2.1" }, 89104, "name is required"],
  ["name not a string", { name: 5, type: "A", content: "192.0.2.1" }, 89104, /name must be/],
  ["name empty", { name: "", type: "A", content: "192.0.2.1" }, 9000, "DNS name is invalid."],
  ["name with a space", { name: "a b", type: "A", content: "192.0.2.1" }, 9000, /invalid/],
  ["name with an empty label", { name: "a..b", type: "A", content: "1.2.3.4" }, 9000, /invalid/],
  ["name label too long", { name: "a".repeat(64), type: "A", content: "1.2.3.4" }, 9000, /invalid/],
  [
    "name outside the zone",
    { name: "www.example.org.", type: "A", content: "192.0.2.1" },
    9000,
    "DNS name is invalid. www.example.org is not in the zone example.com.",
  ],
  ["type missing", { name: "a", content: "192.0.2.1" }, 89104, "type is required"],
  ["type not a string", { name: "a", type: 1, content: "192.0.2.1" }, 89104, /type must be/],
  ["type unknown", { name: "a", type: "BOGUS", content: "x" }, 9004, "Invalid DNS record type"],
  ["type SOA", { name: "@", type: "SOA", content: "a. b. 1 2 3 4 5" }, 9004, /Invalid DNS/],
  ["type ANY", { name: "a", type: "ANY", content: "x" }, 9004, /Invalid DNS/],
  ["type AXFR", { name: "a", type: "AXFR", content: "x" }, 9004, /Invalid DNS/],
  ["type OPT", { name: "a", type: "OPT", content: "x" }, 9004, /Invalid DNS/],
  ["type TSIG", { name: "a", type: "TSIG", content: "x" }, 9004, /Invalid DNS/],
  [
    "A not an address",
    { name: "a", type: "A", content: "300.1.1.1" },
    9005,
    "Content for A record must be a valid IPv4 address.",
  ],
  [
    "A given an IPv6 address",
    { name: "a", type: "A", content: "2001:db8::1" },
    9005,
    "Content for A record must be a valid IPv4 address.",
  ],
  [
    "AAAA given an IPv4 address",
    { name: "a", type: "AAAA", content: "192.0.2.1" },
    9006,
    "Content for AAAA record must be a valid IPv6 address.",
  ],
  ["A content missing", { name: "a", type: "A" }, 9005, /IPv4/],
  ["A content not a string", { name: "a", type: "A", content: 1 }, 89104, /content must be/],
  ["A content two lines", { name: "a", type: "A", content: "1.2.3.4\n5.6.7.8" }, 9005, /IPv4/],
  [
    "CNAME to itself",
    { name: "self", type: "CNAME", content: "self.example.com" },
    9007,
    /cannot point to itself/,
  ],
  [
    "CNAME to an address",
    { name: "c", type: "CNAME", content: "192.0.2.1" },
    9007,
    /Content for CNAME record is invalid/,
  ],
  [
    "CNAME bad name",
    { name: "c", type: "CNAME", content: "a..b" },
    9007,
    /CNAME record is invalid/,
  ],
  [
    "MX without priority",
    { name: "@", type: "MX", content: "mail.example.com" },
    89104,
    "priority is required for MX records",
  ],
  [
    "MX priority out of range",
    { name: "@", type: "MX", content: "m.example.com", priority: 70000 },
    89104,
    /priority must be/,
  ],
  [
    "MX priority a string",
    { name: "@", type: "MX", content: "m.example.com", priority: "10" },
    89104,
    /priority must be/,
  ],
  [
    "MX bad exchange",
    { name: "@", type: "MX", content: "a..b", priority: 1 },
    1004,
    /^Content for MX record is invalid\. MX exchange/,
  ],
  [
    "SRV data without target",
    { name: "_a._tcp", type: "SRV", data: { priority: 1, weight: 1, port: 1 } },
    89104,
    "data.target is required",
  ],
  [
    "SRV data port not a number",
    { name: "_a._tcp", type: "SRV", data: { priority: 1, weight: 1, port: "x", target: "." } },
    89104,
    "data.port must be an integer 0-65535",
  ],
  [
    "data not an object",
    { name: "@", type: "CAA", data: "0 issue x" },
    89104,
    "data must be an object",
  ],
  [
    "CAA data bad tag",
    { name: "@", type: "CAA", data: { flags: 0, tag: "is-sue", value: "x" } },
    1004,
    /^Content for CAA record is invalid\. CAA tag/,
  ],
  [
    "CAA flags out of range",
    { name: "@", type: "CAA", data: { flags: 256, tag: "issue", value: "x" } },
    89104,
    "data.flags must be an integer 0-255",
  ],
  [
    "DS digest of the wrong length",
    { name: "s", type: "DS", data: { key_tag: 1, algorithm: 8, digest_type: 2, digest: "AB" } },
    1004,
    /DS digest must be 32 octets/,
  ],
  [
    "LOC direction",
    {
      name: "l",
      type: "LOC",
      data: {
        lat_degrees: 1,
        lat_direction: "E",
        long_degrees: 1,
        long_direction: "E",
        altitude: 0,
      },
    },
    89104,
    "data.lat_direction must be N or S",
  ],
  [
    "HTTPS value not a string",
    { name: "@", type: "HTTPS", data: { priority: 1, target: ".", value: 5 } },
    89104,
    "data.value must be a string",
  ],
  [
    "HTTPS bad param",
    { name: "@", type: "HTTPS", data: { priority: 1, target: ".", value: "bogus=1" } },
    1004,
    /^Content for HTTPS record is invalid\./,
  ],
  [
    "TXT over 2048 characters",
    { name: "@", type: "TXT", content: "a".repeat(2049) },
    1004,
    "Content for TXT record is invalid. Content must be 2,048 characters or less.",
  ],
  ["TXT empty", { name: "@", type: "TXT", content: "" }, 1004, /Content is empty/],
  ["NS content empty", { name: "s", type: "NS", content: " " }, 1004, /Content is empty/],
  [
    "HINFO content with a comment",
    { name: "h", type: "HINFO", content: "a b ; c" },
    1004,
    /one line/,
  ],
  [
    "TTL too small",
    { name: "a", type: "A", content: "192.0.2.1", ttl: 29 },
    9021,
    "Invalid TTL. Must be between 30 and 86,400 seconds, or 1 for Automatic.",
  ],
  ["TTL too large", { name: "a", type: "A", content: "1.2.3.4", ttl: 86401 }, 9021, /Invalid TTL/],
  ["TTL zero", { name: "a", type: "A", content: "1.2.3.4", ttl: 0 }, 9021, /Invalid TTL/],
  ["TTL fraction", { name: "a", type: "A", content: "1.2.3.4", ttl: 300.5 }, 9021, /Invalid TTL/],
  ["TTL a string", { name: "a", type: "A", content: "1.2.3.4", ttl: "300" }, 9021, /Invalid TTL/],
  [
    "proxied TXT",
    { name: "a", type: "TXT", content: "x", proxied: true },
    9041,
    "Invalid proxied mode. Record cannot be proxied",
  ],
  [
    "proxied MX",
    { name: "a", type: "MX", content: "m.example.com", priority: 1, proxied: true },
    9041,
    /proxied/,
  ],
  [
    "proxied not a boolean",
    { name: "a", type: "A", content: "1.2.3.4", proxied: "true" },
    89104,
    "proxied must be a boolean",
  ],
  [
    "comment too long",
    { name: "a", type: "A", content: "1.2.3.4", comment: "c".repeat(101) },
    89104,
    "comment must be 100 characters or less",
  ],
  [
    "comment not a string",
    { name: "a", type: "A", content: "1.2.3.4", comment: 5 },
    89104,
    "comment must be a string or null",
  ],
  [
    "tags not an array",
    { name: "a", type: "A", content: "1.2.3.4", tags: "a:b" },
    89104,
    "tags must be an array of strings",
  ],
  [
    "tag without a value",
    { name: "a", type: "A", content: "1.2.3.4", tags: ["nocolon"] },
    89104,
    'tag "nocolon" must be written name:value',
  ],
  [
    "too many tags",
    {
      name: "a",
      type: "A",
      content: "1.2.3.4",
      tags: Array.from({ length: 21 }, (_, i) => `t:${i}`),
    },
    89104,
    "tags may hold at most 20 tags",
  ],
  [
    "settings not an object",
    { name: "a", type: "A", content: "1.2.3.4", settings: [] },
    89104,
    "settings must be an object",
  ],
  [
    "unknown setting",
    { name: "a", type: "A", content: "1.2.3.4", settings: { foo: true } },
    89104,
    "settings.foo is not a known setting",
  ],
  [
    "setting not a boolean",
    { name: "a", type: "A", content: "1.2.3.4", proxied: true, settings: { ipv4_only: 1 } },
    89104,
    "settings.ipv4_only must be a boolean",
  ],
  [
    "ipv4_only on a record not proxied",
    { name: "a", type: "A", content: "1.2.3.4", settings: { ipv4_only: true } },
    89104,
    /applies to proxied A, AAAA and CNAME records only/,
  ],
  [
    "ipv4_only and ipv6_only",
    {
      name: "a",
      type: "A",
      content: "1.2.3.4",
      proxied: true,
      settings: { ipv4_only: true, ipv6_only: true },
    },
    89104,
    /cannot both be true/,
  ],
  [
    "flatten_cname on an A",
    { name: "a", type: "A", content: "1.2.3.4", settings: { flatten_cname: true } },
    89104,
    "settings.flatten_cname applies to CNAME records only",
  ],
];

t.test("rejected bodies: code, status 400, message", async (t) => {
  for (const [what, body, code, message] of REJECTED) {
    const err = errorOf(() => validRecord(ORIGIN, body as RecordBody));
    t.equal(err.code, code, `${what}: code`);
    t.equal(err.status, 400, `${what}: status`);
    if (typeof message === "string") t.equal(err.message, message, `${what}: message`);
    else t.match(err.message, message, `${what}: message`);
  }
});

t.test("TTL: default automatic, 1 serves 300, proxied forces automatic", async (t) => {
  const rows: Array<[RecordBody, number, boolean, number]> = [
    [{}, 300, true, 1],
    [{ ttl: 1 }, 300, true, 1],
    [{ ttl: 30 }, 30, false, 30],
    [{ ttl: 86400 }, 86400, false, 86400],
    [{ ttl: 3600, proxied: true }, 300, true, 1],
    [{ ttl: 3600, proxied: false }, 3600, false, 3600],
  ];
  for (const [extra, served, auto, shown] of rows) {
    const v = valid({ name: "a", type: "A", content: "192.0.2.1", ...extra });
    const what = JSON.stringify(extra);
    t.equal(v.ttl, served, `${what}: served`);
    t.equal(v.auto, auto, `${what}: auto`);
    t.equal(recordJson(ORIGIN, v).ttl, shown, `${what}: json`);
  }
});

t.test("proxied, comment, tags and settings are kept and shown", async (t) => {
  const v = valid({
    name: "p",
    type: "CNAME",
    content: "origin.example.net",
    proxied: true,
    comment: "front door",
    tags: ["env:prod", "team:dns"],
    settings: { ipv6_only: true, flatten_cname: false },
  });
  t.same(
    { proxied: v.proxied, comment: v.comment, tags: v.tags, settings: v.settings },
    {
      proxied: true,
      comment: "front door",
      tags: ["env:prod", "team:dns"],
      settings: { ipv6_only: true, flatten_cname: false },
    },
  );
  t.match(recordJson(ORIGIN, v), {
    proxied: true,
    proxiable: true,
    comment: "front door",
    tags: ["env:prod", "team:dns"],
    settings: { ipv6_only: true, flatten_cname: false },
  });
  const plain = valid({ name: "q", type: "A", content: "192.0.2.1", comment: null, tags: [] });
  t.same(
    { comment: plain.comment, tags: plain.tags, settings: plain.settings },
    { comment: undefined, tags: undefined, settings: undefined },
  );
  t.match(recordJson(ORIGIN, plain), { comment: null, tags: [], settings: {}, proxied: false });
  const flat = valid({
    name: "f",
    type: "CNAME",
    content: "x.example.net",
    settings: { flatten_cname: true },
  });
  t.same(flat.settings, { flatten_cname: true });
});

t.test("only ApiError escapes validation, whatever the body", async (t) => {
  const bodies: unknown[] = [
    null,
    undefined,
    42,
    { name: {}, type: [], content: {} },
    { name: "a", type: "A", content: '"' },
    { name: "a", type: "HINFO", content: "(a" },
    { name: "a", type: "SRV", data: { priority: -1, weight: 1.5, port: 1, target: 5 } },
    { name: "a", type: "LOC", data: {} },
    { name: "a", type: "NAPTR", data: { order: 1, preference: 1, flags: 1 } },
    { name: "\\999", type: "A", content: "1.2.3.4" },
    { name: `${"a.".repeat(130)}`, type: "A", content: "1.2.3.4" },
  ];
  for (const body of bodies) {
    try {
      validRecord(ORIGIN, body as RecordBody);
      t.fail(`accepted ${JSON.stringify(body)}`);
    } catch (e) {
      t.ok(e instanceof ApiError, `${JSON.stringify(body)}: ApiError`);
    }
  }
  // Quoted TXT that does not lex is raw text; it comes back quoted, since raw it would not
  // read back as the same text.
  for (const content of ['"unclosed', "(", '"a" ; b']) {
    const raw = valid({ name: "a", type: "TXT", content });
    t.equal(raw.rdata.subarray(1).toString(), content, `${content}: one raw text`);
    const back = recordJson(ORIGIN, raw).content;
    t.same(
      valid({ name: "a", type: "TXT", content: back }).rdata,
      raw.rdata,
      `${content}: reads back`,
    );
  }
});

t.test("PATCH: merge over the current record, then validate", async (t) => {
  const mx = recordJson(
    ORIGIN,
    valid({
      name: "@",
      type: "MX",
      content: "m.example.com",
      priority: 10,
      ttl: 600,
      comment: "c",
    }),
  );
  const bump = valid(mergeRecordBody(mx, { priority: 20 }));
  t.equal(rdataToText(bump.type, bump.rdata), "20 m.example.com.");
  t.equal(bump.ttl, 600);
  t.equal(bump.comment, "c");

  const cleared = valid(mergeRecordBody(mx, { comment: null, ttl: 1 }));
  t.equal(cleared.comment, undefined);
  t.equal(cleared.auto, true);

  const srv = recordJson(
    ORIGIN,
    valid({
      name: "_s._tcp",
      type: "SRV",
      data: { priority: 1, weight: 2, port: 3, target: "t.example.com" },
    }),
  );
  const srvPriority = valid(mergeRecordBody(srv, { priority: 9 }));
  t.equal(
    rdataToText(T.SRV, srvPriority.rdata),
    "9 2 3 t.example.com.",
    "priority alone replaces data's",
  );
  const srvContent = valid(mergeRecordBody(srv, { content: "5 6 u.example.com" }));
  t.equal(
    rdataToText(T.SRV, srvContent.rdata),
    "1 5 6 u.example.com.",
    "content drops the old data",
  );
  const srvData = valid(
    mergeRecordBody(srv, { data: { weight: 7, port: 8, target: "v.example.com" } }),
  );
  t.equal(
    rdataToText(T.SRV, srvData.rdata),
    "1 7 8 v.example.com.",
    "data keeps the priority field",
  );

  const a = recordJson(
    ORIGIN,
    valid({
      name: "w",
      type: "A",
      content: "192.0.2.1",
      proxied: true,
      settings: { ipv4_only: true },
    }),
  );
  const renamed = valid(mergeRecordBody(a, { name: "w2" }));
  t.equal(renamed.name, "w2.example.com.");
  t.equal(renamed.proxied, true);
  t.same(renamed.settings, { ipv4_only: true });
  const merged = valid(mergeRecordBody(a, { settings: { ipv4_only: false } }));
  t.same(merged.settings, { ipv4_only: false }, "settings merge key by key");
  t.equal(
    errorOf(() => valid(mergeRecordBody(a, { type: "AAAA" }))).code,
    9006,
    "a new type with the old content is validated",
  );
  t.equal(errorOf(() => valid(mergeRecordBody(a, { ttl: 5 }))).code, 9021);
  t.equal(errorOf(() => mergeRecordBody(a, "x" as unknown as RecordBody)).code, 89104);

  const caa = recordJson(ORIGIN, valid({ name: "@", type: "CAA", content: '0 issue "a.example"' }));
  const caaType = valid(mergeRecordBody(caa, { type: "TXT", content: "now text" }));
  t.equal(caaType.type, T.TXT);
});

t.test("the record codes are in the table with their statuses", async (t) => {
  t.same(API_ERRORS.RECORD_NOT_FOUND, { code: 81044, status: 404 });
  t.same(API_ERRORS.HOST_CONFLICT, { code: 81053, status: 400 });
  t.same(API_ERRORS.CNAME_CONFLICT, { code: 81054, status: 400 });
  t.same(API_ERRORS.NS_CONFLICT, { code: 81056, status: 400 });
  t.same(API_ERRORS.RECORD_EXISTS, { code: 81057, status: 400 });
  for (const kind of [
    "INVALID_NAME",
    "INVALID_TYPE",
    "CONTENT_A",
    "CONTENT_AAAA",
    "CONTENT_CNAME",
    "INVALID_CONTENT",
    "INVALID_TTL",
    "INVALID_PROXIED",
    "INVALID_FIELD",
  ] as const) {
    t.equal(API_ERRORS[kind].status, 400, kind);
  }
});
