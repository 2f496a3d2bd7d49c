/**
 * RFC 1035 types and their close relatives: A, AAAA, the single-name types (NS, CNAME,
 * PTR, DNAME, MB, MD, MF, MG, MR), SOA, MX and the preference+name types (KX, AFSDB, RT),
 * TXT and SPF, HINFO, MINFO, RP, EUI48, EUI64.
 */
import { quoteString } from "../text.js";
import { T } from "../types.js";
import {
  type Codec,
  charString,
  interval,
  name,
  type Parser,
  type Reader,
  record,
  u16,
  u32,
  type Writer,
  writeCharString,
} from "./common.js";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./ip.js";

/** Fixed-length RDATA check shared by A, AAAA, EUI48 and EUI64. */
function fixedLength(r: Reader, n: number): void {
  if (r.left() !== n) r.fail(`must be ${n} octets, not ${r.left()}`);
}

/** RFC 1035 §3.4.1: a 32-bit address. */
export const A: Codec = {
  fromText(p, w) {
    const t = p.next("address").text;
    w.room(4);
    if (!parseIPv4(t, 0, t.length, w.buf, w.pos))
      p.fail(`address "${t}" is not a dotted-quad IPv4 address`);
    w.pos += 4;
    p.done();
  },
  toText(r) {
    fixedLength(r, 4);
    return formatIPv4(r.bytes(4, "address"), 0);
  },
  fromWire(r, w) {
    fixedLength(r, 4);
    w.bytes(r.bytes(4, "address"));
  },
};

/** RFC 3596 §2.2: a 128-bit address in any RFC 4291 §2.2 text form. */
export const AAAA: Codec = {
  fromText(p, w) {
    const t = p.next("address").text;
    w.room(16);
    if (!parseIPv6(t, w.buf, w.pos)) p.fail(`address "${t}" is not an IPv6 address`);
    w.pos += 16;
    p.done();
  },
  toText(r) {
    fixedLength(r, 16);
    return formatIPv6(r.bytes(16, "address"), 0);
  },
  fromWire(r, w) {
    fixedLength(r, 16);
    w.bytes(r.bytes(16, "address"));
  },
};

/** NS (RFC 1035 §3.3.11), CNAME, PTR, MB, MD, MF, MG, MR, DNAME (RFC 6672): one name. */
export const NS = record(name("target"));

/** RFC 1035 §3.3.13. Timers accept BIND's unit form ("1h", "2w") on input. */
export const SOA = record(
  name("MNAME"),
  name("RNAME"),
  u32("serial"),
  interval("refresh"),
  interval("retry"),
  interval("expire"),
  interval("minimum"),
);

/** MX (RFC 1035 §3.3.9), KX (RFC 2230), RT (RFC 1183 §3.3): preference then a name. */
export const MX = record(u16("preference"), name("exchange"));
export const AFSDB = record(u16("subtype"), name("hostname"));

/** RFC 1035 §3.3.14: one or more character-strings, each at most 255 octets. */
export const TXT: Codec = {
  fromText(p, w) {
    if (!p.more()) p.fail("needs at least one character-string");
    const tokens = p.tokens;
    for (let i = p.i; i < tokens.length; i++) writeCharString(p, w, tokens[i].text, "string");
    p.i = tokens.length;
  },
  toText(r) {
    let out = "";
    while (r.left() > 0) {
      const len = r.u8("string length");
      const start = r.pos;
      r.need(len, "string");
      r.pos += len;
      out +=
        out === ""
          ? quoteString(r.buf, start, start + len)
          : ` ${quoteString(r.buf, start, start + len)}`;
    }
    return out;
  },
  fromWire(r, w) {
    // BIND refuses an empty TXT RDATA too: RFC 1035 requires one or more strings.
    if (r.left() === 0) r.fail("no character-string");
    while (r.left() > 0) {
      const len = r.u8("string length");
      w.u8(len);
      w.bytes(r.bytes(len, "string"));
    }
  },
};

/** RFC 1035 §3.3.2: CPU and OS. */
export const HINFO = record(charString("CPU"), charString("OS"));

/** RFC 1035 §3.3.7. */
export const MINFO = record(name("RMAILBX"), name("EMAILBX"));

/** RFC 1183 §2.2. */
export const RP = record(name("mailbox"), name("TXT name"));

/** RFC 7043 §3.2/§4.2: six or eight hex pairs joined by hyphens, printed lowercase. */
function eui(octets: number): Codec {
  const what = `address`;
  return {
    fromText(p: Parser, w: Writer) {
      const t = p.next(what).text;
      const ok = t.length === octets * 3 - 1 && /^[0-9a-fA-F]{2}(-[0-9a-fA-F]{2})*$/.test(t);
      if (!ok) p.fail(`${what} "${t}" is not ${octets} hex pairs separated by "-"`);
      for (let i = 0; i < t.length; i += 3) w.u8(Number.parseInt(t.slice(i, i + 2), 16));
      p.done();
    },
    toText(r: Reader) {
      fixedLength(r, octets);
      return Buffer.from(r.bytes(octets, what))
        .toString("hex")
        .replace(/(..)(?!$)/g, "$1-");
    },
    fromWire(r: Reader, w: Writer) {
      fixedLength(r, octets);
      w.bytes(r.bytes(octets, what));
    },
  };
}
export const EUI48 = eui(6);
export const EUI64 = eui(8);

export const BASIC: Array<[number, Codec]> = [
  [T.A, A],
  [T.AAAA, AAAA],
  [T.NS, NS],
  [T.MD, NS],
  [T.MF, NS],
  [T.CNAME, NS],
  [T.MB, NS],
  [T.MG, NS],
  [T.MR, NS],
  [T.PTR, NS],
  [T.DNAME, NS],
  [T.SOA, SOA],
  [T.MX, MX],
  [T.KX, MX],
  [T.RT, MX],
  [T.AFSDB, AFSDB],
  [T.TXT, TXT],
  [T.SPF, TXT],
  [T.HINFO, HINFO],
  [T.MINFO, MINFO],
  [T.RP, RP],
  [T.EUI48, EUI48],
  [T.EUI64, EUI64],
];
