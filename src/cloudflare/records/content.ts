/**
 * Cloudflare DNS-record JSON ⇄ validated DNS records.
 *
 * `validRecord` takes the body of `POST/PUT /zones/{z}/dns_records` (and, after
 * `mergeRecordBody`, of PATCH) and returns the record to store: an absolute owner name, the
 * type number, the TTL to serve and uncompressed wire RDATA. `recordJson` goes the other way,
 * giving the fields Cloudflare returns for a stored record (the caller adds id, zone and
 * timestamps). Every problem is an ApiError with Cloudflare's code and wording where they
 * are known (cloudflare/errors.ts); nothing else is ever thrown from validation.
 *
 * Cloudflare's conventions, which differ from a master file's:
 * - a record name without a trailing dot is absolute when it is the zone name or ends in
 *   ".<zone>" (clients send "www.example.com"); otherwise it is relative to the zone; "@" is
 *   the apex. Names come back lowercased and without the trailing dot;
 * - names inside content are absolute whether or not they end in a dot ("mail.example.com");
 * - MX, SRV and URI keep the priority in its own field; SRV content is "weight port target";
 * - structured types may be given as `data` (the official SDK's field names), which wins
 *   over `content`;
 * - TXT content without quotes is one text, cut into 255-octet character-strings; content
 *   in quotes is read as character-strings. One string comes back as its raw text, several
 *   in quoted presentation form;
 * - TTL 1 means automatic (served as 300); proxied records (A, AAAA, CNAME only) are always
 *   automatic.
 */

import { domainToASCII } from "node:url";
import {
  canonicalName,
  isInZone,
  NameError,
  nameKey,
  parseName,
  textToLabels,
  withoutTrailingDot,
} from "../../wire/name.js";
import { RdataError, rdataFromText, rdataNames, rdataToText } from "../../wire/rdata.js";
import { decodeCharString } from "../../wire/text.js";
import type { Token } from "../../wire/token.js";
import { isMetaType, T, typeFromText, typeToText } from "../../wire/types.js";
import { ZoneFileError } from "../../zone/errors.js";
import { Lexer } from "../../zone/lexer.js";
import {
  ApiError,
  invalidContent,
  invalidField,
  invalidName,
  invalidProxied,
  invalidRecordType,
  invalidTtl,
} from "../errors.js";
import { isObject, objectBody } from "../json.js";

/** A request body as received: every field unchecked. */
export interface RecordBody {
  name?: unknown;
  type?: unknown;
  content?: unknown;
  data?: unknown;
  priority?: unknown;
  ttl?: unknown;
  proxied?: unknown;
  comment?: unknown;
  tags?: unknown;
  settings?: unknown;
}

/**
 * A DNS record with Cloudflare's fields beside its data: what recordJson shows. A field
 * left out is Cloudflare's default (not automatic, not proxied, no comment, tags or settings).
 */
export interface CloudflareRecord {
  /** Absolute name, with or without the trailing dot. */
  name: string;
  type: number;
  /** The TTL to serve: automatic (1) is 300. */
  ttl: number;
  /** The TTL was 1 (automatic), or the record is proxied. */
  auto?: boolean;
  /** Uncompressed wire RDATA. */
  rdata: Uint8Array;
  proxied?: boolean;
  comment?: string;
  tags?: string[];
  settings?: Record<string, unknown>;
}

/** A record body as validRecord accepts it: every Cloudflare field decided. */
export interface ValidRecord extends CloudflareRecord {
  /** Absolute canonical name with the trailing dot, case as given. */
  name: string;
  auto: boolean;
  rdata: Buffer;
  proxied: boolean;
}

/** The fields of Cloudflare's DNS record object that describe the record itself. */
export interface RecordJson {
  name: string;
  type: string;
  content: string;
  priority?: number;
  data?: Record<string, unknown>;
  ttl: number;
  proxiable: boolean;
  proxied: boolean;
  comment: string | null;
  tags: string[];
  settings: Record<string, unknown>;
}

