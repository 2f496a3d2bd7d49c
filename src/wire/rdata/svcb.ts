/**
 * SVCB and HTTPS (RFC 9460): SvcPriority, TargetName, then SvcParams as key=value fields.
 *
 * Text input, per field: `key`, `key=value` or `key="value"`. A lexer that splits the
 * quoted part off into its own token is also understood: a field ending in "=" followed by
 * a quoted token is one parameter. Values are character-strings (RFC 1035 escapes, no
 * 255-octet limit); alpn is additionally a comma-separated value-list (RFC 9460 Appendix
 * A.1) in which `\,` and `\\` stand for a literal comma and backslash, so a comma inside an
 * ALPN id is written `\\,` in a zone file (the first level of escaping is the
 * character-string's).
 *
 * Known keys (§14.3.2): mandatory 0, alpn 1, no-default-alpn 2, port 3, ipv4hint 4, ech 5,
 * ipv6hint 6, dohpath 7 (RFC 9461), ohttp 8 (RFC 9540). Any key may be written keyNNNNN with
 * its wire value as a character-string; for a known key that value is then checked like
 * the named form (BIND does the same).
 *
 * Checks, as BIND 9.18 makes them: no key twice; mandatory never lists itself or a key
 * twice, and every key it lists is present (§8); no-default-alpn needs alpn (§7.1.1); known
 * keys' values are well-formed. AliasMode (SvcPriority 0) records with SvcParams are
 * accepted: §2.4.2 says they SHOULD NOT have any and receivers ignore them, and BIND loads
 * them. On the wire, keys must be strictly increasing (§2.2); we write them sorted.
 */

import { decodeBase64, encodeBase64, escapeOctet, quoteString } from "../text.js";
import type { Token } from "../token.js";
import { T } from "../types.js";
import {
  type Codec,
  decodeStringChecked,
  type Parser,
  parseUint,
  type Writer,
  writeName,
} from "./common.js";
import { RdataError } from "./error.js";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./ip.js";

const KEY_NAMES = [
  "mandatory",
  "alpn",
  "no-default-alpn",
  "port",
  "ipv4hint",
  "ech",
  "ipv6hint",
  "dohpath",
  "ohttp",
] as const;
const MANDATORY = 0;
const ALPN = 1;
const NO_DEFAULT_ALPN = 2;
const PORT = 3;
const IPV4HINT = 4;
const ECH = 5;
const IPV6HINT = 6;
const DOHPATH = 7;
const OHTTP = 8;

const KEY_BY_NAME = new Map<string, number>(KEY_NAMES.map((n, i) => [n, i]));

function keyName(k: number): string {
  return KEY_NAMES[k] ?? `key${k}`;
}

/** `alpn`, `key65000` → number; lowercase only and no leading zeros, as BIND requires. */
function keyFromText(p: Parser, text: string): number {
  const known = KEY_BY_NAME.get(text);
  if (known !== undefined) return known;
  if (/^key(0|[1-9][0-9]{0,4})$/.test(text)) {
    const k = Number(text.slice(3));
    if (k > 0xffff) p.fail(`SvcParamKey "${text}" is out of range (key0-key65535)`);
    return k;
  }
  return p.fail(`SvcParamKey "${text}" is not known (write keyNNNNN for an unregistered key)`);
}

/** Character-string decoding of a value into a standalone buffer (values are rare, not hot). */
function decodeValue(p: Parser, w: Writer, text: string, what: string): Buffer {
  const at = w.pos;
  const end = decodeStringChecked(p, w, text, what, at, 0xffff - at);
  return Buffer.from(w.buf.subarray(at, end));
}

