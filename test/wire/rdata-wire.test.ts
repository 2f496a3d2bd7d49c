import t from "tap";
import { nameToWire } from "../../src/wire/name.js";
import {
  additionalTargets,
  compressibleNames,
  hasTextFormat,
  rdataFromText,
  rdataFromWire,
  rdataNames,
  rdataToText,
  soaFields,
  soaRdata,
} from "../../src/wire/rdata.js";
import { T } from "../../src/wire/types.js";
import { errorOf, fields } from "./fields.js";

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ""), "hex");
}

/** A fake message: 12 header octets, then "example.com." at offset 12 (pointer c00c). */
const HEAD = Buffer.concat([Buffer.alloc(12), nameToWire("example.com.")]);
const EXAMPLE = nameToWire("example.com.").toString("hex");

/** Decode `rdata` placed right after HEAD. */
function fromWire(type: number, rdata: string): Buffer {
  const r = hex(rdata);
  return rdataFromWire(type, Buffer.concat([HEAD, r]), HEAD.length, r.length);
}

t.test("compression pointers are expanded for every type with names", async (t) => {
  // MX 10 mail.example.com. with "example.com." as a pointer to offset 12.
  t.equal(fromWire(T.MX, "000a 046d61696c c00c").toString("hex"), `000a046d61696c${EXAMPLE}`);
  t.equal(rdataToText(T.MX, fromWire(T.MX, "000a 046d61696c c00c")), "10 mail.example.com.");
  // A pointer to a pointer.
  const msg = Buffer.concat([HEAD, hex("03777777c00c"), hex("0001 c019")]);
  t.equal(rdataToText(T.MX, rdataFromWire(T.MX, msg, 31, 4)), "1 www.example.com.");
  t.equal(rdataToText(T.NS, fromWire(T.NS, "c00c")), "example.com.");
  t.equal(rdataToText(T.CNAME, fromWire(T.CNAME, "03777777 c00c")), "www.example.com.");
  t.equal(
    rdataToText(
      T.SOA,
      fromWire(
        T.SOA,
        "03 6e7331 c00c 0a 686f73746d6173746572 c00c 00000001 00000002 00000003 00000004 00000005",
      ),
    ),
    "ns1.example.com. hostmaster.example.com. 1 2 3 4 5",
  );
  // RFC 3597 §4: receivers decompress SRV and NAPTR too, and later types are handled alike.
  t.equal(
    rdataToText(T.SRV, fromWire(T.SRV, "0000 0005 13c4 03736970 c00c")),
    "0 5 5060 sip.example.com.",
  );
  t.equal(
    rdataToText(T.NAPTR, fromWire(T.NAPTR, "0001 0002 00 00 00 c00c")),
    '1 2 "" "" "" example.com.',
  );
  t.equal(rdataToText(T.NSEC, fromWire(T.NSEC, "c00c 000140")), "example.com. A");
  t.equal(
    rdataToText(T.HTTPS, fromWire(T.HTTPS, "0001 c00c 0003 0002 01bb")),
    "1 example.com. port=443",
  );
  t.equal(
    rdataToText(
      T.RRSIG,
      fromWire(T.RRSIG, "0001 08 02 0000012c 00000000 00000000 0001 c00c 000000"),
    ),
    "A 8 2 300 19700101000000 19700101000000 1 example.com. AAAA",
  );
  t.equal(rdataToText(T.RP, fromWire(T.RP, "c00c c00c")), "example.com. example.com.");
  t.equal(rdataToText(T.MINFO, fromWire(T.MINFO, "c00c 00")), "example.com. .");
  // Unknown types are copied untouched, pointer-looking octets and all.
  t.equal(fromWire(65280, "c00c ff").toString("hex"), "c00cff");
  t.equal(fromWire(65280, "").length, 0);
});

