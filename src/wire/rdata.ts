/**
 * RDATA codecs: master-file text ⇄ uncompressed wire RDATA for every supported type, the
 * RFC 3597 generic form (`\# <length> <hex>`) for every type, and validation of RDATA read
 * from messages. The per-type codecs live in ./rdata/ (one module per family).
 *
 * Conventions:
 * - Wire RDATA produced here is always uncompressed (names in full), so it can be stored
 *   and compared byte-wise; the message writer compresses the RFC 1035 types' names itself
 *   using compressibleNames() and rdataNames().
 * - Text output is canonical: names absolute in name.ts's canonical form, numbers in
 *   decimal, hex uppercase, base64 unbroken, strings always quoted; otherwise the forms
 *   BIND 9.18 prints, so `dig` output and ours can be compared.
 * - Every failure is an RdataError whose message names the type and field.
 */

import { NameError, nameToWire, readNameWire } from "./name.js";
import { BASIC } from "./rdata/basic.js";
import { CERTS } from "./rdata/cert.js";
import { type Codec, Parser, Reader, Writer } from "./rdata/common.js";
import { DNSSEC } from "./rdata/dnssec.js";
import { RdataError } from "./rdata/error.js";
import { LOCATION } from "./rdata/loc.js";
import { SERVICE } from "./rdata/service.js";
import { SERVICE_BINDING } from "./rdata/svcb.js";
import { decodeHexInto, encodeHex } from "./text.js";
import { type Token, tokens } from "./token.js";
import { isMetaType, T, typeToText } from "./types.js";

export { RdataError };

const CODECS = new Map<number, Codec>([
  ...BASIC,
  ...SERVICE,
  ...SERVICE_BINDING,
  ...DNSSEC,
  ...CERTS,
  ...LOCATION,
]);

// One scratch writer per direction: generic input is validated through the wire codec
// while the text writer may be in use. Codecs are synchronous, so sharing is safe.
const textWriter = new Writer();
const wireWriter = new Writer();
const parser = new Parser();

/** True when the type has a presentation format here (others print as `\#`). */
export function hasTextFormat(type: number): boolean {
  return CODECS.has(type);
}

/**
 * Master-file RDATA fields → uncompressed wire RDATA. Names are resolved against `origin`
 * (canonical, absolute). Throws RdataError with a readable reason.
 */
export function rdataFromText(type: number, fields: Token[], origin: string): Buffer {
  const w = encodeText(type, fields, origin);
  return Buffer.isBuffer(w) ? w : w.finish();
}

/**
 * One record's RDATA given as text, as people paste it: a whole master-file line ("example.
 * 3600 IN DS 2371 13 2 1F98…") whose type is one of `types`, or the data alone, read as
 * `types[0]` (`line` false). Plain whitespace-separated fields, without quoting (DS, DNSKEY
 * and their like). Throws RdataError.
 */
export function rdataFromLine(
  text: string,
  types: readonly number[],
  origin: string,
): { type: number; rdata: Buffer; line: boolean } {
  const fields = text.trim().split(/\s+/);
  const at = fields.findIndex((f) => types.some((t) => f.toUpperCase() === typeToText(t)));
  const type = at >= 0 ? types.find((t) => fields[at].toUpperCase() === typeToText(t))! : types[0];
  const data = at >= 0 ? fields.slice(at + 1) : fields;
  return { type, rdata: rdataFromText(type, tokens(...data), origin), line: at >= 0 };
}

/**
 * The same as a latin1 string (one character per octet), the form zones hold: a zone file's
 * records are encoded without a Buffer each.
 */
export function rdataFromTextLatin1(type: number, fields: Token[], origin: string): string {
  const w = encodeText(type, fields, origin);
  return Buffer.isBuffer(w) ? w.toString("latin1") : w.finishLatin1();
}

/** The RDATA written into the shared text writer, or the bytes of the `\#` form. */
function encodeText(type: number, fields: Token[], origin: string): Writer | Buffer {
  if (isMetaType(type)) {
    throw new RdataError(`${typeToText(type)} is a meta-type and cannot appear in zone data`);
  }
  const first = fields[0];
  if (first !== undefined && !first.quoted && first.text === "\\#")
    return genericFromText(type, fields);
  const codec = CODECS.get(type);
  if (codec === undefined) {
    throw new RdataError(
      `${typeToText(type)} has no known text format; write it as \\# <length> <hex>`,
    );
  }
  const w = textWriter.reset(type);
  codec.fromText(parser.reset(fields, origin, type), w);
  return w;
}

/**
 * RFC 3597 §5: `\# <length> <hex words>`; the hex may be split over several fields and
 * must decode to exactly <length> octets (0 allowed, then no hex). For a type we know, the
 * data must be valid RDATA of that type with no compression pointers (BIND checks the same).
 */
function genericFromText(type: number, fields: Token[]): Buffer {
  const label = typeToText(type);
  if (fields.length < 2) throw new RdataError(`${label} \\# needs a length`);
  const lenText = fields[1].text;
  if (!/^[0-9]{1,5}$/.test(lenText) || Number(lenText) > 0xffff) {
    throw new RdataError(`${label} \\# length "${lenText}" is not a number 0-65535`);
  }
  const length = Number(lenText);
  let hex = "";
  for (let i = 2; i < fields.length; i++) hex += fields[i].text;
  if (hex.length !== length * 2) {
    const got = hex.length / 2;
    throw new RdataError(`${label} \\# data has ${got} octets but the length says ${length}`);
  }
  const data = Buffer.allocUnsafe(length);
  try {
    decodeHexInto(hex, data, 0);
  } catch (e) {
    if (e instanceof RdataError) throw new RdataError(`${label} \\# data: ${e.message}`);
    throw e;
  }
  const codec = CODECS.get(type);
  if (codec !== undefined)
    codec.fromWire(new Reader(data, 0, length, type, true), wireWriter.reset(type));
  return data;
}