/** Split on commas; `escapes` honours the RFC 9460 A.1 value-list escapes (`\,` `\\`). */
function splitList(p: Parser, b: Uint8Array, key: string, escapes: boolean): Buffer[] {
  const what = `SvcParam ${key}`;
  const items: Buffer[] = [];
  let cur: number[] = [];
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length || b[i] === 0x2c) {
      if (cur.length === 0) p.fail(`${what} has an empty item`);
      items.push(Buffer.from(cur));
      cur = [];
    } else if (escapes && b[i] === 0x5c) {
      // BIND takes any escaped octet literally; RFC 9460 A.1 only needs "\," and "\\".
      if (i + 1 >= b.length) p.fail(`${what} ends with a lone backslash`);
      cur.push(b[++i]);
    } else {
      cur.push(b[i]);
    }
  }
  return items;
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b).toString("latin1");
}

/** Wire value of a named key from its (character-string decoded) value. */
function valueFromText(p: Parser, key: number, raw: Buffer | undefined): Buffer {
  const what = keyName(key);
  const needValue = () => {
    if (raw === undefined || raw.length === 0) p.fail(`SvcParam ${what} needs a value`);
    return raw;
  };
  switch (key) {
    case MANDATORY: {
      const keys = splitList(p, needValue(), what, false).map((k) => keyFromText(p, latin1(k)));
      keys.sort((a, b) => a - b);
      const out = Buffer.alloc(keys.length * 2);
      keys.forEach((k, i) => {
        // §8: "mandatory" may not list itself, nor any key twice.
        if (k === MANDATORY) p.fail('SvcParam mandatory may not list "mandatory"');
        if (i > 0 && keys[i - 1] === k) p.fail(`SvcParam mandatory lists ${keyName(k)} twice`);
        out.writeUInt16BE(k, i * 2);
      });
      return out;
    }
    case ALPN: {
      const ids = splitList(p, needValue(), what, true);
      const parts: Buffer[] = [];
      for (const id of ids) {
        if (id.length > 255) p.fail("SvcParam alpn has an ALPN id longer than 255 octets");
        parts.push(Buffer.from([id.length]), id);
      }
      return Buffer.concat(parts);
    }
    case NO_DEFAULT_ALPN:
    case OHTTP:
      if (raw !== undefined && raw.length > 0) p.fail(`SvcParam ${what} takes no value`);
      return Buffer.alloc(0);
    case PORT: {
      const out = Buffer.alloc(2);
      out.writeUInt16BE(parseUint(p, latin1(needValue()), "SvcParam port", 0xffff));
      return out;
    }
    case IPV4HINT: {
      const addrs = splitList(p, needValue(), what, false);
      const out = Buffer.alloc(addrs.length * 4);
      addrs.forEach((a, i) => {
        const t = latin1(a);
        if (!parseIPv4(t, 0, t.length, out, i * 4))
          p.fail(`SvcParam ipv4hint "${t}" is not an IPv4 address`);
      });
      return out;
    }
    case IPV6HINT: {
      const addrs = splitList(p, needValue(), what, false);
      const out = Buffer.alloc(addrs.length * 16);
      addrs.forEach((a, i) => {
        const t = latin1(a);
        if (!parseIPv6(t, out, i * 16)) p.fail(`SvcParam ipv6hint "${t}" is not an IPv6 address`);
      });
      return out;
    }
    case ECH:
      // BIND accepts an empty ech value; so do we.
      try {
        return decodeBase64(latin1(raw ?? Buffer.alloc(0)));
      } catch (e) {
        if (e instanceof RdataError) p.fail(`SvcParam ech: ${e.message}`);
        throw e;
      }
    case DOHPATH:
      return needValue();
    default:
      return raw ?? Buffer.alloc(0);
  }
}