t.test("rdataFromWire copies uncompressed data exactly", async (t) => {
  const samples: Array<[number, string]> = [
    [T.A, "192.0.2.1"],
    [T.AAAA, "2001:db8::1"],
    [T.TXT, '"a" "" "b"'],
    [T.SOA, "ns1 hostmaster 1 2 3 4 5"],
    [T.LOC, "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m"],
    [T.HTTPS, '1 . alpn="h2,h3" mandatory=alpn ech=AEP+DQA='],
    [T.NSEC3, "1 1 12 aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY"],
    [T.CAA, '0 issue "ca.example.net"'],
    [T.URI, '1 1 "https://x/"'],
    [T.CERT, "PKIX 1 8 AQAB"],
    [T.EUI64, "00-00-5e-ef-10-00-00-2a"],
    [T.ZONEMD, "1 1 9 000102030405060708090A0B"],
    [T.CSYNC, "1 3 A NS"],
    [T.KEY, "49408 3 8"],
  ];
  for (const [type, text] of samples) {
    const rdata = rdataFromText(type, fields(text), "example.com.");
    const msg = Buffer.concat([Buffer.from([1, 2, 3]), rdata, Buffer.from([4])]);
    t.same(rdataFromWire(type, msg, 3, rdata.length), rdata, `${type} ${text}`);
  }
});

