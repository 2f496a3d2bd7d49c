import t from "tap";
import {
  CLASS_ANY,
  CLASS_CH,
  CLASS_HS,
  CLASS_IN,
  CLASS_NONE,
  classFromText,
  classToText,
  isMetaType,
  T,
  typeFromText,
  typeToText,
} from "../../src/wire/types.js";

t.test("type numbers from the IANA registry", async (t) => {
  t.equal(T.A, 1);
  t.equal(T.SOA, 6);
  t.equal(T.AAAA, 28);
  t.equal(T.OPT, 41);
  t.equal(T.RRSIG, 46);
  t.equal(T.SVCB, 64);
  t.equal(T.HTTPS, 65);
  t.equal(T.TSIG, 250);
  t.equal(T.IXFR, 251);
  t.equal(T.AXFR, 252);
  t.equal(T.ANY, 255);
  t.equal(T.URI, 256);
  t.equal(T.CAA, 257);
  t.equal(T.DLV, 32769);
});

t.test("typeFromText: mnemonics in any case, RFC 3597 TYPEnnn", async (t) => {
  t.equal(typeFromText("A"), 1);
  t.equal(typeFromText("mx"), 15);
  t.equal(typeFromText("Https"), 65);
  t.equal(typeFromText("NSAP-PTR"), 23);
  t.equal(typeFromText("nsap-ptr"), 23);
  t.equal(typeFromText("TYPE65534"), 65534);
  t.equal(typeFromText("type1"), 1);
  t.equal(typeFromText("TYPE0"), 0);
  t.equal(typeFromText("TYPE065535"), undefined);
  t.equal(typeFromText("TYPE65536"), undefined);
  t.equal(typeFromText("TYPE"), undefined);
  t.equal(typeFromText("TYPE1x"), undefined);
  t.equal(typeFromText("FOO"), undefined);
  t.equal(typeFromText(""), undefined);
  t.equal(typeFromText("IN"), undefined);
});

t.test("typeToText", async (t) => {
  t.equal(typeToText(1), "A");
  t.equal(typeToText(23), "NSAP-PTR");
  t.equal(typeToText(65534), "TYPE65534");
  t.equal(typeToText(0), "TYPE0");
  t.equal(typeToText(252), "AXFR");
});

t.test("meta-types", async (t) => {
  for (const type of [T.OPT, T.TSIG, T.TKEY, T.IXFR, T.AXFR, T.ANY, T.MAILA, 128])
    t.ok(isMetaType(type));
  for (const type of [T.A, T.URI, T.CAA, 127, 256]) t.notOk(isMetaType(type));
});

t.test("classes", async (t) => {
  t.equal(CLASS_IN, 1);
  t.equal(classFromText("IN"), CLASS_IN);
  t.equal(classFromText("in"), CLASS_IN);
  t.equal(classFromText("CH"), CLASS_CH);
  t.equal(classFromText("chaos"), CLASS_CH);
  t.equal(classFromText("HS"), CLASS_HS);
  t.equal(classFromText("hesiod"), CLASS_HS);
  t.equal(classFromText("NONE"), CLASS_NONE);
  t.equal(classFromText("ANY"), CLASS_ANY);
  t.equal(classFromText("CLASS1"), 1);
  t.equal(classFromText("class65535"), 65535);
  t.equal(classFromText("CLASS65536"), undefined);
  t.equal(classFromText("CLASS"), undefined);
  t.equal(classFromText("A"), undefined);
  t.equal(classToText(1), "IN");
  t.equal(classToText(254), "NONE");
  t.equal(classToText(42), "CLASS42");
});