/** Cloudflare's "automatic" TTL and what it serves as (cloudflare.md §4). */
export const AUTO_TTL = 1;
export const AUTO_TTL_SECONDS = 300;
export const MIN_TTL = 30;
/** Cloudflare's largest record TTL (cloudflare.md §4); the protocol's is MAX_DNS_TTL. */
export const MAX_CLOUDFLARE_TTL = 86400;
export const MAX_TXT_CONTENT = 2048;
export const MAX_COMMENT = 100;
export const MAX_TAGS = 20;

/** The types Cloudflare can proxy (cloudflare.md §1). */
export const PROXIABLE = new Set<number>([T.A, T.AAAA, T.CNAME]);

/** Types whose presentation holds names: an unquoted "@" there is the zone apex. */
const NAME_TYPES = new Set<number>([
  T.NS,
  T.MD,
  T.MF,
  T.CNAME,
  T.MB,
  T.MG,
  T.MR,
  T.PTR,
  T.DNAME,
  T.MX,
  T.KX,
  T.RT,
  T.AFSDB,
  T.SRV,
  T.NAPTR,
  T.PX,
  T.MINFO,
  T.RP,
  T.SVCB,
  T.HTTPS,
]);

/** Where the names are among the presentation fields, to print them without the dot. */
const NAME_FIELDS = new Map<number, number[]>([
  [T.NS, [0]],
  [T.MD, [0]],
  [T.MF, [0]],
  [T.CNAME, [0]],
  [T.MB, [0]],
  [T.MG, [0]],
  [T.MR, [0]],
  [T.PTR, [0]],
  [T.DNAME, [0]],
  [T.MX, [1]],
  [T.KX, [1]],
  [T.RT, [1]],
  [T.AFSDB, [1]],
  [T.SRV, [3]],
  [T.NAPTR, [5]],
  [T.PX, [1, 2]],
  [T.MINFO, [0, 1]],
  [T.RP, [0, 1]],
  [T.SVCB, [1]],
  [T.HTTPS, [1]],
]);

/** Types whose priority is a field of its own in Cloudflare's JSON (the first RDATA field). */
const PRIORITY_TYPES = new Set<number>([T.MX, T.SRV, T.URI]);

/** How many content fields MX, SRV and URI have when the priority is its own field. */
const CONTENT_FIELDS_WITHOUT_PRIORITY = new Map<number, number>([
  [T.MX, 1],
  [T.SRV, 3],
  [T.URI, 2],
]);

const SETTINGS = new Set(["ipv4_only", "ipv6_only", "flatten_cname"]);

/* ------------------------------------------------------------------------------------------ */
/* Small checks                                                                                */

function isU16(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffff;
}

/** Control characters (and, unless `spaces` is false, whitespace) anywhere in `s`. */
function hasSpaceOrControl(s: string, spaces = true): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (spaces && (c === 0x20 || c === 0xa0 || c === 0x3000)))
      return true;
  }
  return false;
}

function hasNonAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return true;
  return false;
}

/* ------------------------------------------------------------------------------------------ */
/* Name and type                                                                               */

/** The record's owner as an absolute canonical name (case kept), checked to be in the zone. */
export function recordName(origin: string, value: unknown): string {
  if (value === undefined || value === null) throw invalidField("name is required");
  if (typeof value !== "string") throw invalidField("name must be a string");
  let text = value;
  if (text === "" || hasSpaceOrControl(text)) throw invalidName();
  if (text === "@") return origin;
  // Cloudflare takes Unicode names and stores them in Punycode.
  if (hasNonAscii(text)) {
    const ascii = domainToASCII(text);
    if (ascii === "") throw invalidName();
    text = ascii;
  }
  let name: string;
  try {
    if (textToLabels(text).absolute) {
      name = canonicalName(text);
    } else {
      const asAbsolute = canonicalName(text);
      name = isInZone(nameKey(asAbsolute), nameKey(origin)) ? asAbsolute : parseName(text, origin);
    }
  } catch (e) {
    if (e instanceof NameError) throw invalidName();
    throw e;
  }
  if (!isInZone(nameKey(name), nameKey(origin))) {
    throw invalidName(
      `${withoutTrailingDot(name)} is not in the zone ${withoutTrailingDot(origin)}.`,
    );
  }
  return name;
}