t.test("malformed wire RDATA is refused with a reason", async (t) => {
  const cases: Array<[number, string, string]> = [
    [T.A, "c00002", "A RDATA is malformed: must be 4 octets, not 3"],
    [T.A, "c0000201 00", "A RDATA is malformed: must be 4 octets, not 5"],
    [T.AAAA, "00", "AAAA RDATA is malformed: must be 16 octets, not 1"],
    [T.MX, "000a", "MX RDATA is malformed: exchange runs past the end"],
    [T.MX, "00", "MX RDATA is malformed: preference runs past the end"],
    [T.MX, "000a 00 00", "MX RDATA is malformed: 1 octets left over after the last field"],
    [T.MX, "000a c0ff", "MX RDATA is malformed: exchange: bad compression pointer"],
    // HEAD is 25 octets, so the RDATA starts at 0x19 and the name at 0x1b.
    [T.MX, "000a c01b", "MX RDATA is malformed: exchange: bad compression pointer"],
    [T.MX, "000a 03777777 c01b", "MX RDATA is malformed: exchange: name longer than 255 octets"],
    [T.MX, "000a 4000", "MX RDATA is malformed: exchange: reserved label type"],
    [T.MX, "000a 05616263", "MX RDATA is malformed: exchange runs past the end"],
    [T.MX, "000a c0", "MX RDATA is malformed: exchange runs past the end"],
    [
      T.MX,
      `000a ${"3f".concat("61".repeat(63)).repeat(4)}00`,
      "MX RDATA is malformed: exchange: name longer than 255 octets",
    ],
    [
      T.SOA,
      `${EXAMPLE}${EXAMPLE}00000001000000020000000300000004`,
      "SOA RDATA is malformed: minimum runs past the end",
    ],
    [T.TXT, "", "TXT RDATA is malformed: no character-string"],
    [T.TXT, "05 6162", "TXT RDATA is malformed: string runs past the end"],
    [T.HINFO, "01 61", "HINFO RDATA is malformed: OS runs past the end"],
    [T.SRV, "0000 0000 0000", "SRV RDATA is malformed: target runs past the end"],
    [
      T.NAPTR,
      "0001 0001 00 00 01 61 00",
      "NAPTR RDATA is malformed: regexp has no delimiter after the regular expression",
    ],
    [T.URI, "000a", "URI RDATA is malformed: weight runs past the end"],
    [T.CAA, "00 00", "CAA RDATA is malformed: tag is empty"],
    [
      T.CAA,
      "00 02 612d",
      "CAA RDATA is malformed: tag contains a character other than a letter or digit",
    ],
    [T.CAA, "00 05 6973", "CAA RDATA is malformed: tag runs past the end"],
    [T.DS, "0001 08 02 00", "DS RDATA is malformed: digest must be 32 octets, not 1"],
    [T.DS, "0001 08 09", "DS RDATA is malformed: digest is missing"],
    [T.DNSKEY, "0100 03 08", "DNSKEY RDATA is malformed: public key is empty"],
    [
      T.RRSIG,
      "0001 08 02 0000012c 00000000 00000000 0001 00",
      "RRSIG RDATA is malformed: signature is empty",
    ],
    [T.NSEC, "00 0001", "NSEC RDATA is malformed: bitmap runs past the end"],
    [T.NSEC, "00 0000", "NSEC RDATA is malformed: type bitmap window length 0 is not 1-32"],
    [
      T.NSEC,
      `00 0021${"01".repeat(33)}`,
      "NSEC RDATA is malformed: type bitmap window length 33 is not 1-32",
    ],
    [
      T.NSEC,
      "00 010140 000140",
      "NSEC RDATA is malformed: type bitmap windows are not in increasing order",
    ],
    [T.NSEC, "00 00024000", "NSEC RDATA is malformed: type bitmap window ends with a zero octet"],
    [T.NSEC3, "01 00 0000 00 00", "NSEC3 RDATA is malformed: next hashed owner name is empty"],
    [
      T.NSEC3,
      "01 00 0000 00 01 00",
      "NSEC3 RDATA is malformed: next hashed owner name must be 20 octets for SHA-1, not 1",
    ],
    [T.NSEC3PARAM, "01 00 0000 02 00", "NSEC3PARAM RDATA is malformed: salt runs past the end"],
    [T.SSHFP, "01 02 00", "SSHFP RDATA is malformed: fingerprint must be 32 octets, not 1"],
    [
      T.ZONEMD,
      "00000001 01 09 00",
      "ZONEMD RDATA is malformed: digest must be at least 12 octets, not 1",
    ],
    [T.EUI48, "0000", "EUI48 RDATA is malformed: must be 6 octets, not 2"],
    [T.LOC, "01", "LOC RDATA is malformed: version 1 is not 0"],
    [T.LOC, "", "LOC RDATA is malformed: version is missing"],
    [T.LOC, "00 121613 80000000 80000000", "LOC RDATA is malformed: must be 16 octets, not 12"],
    [
      T.LOC,
      "00 1a1613 80000000 80000000 00989680",
      "LOC RDATA is malformed: size/precision octet 0x1a has a digit above 9",
    ],
    [
      T.LOC,
      "00 121613 ffffffff 80000000 00989680",
      "LOC RDATA is malformed: latitude is beyond 90 degrees",
    ],
    [
      T.LOC,
      "00 121613 80000000 00000000 00989680",
      "LOC RDATA is malformed: longitude is beyond 180 degrees",
    ],
    [
      T.SVCB,
      "0001 00 0003 0002 01bb 0001 0003 026832",
      "SVCB RDATA is malformed: SvcParamKeys are not in strictly increasing order",
    ],
    [
      T.SVCB,
      "0001 00 0001 0003 026832 0001 0003 026833",
      "SVCB RDATA is malformed: SvcParamKeys are not in strictly increasing order",
    ],
    [T.SVCB, "0001 00 0003 0003 01bb00", "SVCB RDATA is malformed: port is not 2 octets"],
    [T.SVCB, "0001 00 0001 0000", "SVCB RDATA is malformed: alpn is empty"],
    [T.SVCB, "0001 00 0001 0001 00", "SVCB RDATA is malformed: alpn has an empty ALPN id"],
    [
      T.SVCB,
      "0001 00 0001 0002 0268",
      "SVCB RDATA is malformed: alpn ALPN id runs past the end of the value",
    ],
    [
      T.SVCB,
      "0001 00 0000 0002 0003",
      "SVCB RDATA is malformed: mandatory lists port, which the record lacks",
    ],
    [T.SVCB, "0001 00 0000 0002 0000", 'SVCB RDATA is malformed: mandatory lists "mandatory"'],
    [
      T.SVCB,
      "0001 00 0000 0001 00",
      "SVCB RDATA is malformed: mandatory must be a non-empty list of 2-octet keys",
    ],
    [T.SVCB, "0001 00 0002 0000", "SVCB RDATA is malformed: no-default-alpn needs alpn"],
    [
      T.SVCB,
      "0001 00 0004 0003 c00002",
      "SVCB RDATA is malformed: ipv4hint is not a non-empty list of 4-octet addresses",
    ],
    [
      T.SVCB,
      "0001 00 0006 0004 20010db8",
      "SVCB RDATA is malformed: ipv6hint is not a non-empty list of 16-octet addresses",
    ],
    [T.SVCB, "0001 00 0007 0000", "SVCB RDATA is malformed: dohpath is empty"],
    [T.SVCB, "0001 00 0008 0001 00", "SVCB RDATA is malformed: ohttp has a value"],
    [T.SVCB, "0001 00 0003 0005 01bb", "SVCB RDATA is malformed: SvcParamValue runs past the end"],
    [T.SVCB, "0001 00 00", "SVCB RDATA is malformed: SvcParamKey runs past the end"],
  ];
  for (const [type, rdata, message] of cases) {
    t.equal(
      errorOf(() => fromWire(type, rdata)),
      message,
      `${type} ${rdata}`,
    );
  }
  t.equal(
    errorOf(() => rdataFromWire(T.A, Buffer.alloc(4), 2, 4)),
    "A RDATA runs past the end of the message",
  );
  t.equal(
    errorOf(() => rdataFromWire(T.A, Buffer.alloc(4), -1, 4)),
    "A RDATA runs past the end of the message",
  );
  // Printing validates too.
  t.equal(
    errorOf(() => rdataToText(T.A, Buffer.alloc(3))),
    "A RDATA is malformed: must be 4 octets, not 3",
  );
  t.equal(
    errorOf(() => rdataToText(T.MX, hex("000a c000"))),
    "MX RDATA is malformed: exchange is compressed, which generic (\\#) data cannot be",
  );
  // Unknown types print in the generic form, whatever they hold.
  t.equal(rdataToText(65280, hex("c00c")), "\\# 2 C00C");
  t.equal(rdataToText(T.NULL, Buffer.alloc(0)), "\\# 0");
});