function genericToText(rdata: Uint8Array): string {
  return rdata.length === 0 ? "\\# 0" : `\\# ${rdata.length} ${encodeHex(rdata)}`;
}

/**
 * Wire RDATA → canonical presentation. Types without a text format here print in the
 * RFC 3597 generic form. Malformed RDATA of a known type throws RdataError.
 */
export function rdataToText(type: number, rdata: Uint8Array): string {
  const codec = CODECS.get(type);
  if (codec === undefined) return genericToText(rdata);
  // Validate first, so the printers can rely on well-formed data.
  codec.fromWire(new Reader(rdata, 0, rdata.length, type, true), wireWriter.reset(type));
  return codec.toText(new Reader(rdata, 0, rdata.length, type, true));
}

/**
 * RDATA at msg[offset, offset+length) → uncompressed RDATA. Names are decompressed for every
 * type with names (RFC 3597 §4 requires it for the RFC 1035 types and recommends it for the
 * later ones, some of whose senders compressed them anyway). Structure is validated for
 * every known type; unknown types are copied as they are.
 */
export function rdataFromWire(
  type: number,
  msg: Uint8Array,
  offset: number,
  length: number,
): Buffer {
  if (offset < 0 || length < 0 || offset + length > msg.length) {
    throw new RdataError(`${typeToText(type)} RDATA runs past the end of the message`);
  }
  const codec = CODECS.get(type);
  if (codec === undefined) return Buffer.from(msg.subarray(offset, offset + length));
  const w = wireWriter.reset(type);
  codec.fromWire(new Reader(msg, offset, offset + length, type), w);
  return w.finish();
}

/**
 * RFC 3597 §4: only the well-known RFC 1035 types may have the names in their RDATA
 * compressed on output; compressing any other type would break servers that do not know it.
 */
const COMPRESSIBLE = new Set<number>([
  T.NS,
  T.MD,
  T.MF,
  T.CNAME,
  T.SOA,
  T.MB,
  T.MG,
  T.MR,
  T.PTR,
  T.MINFO,
  T.MX,
]);

export function compressibleNames(type: number): boolean {
  return COMPRESSIBLE.has(type);
}

/**
 * Where the names embedded in (uncompressed) RDATA are, in order. Reported for every type
 * with names, so callers wanting only compressible ones check compressibleNames(type).
 */
export function rdataNames(
  type: number,
  rdata: Uint8Array,
): Array<{ offset: number; length: number }> {
  const codec = CODECS.get(type);
  if (codec === undefined) return [];
  const w = wireWriter.reset(type);
  const names: Array<{ offset: number; length: number }> = [];
  w.names = names;
  try {
    codec.fromWire(new Reader(rdata, 0, rdata.length, type, true), w);
  } finally {
    w.names = null;
  }
  return names;
}

function nameAt(type: number, rdata: Uint8Array, offset: number): string {
  try {
    return readNameWire(rdata, offset).name;
  } catch (e) {
    if (e instanceof NameError)
      throw new RdataError(`${typeToText(type)} RDATA is malformed: ${e.message}`);
    throw e;
  }
}

/**
 * Names whose addresses belong in the additional section: NS target (RFC 1034 §3.7 / §4.3.2),
 * MX exchange (RFC 1035 §3.3.9), SRV target (RFC 2782), and the SVCB/HTTPS TargetName
 * (RFC 9460 §4.2 asks authoritative servers for A/AAAA of in-zone targets). "." is never a
 * target: it means "no service" for SRV and MX (RFC 7505) and "the owner" for SVCB.
 */
export function additionalTargets(type: number, rdata: Uint8Array): string[] {
  let offset: number;
  switch (type) {
    case T.NS:
      offset = 0;
      break;
    case T.MX:
    case T.SVCB:
    case T.HTTPS:
      offset = 2;
      break;
    case T.SRV:
      offset = 6;
      break;
    default:
      return [];
  }
  if (rdata.length <= offset)
    throw new RdataError(`${typeToText(type)} RDATA is malformed: too short`);
  const target = nameAt(type, rdata, offset);
  return target === "." ? [] : [target];
}

export interface SoaFields {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

/** The fields of SOA RDATA (RFC 1035 §3.3.13). */
export function soaFields(rdata: Uint8Array): SoaFields {
  const r = new Reader(rdata, 0, rdata.length, T.SOA, true);
  const mname = r.name("MNAME");
  const rname = r.name("RNAME");
  const f = {
    mname,
    rname,
    serial: r.u32("serial"),
    refresh: r.u32("refresh"),
    retry: r.u32("retry"),
    expire: r.u32("expire"),
    minimum: r.u32("minimum"),
  };
  r.done();
  return f;
}

/** SOA RDATA from its fields; names must be canonical absolute names. */
export function soaRdata(f: SoaFields): Buffer {
  const w = wireWriter.reset(T.SOA);
  try {
    w.bytes(nameToWire(f.mname));
    w.bytes(nameToWire(f.rname));
  } catch (e) {
    if (e instanceof NameError) throw new RdataError(`SOA name: ${e.message}`);
    throw e;
  }
  for (const [k, v] of [
    ["serial", f.serial],
    ["refresh", f.refresh],
    ["retry", f.retry],
    ["expire", f.expire],
    ["minimum", f.minimum],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw new RdataError(`SOA ${k} ${v} is not a 32-bit unsigned integer`);
    w.u32(v);
  }
  return w.finish();
}