/** A type Cloudflare's API may hold: known or TYPEnnn, not a meta-type, not SOA. */
export function recordType(value: unknown): number {
  if (value === undefined || value === null) throw invalidField("type is required");
  if (typeof value !== "string") throw invalidField("type must be a string");
  const type = typeFromText(value);
  if (type === undefined || type === 0 || type === T.SOA || isMetaType(type))
    throw invalidRecordType();
  return type;
}

/* ------------------------------------------------------------------------------------------ */
/* Content                                                                                     */

/** The fields of one line of presentation text; undefined when it is not exactly one line. */
function lex(text: string): { tokens: Token[]; comment: boolean } | undefined {
  const lexer = new Lexer(text, "content");
  try {
    if (!lexer.next()) return undefined;
    const tokens = lexer.tokens(0);
    const comment = lexer.comment() !== undefined;
    if (lexer.next()) return undefined;
    return { tokens, comment };
  } catch (e) {
    if (e instanceof ZoneFileError) return undefined;
    throw e;
  }
}

/** A token for a quoted character-string holding `text` literally. */
function quoted(text: string): Token {
  return { text: text.replace(/[\\"]/g, (c) => `\\${c}`), quoted: true };
}

function plain(text: string): Token {
  return { text, quoted: false };
}

/**
 * Parse presentation fields; names in them are absolute (Cloudflare's content never
 * depends on an origin) and an unquoted "@" in a name type is the apex.
 */
function parseFields(type: number, tokens: Token[], origin: string): Buffer {
  const fields = NAME_TYPES.has(type)
    ? tokens.map((t) => (!t.quoted && t.text === "@" ? plain(origin) : t))
    : tokens;
  return rdataFromText(type, fields, ".");
}

/** Parse, turning the codec's complaint into Cloudflare's content error. */
function parseOrFail(type: number, tokens: Token[], origin: string): Buffer {
  try {
    return parseFields(type, tokens, origin);
  } catch (e) {
    if (e instanceof RdataError) throw invalidContent(typeToText(type), `${e.message}.`);
    throw e;
  }
}

/**
 * Host names inside RDATA in lower case, as Cloudflare stores them: names compare without
 * regard to case (RFC 4343), so `NS.Example.net` and `ns.example.net` are one record.
 * Length octets (at most 63) never fall in A–Z, so the name's bytes are lowered in place.
 */
function lowercaseNames(type: number, rdata: Buffer): Buffer {
  for (const { offset, length } of rdataNames(type, rdata)) {
    for (let i = offset; i < offset + length; i++) {
      const c = rdata[i];
      if (c >= 0x41 && c <= 0x5a) rdata[i] = c + 0x20;
    }
  }
  return rdata;
}

/** TXT and SPF content: quoted character-strings, or one raw text cut into 255-octet pieces. */
function txtRdata(type: number, content: string): Buffer {
  const label = typeToText(type);
  // The limit is on the text held, not on its quoted form: what GET returns for a long text
  // (several quoted strings) can be written back as it is.
  const tooLong = () =>
    invalidContent(
      label,
      `Content must be ${MAX_TXT_CONTENT.toLocaleString("en-US")} characters or less.`,
    );
  if (content === "") throw invalidContent(label, "Content is empty.");
  if (content.trimStart().startsWith('"')) {
    const line = lex(content);
    if (line !== undefined && !line.comment) {
      const rdata = parseOrFail(type, line.tokens, ".");
      let held = 0;
      for (let at = 0; at < rdata.length; at += 1 + rdata[at]) held += rdata[at];
      if (held > MAX_TXT_CONTENT) throw tooLong();
      return rdata;
    }
  }
  if (content.length > MAX_TXT_CONTENT) throw tooLong();
  const text = Buffer.from(content, "utf8");
  const parts: Buffer[] = [];
  for (let at = 0; at < text.length; at += 255) {
    const piece = text.subarray(at, Math.min(at + 255, text.length));
    parts.push(Buffer.from([piece.length]), piece);
  }
  return Buffer.concat(parts);
}

/** `data.key` as a number: an integer 0..max unless `decimal` allows a fraction or sign. */
function dataNumber(
  data: Record<string, unknown>,
  key: string,
  opts: { max?: number; fallback?: number; decimal?: boolean } = {},
): string {
  const v = data[key];
  if (v === undefined || v === null) {
    if (opts.fallback !== undefined) return String(opts.fallback);
    throw invalidField(`data.${key} is required`);
  }
  const max = opts.max ?? 0xffff;
  const ok =
    typeof v === "number" &&
    Number.isFinite(v) &&
    (opts.decimal ? true : Number.isInteger(v) && v >= 0 && v <= max);
  if (!ok) {
    throw invalidField(
      opts.decimal ? `data.${key} must be a number` : `data.${key} must be an integer 0-${max}`,
    );
  }
  return String(v);
}

function dataString(data: Record<string, unknown>, key: string): string {
  const v = data[key];
  if (v === undefined || v === null) throw invalidField(`data.${key} is required`);
  if (typeof v !== "string") throw invalidField(`data.${key} must be a string`);
  return v;
}

/** A name from data: a token, with the empty name refused (the codec would say "empty"). */
function dataName(data: Record<string, unknown>, key: string): Token {
  const v = dataString(data, key);
  if (v === "") throw invalidField(`data.${key} must not be empty`);
  return plain(v);
}

/** The presentation fields for `data` of a structured type; undefined when it has no data. */
function dataFields(
  type: number,
  data: Record<string, unknown>,
  priority: unknown,
): Token[] | undefined {
  const n = (key: string, max?: number) => plain(dataNumber(data, key, { max }));
  switch (type) {
    case T.CAA:
      return [n("flags", 0xff), plain(dataString(data, "tag")), quoted(dataString(data, "value"))];
    case T.CERT:
      return [
        n("type"),
        n("key_tag"),
        n("algorithm", 0xff),
        plain(dataString(data, "certificate")),
      ];
    case T.DNSKEY:
      return [
        n("flags"),
        n("protocol", 0xff),
        n("algorithm", 0xff),
        plain(dataString(data, "public_key")),
      ];
    case T.DS:
      return [
        n("key_tag"),
        n("algorithm", 0xff),
        n("digest_type", 0xff),
        plain(dataString(data, "digest")),
      ];
    case T.TLSA:
    case T.SMIMEA:
      return [
        n("usage", 0xff),
        n("selector", 0xff),
        n("matching_type", 0xff),
        plain(dataString(data, "certificate")),
      ];
    case T.SSHFP:
      return [n("algorithm", 0xff), n("type", 0xff), plain(dataString(data, "fingerprint"))];
    case T.SRV:
      return [
        plain(dataNumber({ ...data, priority: data.priority ?? priority }, "priority")),
        n("weight"),
        n("port"),
        dataName(data, "target"),
      ];
    case T.URI:
      return [
        plain(dataNumber({ ...data, priority: data.priority ?? priority }, "priority")),
        n("weight"),
        quoted(dataString(data, "target")),
      ];
    case T.NAPTR:
      return [
        n("order"),
        n("preference"),
        quoted(dataString(data, "flags")),
        quoted(dataString(data, "service")),
        quoted(dataString(data, "regex")),
        dataName(data, "replacement"),
      ];
    case T.HTTPS:
    case T.SVCB: {
      const value = data.value ?? "";
      if (typeof value !== "string") throw invalidField("data.value must be a string");
      let params: Token[] = [];
      if (value.trim() !== "") {
        const line = lex(value);
        if (line === undefined || line.comment)
          throw invalidContent(typeToText(type), "data.value is not one line of SvcParams.");
        params = line.tokens;
      }
      return [n("priority"), dataName(data, "target"), ...params];
    }
    case T.LOC: {
      const dir = (key: string, allowed: string) => {
        const v = dataString(data, key).toUpperCase();
        if (v.length !== 1 || !allowed.includes(v))
          throw invalidField(`data.${key} must be ${allowed.split("").join(" or ")}`);
        return plain(v);
      };
      const num = (key: string, fallback?: number, decimal = true, suffix = "") =>
        plain(`${dataNumber(data, key, { fallback, decimal })}${suffix}`);
      return [
        plain(dataNumber(data, "lat_degrees", { max: 90 })),
        plain(dataNumber(data, "lat_minutes", { max: 59, fallback: 0 })),
        num("lat_seconds", 0),
        dir("lat_direction", "NS"),
        plain(dataNumber(data, "long_degrees", { max: 180 })),
        plain(dataNumber(data, "long_minutes", { max: 59, fallback: 0 })),
        num("long_seconds", 0),
        dir("long_direction", "EW"),
        num("altitude", undefined, true, "m"),
        num("size", 1, true, "m"),
        num("precision_horz", 10000, true, "m"),
        num("precision_vert", 10, true, "m"),
      ];
    }
    default:
      return undefined;
  }
}

/** The RDATA a body describes for `type` (its name is `owner`, for the CNAME loop check). */
function recordRdata(origin: string, type: number, owner: string, body: RecordBody): Buffer {
  const label = typeToText(type);
  const { content, data, priority } = body;
  if (priority !== undefined && priority !== null && !isU16(priority))
    throw invalidField("priority must be an integer 0-65535");
  const hasPriority = PRIORITY_TYPES.has(type) && priority !== undefined && priority !== null;

  if (data !== undefined && data !== null) {
    if (!isObject(data)) throw invalidField("data must be an object");
    const fields = dataFields(type, data, priority);
    if (fields !== undefined) return parseOrFail(type, fields, origin);
  }
  if (content === undefined || content === null)
    throw invalidContent(label, "Content is required.");
  if (typeof content !== "string") throw invalidField("content must be a string");
  if (type === T.TXT || type === T.SPF) return txtRdata(type, content);
  if (content.trim() === "") throw invalidContent(label, "Content is empty.");

  const line = lex(content);
  if (line === undefined || line.comment)
    throw invalidContent(label, "Content must be one line of presentation text.");
  const tokens = hasPriority ? [plain(String(priority)), ...line.tokens] : line.tokens;
  let rdata: Buffer;
  try {
    rdata = parseFields(type, tokens, origin);
  } catch (e) {
    if (!(e instanceof RdataError)) throw e;
    // Content in Cloudflare's shape (without the priority) and no priority field.
    if (!hasPriority && line.tokens.length === CONTENT_FIELDS_WITHOUT_PRIORITY.get(type))
      throw invalidField(`priority is required for ${label} records`);
    throw invalidContent(label, `${e.message}.`);
  }
  if (type === T.CNAME) checkCname(owner, line.tokens[0].text, rdata);
  return rdata;
}

/** Cloudflare refuses a CNAME to an address, and one to the record's own name. */
function checkCname(owner: string, text: string, rdata: Buffer): void {
  if (/^[0-9.]+$/.test(text) || text.includes(":"))
    throw invalidContent("CNAME", "The target must be a host name, not an IP address.");
  const target = rdataToText(T.CNAME, rdata);
  if (nameKey(target) === nameKey(owner))
    throw invalidContent("CNAME", "A CNAME record cannot point to itself.");
}

/* ------------------------------------------------------------------------------------------ */
/* TTL, proxied, comment, tags, settings                                                       */

function recordTtl(value: unknown): number {
  if (value === undefined || value === null) return AUTO_TTL;
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    (value !== AUTO_TTL && (value < MIN_TTL || value > MAX_CLOUDFLARE_TTL))
  ) {
    throw invalidTtl();
  }
  return value;
}

function recordProxied(type: number, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw invalidField("proxied must be a boolean");
  if (value && !PROXIABLE.has(type)) throw invalidProxied();
  return value;
}

function recordComment(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw invalidField("comment must be a string or null");
  if (value.length > MAX_COMMENT)
    throw invalidField(`comment must be ${MAX_COMMENT} characters or less`);
  return value;
}

function recordTags(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalidField("tags must be an array of strings");
  if (value.length > MAX_TAGS) throw invalidField(`tags may hold at most ${MAX_TAGS} tags`);
  for (const tag of value) {
    if (typeof tag !== "string") throw invalidField("tags must be an array of strings");
    const colon = tag.indexOf(":");
    if (colon <= 0) throw invalidField(`tag "${tag}" must be written name:value`);
  }
  return value.length === 0 ? undefined : [...(value as string[])];
}

function recordSettings(
  type: number,
  proxied: boolean,
  value: unknown,
): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidField("settings must be an object");
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!SETTINGS.has(key)) throw invalidField(`settings.${key} is not a known setting`);
    if (v === undefined || v === null) continue;
    if (typeof v !== "boolean") throw invalidField(`settings.${key} must be a boolean`);
    if (v && key === "flatten_cname" && type !== T.CNAME)
      throw invalidField("settings.flatten_cname applies to CNAME records only");
    if (v && key !== "flatten_cname" && !(proxied && PROXIABLE.has(type)))
      throw invalidField(`settings.${key} applies to proxied A, AAAA and CNAME records only`);
    out[key] = v;
  }
  if (out.ipv4_only === true && out.ipv6_only === true)
    throw invalidField("settings.ipv4_only and settings.ipv6_only cannot both be true");
  return Object.keys(out).length === 0 ? undefined : out;
}