t.test("rdataNames finds every embedded name", async (t) => {
  const soa = rdataFromText(T.SOA, fields("ns1 hostmaster 1 2 3 4 5"), "example.com.");
  t.same(rdataNames(T.SOA, soa), [
    { offset: 0, length: 17 },
    { offset: 17, length: 24 },
  ]);
  const mx = rdataFromText(T.MX, fields("10 mail"), "example.com.");
  t.same(rdataNames(T.MX, mx), [{ offset: 2, length: 18 }]);
  t.same(rdataNames(T.SRV, rdataFromText(T.SRV, fields("0 0 1 ."), ".")), [
    { offset: 6, length: 1 },
  ]);
  const rrsig = rdataFromText(T.RRSIG, fields("A 8 2 300 0 0 1 example.com. AAAA"), ".");
  t.same(rdataNames(T.RRSIG, rrsig), [{ offset: 18, length: 13 }]);
  const naptr = rdataFromText(T.NAPTR, fields('1 1 "s" "" "" x.'), ".");
  t.same(rdataNames(T.NAPTR, naptr), [{ offset: 8, length: 3 }]);
  t.same(rdataNames(T.HTTPS, rdataFromText(T.HTTPS, fields("1 svc. port=1"), ".")), [
    { offset: 2, length: 5 },
  ]);
  t.same(rdataNames(T.A, rdataFromText(T.A, fields("192.0.2.1"), ".")), []);
  t.same(rdataNames(65280, hex("c00c")), []);
  // Every name found really is a name at that offset.
  for (const { offset, length } of rdataNames(T.SOA, soa)) t.equal(soa[offset + length - 1], 0);
  t.equal(
    errorOf(() => rdataNames(T.MX, hex("000a"))),
    "MX RDATA is malformed: exchange runs past the end",
  );
});