/** Why a known key's wire value is malformed, or undefined. */
function valueProblem(key: number, v: Uint8Array): string | undefined {
  switch (key) {
    case MANDATORY:
      if (v.length === 0 || v.length % 2 !== 0)
        return "mandatory must be a non-empty list of 2-octet keys";
      for (let i = 0; i < v.length; i += 2) {
        const k = (v[i] << 8) | v[i + 1];
        if (k === MANDATORY) return 'mandatory lists "mandatory"';
        if (i > 0 && k <= ((v[i - 2] << 8) | v[i - 1]))
          return "mandatory keys are not in strictly increasing order";
      }
      return undefined;
    case ALPN: {
      if (v.length === 0) return "alpn is empty";
      let i = 0;
      while (i < v.length) {
        const len = v[i];
        if (len === 0) return "alpn has an empty ALPN id";
        i += 1 + len;
      }
      return i === v.length ? undefined : "alpn ALPN id runs past the end of the value";
    }
    case NO_DEFAULT_ALPN:
    case OHTTP:
      return v.length === 0 ? undefined : `${keyName(key)} has a value`;
    case PORT:
      return v.length === 2 ? undefined : "port is not 2 octets";
    case IPV4HINT:
      return v.length > 0 && v.length % 4 === 0
        ? undefined
        : "ipv4hint is not a non-empty list of 4-octet addresses";
    case IPV6HINT:
      return v.length > 0 && v.length % 16 === 0
        ? undefined
        : "ipv6hint is not a non-empty list of 16-octet addresses";
    case DOHPATH:
      return v.length > 0 ? undefined : "dohpath is empty";
    default:
      return undefined;
  }
}

/**
 * §8 and §7.1.1 self-consistency: every key listed in mandatory is present, and
 * no-default-alpn comes with alpn. BIND refuses records that break either rule.
 */
function consistencyProblem(params: Map<number, Uint8Array>): string | undefined {
  const mandatory = params.get(MANDATORY);
  if (mandatory) {
    for (let i = 0; i < mandatory.length; i += 2) {
      const k = (mandatory[i] << 8) | mandatory[i + 1];
      if (!params.has(k)) return `mandatory lists ${keyName(k)}, which the record lacks`;
    }
  }
  if (params.has(NO_DEFAULT_ALPN) && !params.has(ALPN)) return "no-default-alpn needs alpn";
  return undefined;
}

/** Presentation of one value; alpn gets the value-list escapes before the string's. */
function valueToText(key: number, v: Uint8Array): string {
  switch (key) {
    case MANDATORY: {
      const names: string[] = [];
      for (let i = 0; i < v.length; i += 2) names.push(keyName((v[i] << 8) | v[i + 1]));
      return names.join(",");
    }
    case ALPN: {
      const ids: string[] = [];
      for (let i = 0; i < v.length; ) {
        const len = v[i++];
        let s = "";
        for (let j = i; j < i + len; j++) {
          const b = v[j];
          // "," → "\," and "\" → "\\" (value-list), then each "\" → "\\" (string).
          s += b === 0x2c ? "\\\\," : b === 0x5c ? "\\\\\\\\" : escapeOctet(b);
        }
        ids.push(s);
        i += len;
      }
      return `"${ids.join(",")}"`;
    }
    case PORT:
      return String((v[0] << 8) | v[1]);
    case IPV4HINT: {
      const out: string[] = [];
      for (let i = 0; i < v.length; i += 4) out.push(formatIPv4(v, i));
      return out.join(",");
    }
    case IPV6HINT: {
      const out: string[] = [];
      for (let i = 0; i < v.length; i += 16) out.push(formatIPv6(v, i));
      return out.join(",");
    }
    case ECH:
      return encodeBase64(v);
    default:
      return quoteString(v, 0, v.length);
  }
}

