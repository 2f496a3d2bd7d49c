import t from "tap";
import {
  decodeBase32Hex,
  decodeBase64,
  decodeCharString,
  decodeHexInto,
  encodeBase32Hex,
  encodeBase64,
  encodeHex,
  quoteString,
} from "../../src/wire/text.js";
import { errorOf } from "./fields.js";

t.test("character-strings (RFC 1035 §5.1)", async (t) => {
  const out = new Uint8Array(16);
  t.equal(decodeCharString('a\\"\\\\\\065\\255', out, 0, 16), 5);
  t.same([...out.subarray(0, 5)], [0x61, 0x22, 0x5c, 0x41, 0xff]);
  t.equal(decodeCharString("abc", out, 0, 2), -1);
  t.equal(decodeCharString("é", out, 0, 1), -1);
  t.equal(decodeCharString("\\001\\002", out, 3, 2), 5);
  t.equal(
    quoteString(Buffer.from([0x61, 0x22, 0x5c, 0x20, 0x7f, 0x00, 0x3b]), 0, 7),
    '"a\\"\\\\ \\127\\000;"',
  );
  t.equal(
    errorOf(() => decodeCharString("\\1", out, 0, 16)),
    'bad escape "\\1" in "\\1": \\DDD needs 3 digits',
  );
});

t.test("base64 (RFC 4648 §4), strict", async (t) => {
  t.same(decodeBase64("AQAB"), Buffer.from([1, 0, 1]));
  t.same(decodeBase64("AQ=="), Buffer.from([1]));
  t.same(decodeBase64("AQA="), Buffer.from([1, 0]));
  t.same(decodeBase64(""), Buffer.alloc(0));
  t.equal(encodeBase64(Buffer.from([1, 0, 1])), "AQAB");
  t.equal(
    errorOf(() => decodeBase64("AQA=A===")),
    'bad base64 "AQA=A===": unexpected "="',
  );
  t.equal(
    errorOf(() => decodeBase64("====")),
    'bad base64 "====": unexpected "="',
  );
  t.equal(
    errorOf(() => decodeBase64("AQ=B")),
    'bad base64 "AQ=B": unexpected "="',
  );
  t.equal(
    errorOf(() => decodeBase64("AQB=")),
    'bad base64 "AQB=": non-zero bits after the last octet',
  );
  t.equal(
    errorOf(() => decodeBase64("AQ\u00e9=")),
    'bad base64 "AQ\u00e9=": unexpected "\u00e9"',
  );
});

t.test("hex", async (t) => {
  const out = Buffer.alloc(3);
  t.equal(decodeHexInto("0aFf10", out, 0), 3);
  t.equal(out.toString("hex"), "0aff10");
  t.equal(encodeHex(out), "0AFF10");
  t.equal(encodeHex(out, 1, 2), "FF");
  t.equal(
    errorOf(() => decodeHexInto("0", out, 0)),
    'bad hex "0": odd number of digits',
  );
  t.equal(
    errorOf(() => decodeHexInto("0\u0100", out, 0)),
    'bad hex "0\u0100": unexpected "\u0100"',
  );
});

t.test("base32hex without padding (RFC 4648 §7, RFC 5155 §3.3)", async (t) => {
  // RFC 4648 §10 test vectors, padding removed.
  const vectors: Array<[string, string]> = [
    ["", ""],
    ["f", "CO"],
    ["fo", "CPNG"],
    ["foo", "CPNMU"],
    ["foob", "CPNMUOG"],
    ["fooba", "CPNMUOJ1"],
    ["foobar", "CPNMUOJ1E8"],
  ];
  for (const [plain, encoded] of vectors) {
    t.equal(encodeBase32Hex(Buffer.from(plain)), encoded);
    t.equal(decodeBase32Hex(encoded).toString(), plain);
    t.equal(decodeBase32Hex(encoded.toLowerCase()).toString(), plain);
  }
  t.equal(
    errorOf(() => decodeBase32Hex("C")),
    'bad base32hex "C": impossible length 1',
  );
  t.equal(
    errorOf(() => decodeBase32Hex("CW")),
    'bad base32hex "CW": unexpected "W"',
  );
  t.equal(
    errorOf(() => decodeBase32Hex("CP")),
    'bad base32hex "CP": non-zero bits after the last octet',
  );
});