t.test("compressibleNames: only the RFC 1035 types (RFC 3597 §4)", async (t) => {
  for (const type of [T.NS, T.MD, T.MF, T.CNAME, T.SOA, T.MB, T.MG, T.MR, T.PTR, T.MINFO, T.MX]) {
    t.ok(compressibleNames(type), `type ${type}`);
  }
  for (const type of [
    T.A,
    T.SRV,
    T.NAPTR,
    T.RRSIG,
    T.NSEC,
    T.DNAME,
    T.SVCB,
    T.HTTPS,
    T.RP,
    T.AFSDB,
    T.KX,
    65280,
  ]) {
    t.notOk(compressibleNames(type), `type ${type}`);
  }
});

t.test("additionalTargets", async (t) => {
  const at = (type: number, text: string) =>
    additionalTargets(type, rdataFromText(type, fields(text), "example.com."));
  t.same(at(T.NS, "ns1"), ["ns1.example.com."]);
  t.same(at(T.MX, "10 Mail"), ["Mail.example.com."]);
  t.same(at(T.MX, "0 ."), []); // RFC 7505 null MX
  t.same(at(T.SRV, "0 5 5060 sip"), ["sip.example.com."]);
  t.same(at(T.SRV, "0 0 0 ."), []); // RFC 2782: service not available
  t.same(at(T.HTTPS, "1 svc alpn=h2"), ["svc.example.com."]);
  t.same(at(T.SVCB, "0 alias.example.net."), ["alias.example.net."]);
  t.same(at(T.HTTPS, "1 ."), []);
  t.same(at(T.CNAME, "www"), []);
  t.same(at(T.A, "192.0.2.1"), []);
  t.equal(
    errorOf(() => additionalTargets(T.MX, hex("000a"))),
    "MX RDATA is malformed: too short",
  );
  t.equal(
    errorOf(() => additionalTargets(T.NS, hex("05 61"))),
    "NS RDATA is malformed: label runs past the end of the message",
  );
});

t.test("soaFields and soaRdata", async (t) => {
  const rdata = rdataFromText(
    T.SOA,
    fields("ns1 hostmaster 2024010101 7200 3600 1209600 300"),
    "example.com.",
  );
  const f = soaFields(rdata);
  t.same(f, {
    mname: "ns1.example.com.",
    rname: "hostmaster.example.com.",
    serial: 2024010101,
    refresh: 7200,
    retry: 3600,
    expire: 1209600,
    minimum: 300,
  });
  t.same(soaRdata(f), rdata);
  t.same(soaFields(soaRdata({ ...f, serial: 4294967295 })).serial, 4294967295);
  t.equal(
    errorOf(() => soaRdata({ ...f, serial: 4294967296 })),
    "SOA serial 4294967296 is not a 32-bit unsigned integer",
  );
  t.equal(
    errorOf(() => soaRdata({ ...f, retry: -1 })),
    "SOA retry -1 is not a 32-bit unsigned integer",
  );
  t.equal(
    errorOf(() => soaRdata({ ...f, mname: "a..b." })),
    'SOA name: empty label in name "a..b."',
  );
  t.equal(
    errorOf(() => soaFields(rdata.subarray(0, rdata.length - 1))),
    "SOA RDATA is malformed: minimum runs past the end",
  );
  t.equal(
    errorOf(() => soaFields(Buffer.concat([rdata, Buffer.from([0])]))),
    "SOA RDATA is malformed: 1 octets left over after the last field",
  );
});

t.test("hasTextFormat", async (t) => {
  t.ok(hasTextFormat(T.A));
  t.ok(hasTextFormat(T.HTTPS));
  t.notOk(hasTextFormat(T.NULL));
  t.notOk(hasTextFormat(65280));
});