/* ------------------------------------------------------------------------------------------ */
/* Entry points                                                                                */

/** Validate a whole body (POST, PUT). `origin` is the zone's canonical name. */
export function validRecord(origin: string, body: RecordBody): ValidRecord {
  try {
    objectBody(body);
    const type = recordType(body.type);
    const name = recordName(origin, body.name);
    const proxied = recordProxied(type, body.proxied);
    const ttl = recordTtl(body.ttl);
    const auto = proxied || ttl === AUTO_TTL;
    const rdata = lowercaseNames(type, recordRdata(origin, type, name, body));
    const out: ValidRecord = {
      name,
      type,
      ttl: auto ? AUTO_TTL_SECONDS : ttl,
      auto,
      rdata,
      proxied,
    };
    const comment = recordComment(body.comment);
    if (comment !== undefined) out.comment = comment;
    const tags = recordTags(body.tags);
    if (tags !== undefined) out.tags = tags;
    const settings = recordSettings(type, proxied, body.settings);
    if (settings !== undefined) out.settings = settings;
    return out;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    // A codec or name failure that escaped the field checks: still the caller's input.
    if (e instanceof RdataError || e instanceof NameError || e instanceof ZoneFileError)
      throw invalidField(e.message);
    throw e;
  }
}

/**
 * PATCH: the current record's fields with the patch's over them. Content and data describe
 * the same thing, so a patch giving one drops the current other; settings merge key by key.
 */