/** Separate `key=value`; strip quotes kept by a lexer; join a following quoted token. */
function splitParam(
  p: Parser,
  tokens: Token[],
  i: number,
): { key: string; value: string | undefined; next: number } {
  const t = tokens[i];
  const text = t.text;
  const eq = text.indexOf("=");
  if (t.quoted) p.fail(`SvcParam "${text}" must not be quoted as a whole (write key="value")`);
  if (eq < 0) return { key: text, value: undefined, next: i + 1 };
  const key = text.slice(0, eq);
  let value = text.slice(eq + 1);
  if (value === "" && i + 1 < tokens.length && tokens[i + 1].quoted) {
    return { key, value: tokens[i + 1].text, next: i + 2 };
  }
  if (value.startsWith('"')) {
    let close = -1;
    for (let j = 1; j < value.length; j++) {
      if (value.charCodeAt(j) === 0x5c) j++;
      else if (value.charCodeAt(j) === 0x22) {
        close = j;
        break;
      }
    }
    if (close !== value.length - 1) p.fail(`SvcParam "${text}" has unbalanced quotes`);
    value = value.slice(1, -1);
  }
  return { key, value, next: i + 1 };
}

function parseParams(p: Parser, w: Writer): Map<number, Uint8Array> {
  const params = new Map<number, Uint8Array>();
  const tokens = p.tokens;
  let i = p.i;
  while (i < tokens.length) {
    const { key: keyText, value, next } = splitParam(p, tokens, i);
    i = next;
    const key = keyFromText(p, keyText);
    if (params.has(key)) p.fail(`SvcParam ${keyName(key)} appears twice`);
    const raw = value === undefined ? undefined : decodeValue(p, w, value, `SvcParam ${keyText}`);
    let wire: Uint8Array;
    if (keyText.startsWith("key")) {
      // Generic form: the value is the wire value; check it as the named key would be.
      wire = raw ?? Buffer.alloc(0);
      const problem = valueProblem(key, wire);
      if (problem) p.fail(`SvcParam ${keyText}: ${problem}`);
    } else {
      wire = valueFromText(p, key, raw);
    }
    params.set(key, wire);
  }
  p.i = i;
  return params;
}

export const SVCB: Codec = {
  fromText(p, w) {
    const prio = parseUint(p, p.next("SvcPriority").text, "SvcPriority", 0xffff);
    w.u16(prio);
    writeName(p, w, p.next("TargetName").text, "TargetName");
    // Values are decoded into scratch space past the fixed part, then written in order.
    const fixed = w.pos;
    const params = parseParams(p, w);
    w.pos = fixed;
    const problem = consistencyProblem(params);
    if (problem) p.fail(problem);
    // §2.2: SvcParamKeys appear on the wire in strictly increasing order.
    const keys = [...params.keys()].sort((a, b) => a - b);
    for (const k of keys) {
      const v = params.get(k)!;
      w.u16(k);
      w.u16(v.length);
      w.bytes(v);
    }
  },
  toText(r) {
    let out = `${r.u16("SvcPriority")} ${r.name("TargetName")}`;
    while (r.left() > 0) {
      const key = r.u16("SvcParamKey");
      const len = r.u16("SvcParamValue length");
      const v = r.bytes(len, "SvcParamValue");
      const noValue =
        key === NO_DEFAULT_ALPN || key === OHTTP || (len === 0 && (key === ECH || key > OHTTP));
      out += noValue ? ` ${keyName(key)}` : ` ${keyName(key)}=${valueToText(key, v)}`;
    }
    return out;
  },
  fromWire(r, w) {
    w.u16(r.u16("SvcPriority"));
    r.copyName(w, "TargetName");
    const params = new Map<number, Uint8Array>();
    let last = -1;
    while (r.left() > 0) {
      const key = r.u16("SvcParamKey");
      const len = r.u16("SvcParamValue length");
      const v = r.bytes(len, "SvcParamValue");
      if (key <= last) r.fail("SvcParamKeys are not in strictly increasing order");
      const problem = valueProblem(key, v);
      if (problem) r.fail(problem);
      params.set(key, v);
      last = key;
      w.u16(key);
      w.u16(len);
      w.bytes(v);
    }
    const problem = consistencyProblem(params);
    if (problem) r.fail(problem);
  },
};

export const SERVICE_BINDING: Array<[number, Codec]> = [
  [T.SVCB, SVCB],
  [T.HTTPS, SVCB],
];
