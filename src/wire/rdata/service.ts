/** Service location types: SRV (RFC 2782), NAPTR (RFC 3403), URI (RFC 7553), PX (RFC 2163). */
import { quoteString } from "../text.js";
import { T } from "../types.js";
import {
  type Codec,
  charString,
  decodeStringChecked,
  type Field,
  name,
  record,
  u16,
  writeCharString,
} from "./common.js";

/** RFC 2782: priority, weight, port, target ("." = service not available). */
export const SRV = record(u16("priority"), u16("weight"), u16("port"), name("target"));

/**
 * RFC 3402 §3.2 substitution expression: delim ere delim repl delim *flags, where the
 * delimiter is any octet but 1-9, "i" and "\", and the only flag is "i". Back-references
 * \1-\9 may not exceed the number of groups in the ERE. BIND enforces the same shape.
 */
export function regexpProblem(b: Uint8Array): string | undefined {
  if (b.length === 0) return undefined;
  const d = b[0];
  if ((d >= 0x31 && d <= 0x39) || d === 0x69 || d === 0x5c) {
    return `cannot use "${String.fromCharCode(d)}" as its delimiter`;
  }
  let i = 1;
  let groups = 0;
  for (; i < b.length && b[i] !== d; i++) {
    if (b[i] === 0x5c) i++;
    else if (b[i] === 0x28) groups++;
  }
  if (i >= b.length) return "has no delimiter after the regular expression";
  for (i++; i < b.length && b[i] !== d; i++) {
    if (b[i] !== 0x5c) continue;
    const c = b[++i];
    if (c >= 0x31 && c <= 0x39 && c - 0x30 > groups) {
      return `refers to group \\${c - 0x30} but the expression has ${groups}`;
    }
  }
  if (i >= b.length) return "has no delimiter after the replacement";
  for (i++; i < b.length; i++) if (b[i] !== 0x69) return 'has flags other than "i"';
  return undefined;
}

const regexpString = charString("regexp");
const regexpField: Field = {
  parse(p, w) {
    const start = w.pos + 1;
    writeCharString(p, w, p.next("regexp").text, "regexp");
    const problem = regexpProblem(w.buf.subarray(start, w.pos));
    if (problem) p.fail(`regexp ${quoteString(w.buf, start, w.pos)} ${problem}`);
  },
  print: (r) => regexpString.print(r),
  copy(r, w) {
    const start = w.pos + 1;
    regexpString.copy(r, w);
    const problem = regexpProblem(w.buf.subarray(start, w.pos));
    if (problem) r.fail(`regexp ${problem}`);
  },
};

/** RFC 3403 §4.1: order, preference, flags, services, regexp, replacement. */
export const NAPTR = record(
  u16("order"),
  u16("preference"),
  charString("flags"),
  charString("services"),
  regexpField,
  name("replacement"),
);

/**
 * RFC 7553 §4.5: the target is the rest of the RDATA, not a length-prefixed string, and
 * its presentation is a quoted string (BIND refuses it unquoted, and so do we). It may be
 * longer than 255 octets.
 */
const uriTarget: Field = {
  parse(p, w) {
    const t = p.next("target");
    if (!t.quoted) p.fail(`target "${t.text}" must be a quoted string`);
    w.pos = decodeStringChecked(p, w, t.text, "target", w.pos, 0xffff);
  },
  print: (r) => {
    const start = r.pos;
    r.rest();
    return quoteString(r.buf, start, r.end);
  },
  copy: (r, w) => w.bytes(r.rest()),
};
export const URI = record(u16("priority"), u16("weight"), uriTarget);

/** RFC 2163 §4: preference, MAP822, MAPX400. */
export const PX = record(u16("preference"), name("MAP822"), name("MAPX400"));

export const SERVICE: Array<[number, Codec]> = [
  [T.SRV, SRV],
  [T.NAPTR, NAPTR],
  [T.URI, URI],
  [T.PX, PX],
];