export function mergeRecordBody(current: RecordJson, patch: RecordBody): RecordBody {
  objectBody(patch);
  const out: RecordBody = {
    name: current.name,
    type: current.type,
    content: current.content,
    priority: current.priority,
    data: current.data,
    ttl: current.ttl,
    proxied: current.proxied,
    comment: current.comment,
    tags: current.tags,
    settings: current.settings,
  };
  const given = (k: keyof RecordBody) => Object.hasOwn(patch, k) && patch[k] !== undefined;
  for (const k of Object.keys(out) as Array<keyof RecordBody>) {
    if (given(k)) out[k] = patch[k];
  }
  if (given("data") && !given("content")) out.content = undefined;
  if (given("content") && !given("data")) out.data = undefined;
  if (given("type") && !given("content") && !given("data") && patch.type !== current.type) {
    // A new type with the old type's data would be read with the wrong field names.
    out.data = undefined;
  }
  // A priority on its own replaces the one inside the current data (SRV, URI).
  if (given("priority") && !given("data") && isObject(out.data))
    out.data = { ...out.data, priority: patch.priority };
  if (given("settings") && isObject(patch.settings) && isObject(current.settings))
    out.settings = { ...current.settings, ...patch.settings };
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Output                                                                                      */

/**
 * Presentation text cut into fields, each kept exactly as written (quotes and escapes
 * included, so `alpn="h2,h3"` stays one field).
 */
function splitFields(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") {
      cur += c + (text[i + 1] ?? "");
      i++;
    } else if (c === '"') {
      inQuote = !inQuote;
      cur += c;
    } else if (c === " " && !inQuote) {
      if (cur !== "") out.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  if (cur !== "") out.push(cur);
  return out;
}

/** A quoted (or bare) character-string field → its text (escapes decoded, UTF-8). */
function unquote(field: string): string {
  const inner =
    field.startsWith('"') && field.endsWith('"') && field.length >= 2 ? field.slice(1, -1) : field;
  const buf = Buffer.allocUnsafe(inner.length * 4 + 1);
  const end = decodeCharString(inner, buf, 0, buf.length);
  return buf.toString("utf8", 0, end);
}

/** TXT content: one string as its raw text when that reads back the same, else quoted. */
function txtContent(type: number, rdata: Uint8Array): string {
  const presentation = rdataToText(type, rdata);
  if (rdata.length === 0 || rdata[0] !== rdata.length - 1) return presentation;
  const bytes = rdata.subarray(1);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return presentation;
  }
  // Raw text is read back as one text; refuse what would read back otherwise.
  if (text === "" || text.trimStart().startsWith('"') || hasSpaceOrControl(text, false))
    return presentation;
  return text;
}

/** A record → Cloudflare's JSON fields (the caller adds id, zone and timestamps). */
export function recordJson(_origin: string, r: CloudflareRecord): RecordJson {
  const type = r.type;
  const proxied = r.proxied === true;
  const json: RecordJson = {
    name: nameKey(withoutTrailingDot(r.name)),
    type: typeToText(type),
    content: "",
    ttl: proxied || r.auto ? AUTO_TTL : r.ttl,
    proxiable: PROXIABLE.has(type),
    proxied,
    comment: r.comment ?? null,
    tags: r.tags ? [...r.tags] : [],
    settings: r.settings ? { ...r.settings } : {},
  };
  if (type === T.TXT || type === T.SPF) {
    json.content = txtContent(type, r.rdata);
    return json;
  }
  const fields = splitFields(rdataToText(type, r.rdata));
  for (const i of NAME_FIELDS.get(type) ?? []) fields[i] = withoutTrailingDot(fields[i]);
  const num = (i: number) => Number(fields[i]);
  switch (type) {
    case T.MX:
      json.priority = num(0);
      json.content = fields[1];
      return json;
    case T.SRV:
      json.priority = num(0);
      json.content = fields.slice(1).join(" ");
      json.data = { priority: num(0), weight: num(1), port: num(2), target: fields[3] };
      return json;
    case T.URI:
      json.priority = num(0);
      json.content = fields.slice(1).join(" ");
      json.data = { weight: num(1), target: unquote(fields[2]) };
      return json;
    case T.CAA:
      json.data = { flags: num(0), tag: fields[1], value: unquote(fields[2]) };
      break;
    case T.CERT: {
      // The codec prints the certificate type and algorithm as mnemonics; Cloudflare's
      // data (and so its content) are numbers.
      const b = Buffer.from(r.rdata);
      const data = {
        type: b.readUInt16BE(0),
        key_tag: b.readUInt16BE(2),
        algorithm: b[4],
        certificate: b.subarray(5).toString("base64"),
      };
      json.data = data;
      json.content = `${data.type} ${data.key_tag} ${data.algorithm} ${data.certificate}`;
      return json;
    }
    case T.DNSKEY:
      json.data = {
        flags: num(0),
        protocol: num(1),
        algorithm: num(2),
        public_key: fields.slice(3).join(""),
      };
      break;
    case T.DS:
      json.data = {
        key_tag: num(0),
        algorithm: num(1),
        digest_type: num(2),
        digest: fields.slice(3).join(""),
      };
      break;
    case T.TLSA:
    case T.SMIMEA:
      json.data = {
        usage: num(0),
        selector: num(1),
        matching_type: num(2),
        certificate: fields.slice(3).join(""),
      };
      break;
    case T.SSHFP:
      json.data = { algorithm: num(0), type: num(1), fingerprint: fields.slice(2).join("") };
      break;
    case T.NAPTR:
      json.data = {
        order: num(0),
        preference: num(1),
        flags: unquote(fields[2]),
        service: unquote(fields[3]),
        regex: unquote(fields[4]),
        replacement: fields[5],
      };
      break;
    case T.HTTPS:
    case T.SVCB:
      json.data = { priority: num(0), target: fields[1], value: fields.slice(2).join(" ") };
      break;
    case T.LOC: {
      const metres = (i: number) => Number(fields[i].replace(/m$/, ""));
      json.data = {
        lat_degrees: num(0),
        lat_minutes: num(1),
        lat_seconds: num(2),
        lat_direction: fields[3],
        long_degrees: num(4),
        long_minutes: num(5),
        long_seconds: num(6),
        long_direction: fields[7],
        altitude: metres(8),
        size: metres(9),
        precision_horz: metres(10),
        precision_vert: metres(11),
      };
      break;
    }
  }
  json.content = fields.join(" ");
  return json;
}
