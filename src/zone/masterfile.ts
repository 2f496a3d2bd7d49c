/**
 * Master-file (zone file) parser: RFC 1035 §5 with the extensions real zone files use
 * ($TTL from RFC 2308 §4, RFC 3597 unknown types and classes, BIND's $GENERATE, TTL unit
 * suffixes) and the trailing `; cf_tags=...` comments of Cloudflare's exports.
 *
 * The result is a flat list of records with RDATA already in wire form. The parser does not
 * judge the zone as a whole (SOA at the apex, out-of-zone names, CNAME beside other data,
 * RRsets with differing TTLs): that is the zone builder's job, which knows the apex.
 * The first error ends the parse with a ZoneFileError naming the file and line.
 */

import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { NameError, parseName, textToLabels } from "../wire/name.js";
import { RdataError, rdataFromTextLatin1 } from "../wire/rdata.js";
import type { Token } from "../wire/token.js";
import { classFromText, T, typeFromText } from "../wire/types.js";
import { ZoneFileError } from "./errors.js";
import { GenerateError, GenerateTemplate, parseGenerateRange, rangeCount } from "./generate.js";
import { detach, Lexer } from "./lexer.js";

export interface ParsedRecord {
  /** Canonical absolute owner name (see parseName), case preserved. */
  name: string;
  ttl: number;
  /** Always 1 (IN): other classes are refused. */
  class: number;
  type: number;
  /** Uncompressed wire RDATA as a latin1 string (one character per octet), as zones hold it. */
  wire: string;
  /** The same as bytes, made when read. */
  readonly rdata: Buffer;
  /** The file the record came from (an $INCLUDE'd file's path relative to the first file's). */
  file: string;
  line: number;
  /** Tags from a trailing `; cf_tags=name:value,...` comment (Cloudflare's export format). */
  cfTags?: Record<string, string>;
  /** The trailing comment, trimmed, without `;` (and without the cf_tags part). */
  comment?: string;
}

/**
 * A record as the parser makes it: its RDATA as a latin1 string only, since the zone keeps
 * that form; a reader that wants bytes gets them from `rdata`. Optional fields are set only
 * when present (`"comment" in record` says whether there was one).
 */
class Parsed implements ParsedRecord {
  // Declared only: set when the line has them, so they are not own properties otherwise.
  declare cfTags?: Record<string, string>;
  declare comment?: string;
  constructor(
    public name: string,
    public ttl: number,
    public type: number,
    public wire: string,
    public file: string,
    public line: number,
  ) {}

  get class(): number {
    return 1;
  }

  get rdata(): Buffer {
    return Buffer.from(this.wire, "latin1");
  }
}

export interface ParseWarning {
  file: string;
  line: number;
  message: string;
}

export interface ParseOptions {
  /** Used in messages; also the base for relative $INCLUDE paths. */
  file: string;
  /** Initial origin (canonical). Without it the file must set $ORIGIN before relative names. */
  origin?: string;
  /**
   * TTL for records without one, as if the file began with `$TTL defaultTtl`. Without it and
   * without $TTL, BIND's rules apply: the last explicit TTL (RFC 1035 §5.1, with a warning),
   * and for a first SOA without a TTL its MINIMUM field (RFC 2308 §4, with a warning).
   */
  defaultTtl?: number;
  /**
   * $INCLUDE paths must resolve (after realpath) inside this folder. When undefined,
   * $INCLUDE is refused.
   */
  includeRoot?: string;
  /** Reads an $INCLUDE'd file; defaults to fs.readFileSync(path, "utf8"). */
  readFile?: (path: string) => string;
  /** Told of each $INCLUDE'd file read, with its real path (zone/source-digest.ts). */
  onInclude?: (path: string, text: string) => void;
  /**
   * Receive each record as it is parsed instead of collecting them in `records` (which then
   * stays empty): a million-record file is never held twice in memory. `origin` is the
   * origin the file started with (ParseResult.origin), known by the first record.
   */
  onRecord?: (record: ParsedRecord, origin: string | undefined) => void;
  /**
   * Refuse files that produce more records than this (a `$GENERATE 0-2147483647` line is
   * 30 bytes). Unlimited when undefined.
   */
  maxRecords?: number;
}

export interface ParseResult {
  /**
   * The first $ORIGIN, if it comes before the first record (the origin the file starts
   * with); otherwise options.origin.
   */
  origin: string | undefined;
  records: ParsedRecord[];
  warnings: ParseWarning[];
}

/**
 * The protocol's largest TTL (RFC 2181 §8: 2^31 - 1); larger values are treated as 0, as BIND
 * does. Cloudflare's own limit on a record is lower (MAX_CLOUDFLARE_TTL, cloudflare/records/).
 */
export const MAX_DNS_TTL = 0x7fffffff;

const UNIT_SECONDS: Record<number, number> = {
  119: 604800, // w
  100: 86400, // d
  104: 3600, // h
  109: 60, // m
  115: 1, // s
};

/**
 * A TTL as BIND reads it: a decimal number of seconds, or one or more number+unit pairs
 * (`w`, `d`, `h`, `m`, `s`, any case: `1h30m`, `2w`). Every number needs a unit once units
 * are used (`1h30` is refused, as by BIND). Undefined when the text is not a TTL or exceeds
 * 32 bits.
 */
export function parseTtl(text: string): number | undefined {
  return parseTtlAt(text, 0, text.length);
}

/** parseTtl of `text[start..end)`, without slicing it out. */
function parseTtlAt(text: string, start: number, end: number): number | undefined {
  if (end <= start) return undefined;
  let total = 0;
  let num = 0;
  let digits = 0;
  let units = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      num = num * 10 + (c - 0x30);
      digits++;
      if (num > 0xffffffff) return undefined;
      continue;
    }
    const mult = UNIT_SECONDS[c | 0x20];
    if (mult === undefined || digits === 0) return undefined;
    total += num * mult;
    num = 0;
    digits = 0;
    units = true;
  }
  if (digits > 0) {
    if (units) return undefined;
    total = num;
  }
  return total > 0xffffffff ? undefined : total;
}

const CF_TAGS = "cf_tags=";

/**
 * Split a trailing comment into Cloudflare's tags and the free comment before them.
 * Cloudflare writes `; [comment ]cf_tags=name:value,name2:"json string",name3` where a value
 * is quoted (as a JSON string) when it holds `"`, `=`, `,` or `\`, and a tag without a value
 * stands for the empty value.
 */
export function parseCfComment(text: string): {
  comment?: string;
  cfTags?: Record<string, string>;
} {
  let at = text.lastIndexOf(CF_TAGS);
  while (at > 0 && text.charCodeAt(at - 1) !== 0x20 && text.charCodeAt(at - 1) !== 0x09) {
    at = text.lastIndexOf(CF_TAGS, at - 1);
  }
  if (at < 0) return { comment: text };
  const before = text.slice(0, at).trim();
  const s = text.slice(at + CF_TAGS.length);
  const tags: Record<string, string> = {};
  let any = false;
  let i = 0;
  while (i < s.length) {
    let j = i;
    while (j < s.length && s[j] !== ":" && s[j] !== ",") j++;
    const name = s.slice(i, j).trim();
    let value = "";
    i = j;
    if (s[i] === ":") {
      i++;
      while (s[i] === " ") i++;
      if (s[i] === '"') {
        let k = i + 1;
        while (k < s.length && s[k] !== '"') k += s[k] === "\\" ? 2 : 1;
        const raw = s.slice(i, k + 1);
        try {
          value = JSON.parse(raw) as string;
        } catch {
          value = raw.slice(1, raw.endsWith('"') && raw.length > 1 ? -1 : undefined);
        }
        i = k + 1;
        while (i < s.length && s[i] !== ",") i++;
      } else {
        let k = i;
        while (k < s.length && s[k] !== ",") k++;
        value = s.slice(i, k).trim();
        i = k;
      }
    }
    i++; // the comma
    if (name !== "" && name !== "__proto__") {
      tags[name] = value;
      any = true;
    }
  }
  const out: { comment?: string; cfTags?: Record<string, string> } = {};
  if (before !== "") out.comment = before;
  if (any) out.cfTags = tags;
  else if (before === "") out.comment = text;
  return out;
}

/**
 * Characters that may appear unescaped in a label of canonical presentation form (the
 * complement of name.ts's escape set): a name made of these and dots is already canonical,
 * which lets the common case skip parseName.
 */
const PLAIN = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) PLAIN[c] = 1;
for (const ch of '.\\";()@$') PLAIN[ch.charCodeAt(0)] = 0;

/** Are `a[as..as+len)` and `b[bs..bs+len)` the same characters? */
function sameText(a: string, as: number, b: string, bs: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a.charCodeAt(as + i) !== b.charCodeAt(bs + i)) return false;
  return true;
}

/** Does the presentation text end with an unescaped dot (an absolute name)? */
function endsWithDot(text: string): boolean {
  if (text.charCodeAt(text.length - 1) !== 0x2e) return false;
  let backslashes = 0;
  for (let i = text.length - 2; i >= 0 && text.charCodeAt(i) === 0x5c; i--) backslashes++;
  return backslashes % 2 === 0;
}

/** Octets of the wire form of a canonical name. */
function wireLength(name: string): number {
  let len = 1;
  for (const label of textToLabels(name).labels) len += label.length + 1;
  return len;
}

/** Probe origin: RDATA that changes with the origin used a relative name. */
const PROBE_ORIGIN = "origin-probe.invalid.";

interface Source {
  lexer: Lexer;
  /** Name used in messages and in ParsedRecord.file. */
  file: string;
  /** Absolute path of the file, the base for relative $INCLUDE paths. */
  path: string;
  origin: string | undefined;
  /** The current owner name: the previous record's (RFC 1035 §5.1). */
  owner: string | undefined;
  /** $ORIGIN changed since the last record (BIND warns when the owner is then inherited). */
  originChanged: boolean;
  /** Cache of "." + origin for building names, valid while origin === dotOriginFor. */
  dotOriginFor: string | undefined;
  dotOrigin: string;
}

class MasterFileParser {
  readonly records: ParsedRecord[] = [];
  private recordCount = 0;
  private readonly onRecord: ParseOptions["onRecord"];
  private readonly startOrigin: string | undefined;
  readonly warnings: ParseWarning[] = [];
  firstOrigin: string | undefined;
  /** The $TTL in force (RFC 2308 §4), if any. */
  private defaultTtl: number | undefined;
  /** The last TTL written on a record (RFC 1035 §5.1 default when there is no $TTL). */
  private lastTtl: number | undefined;
  private warned1035 = false;
  /** options.includeRoot's real path, looked up at the first $INCLUDE (null: not yet). */
  private includeRoot: string | undefined | null = null;
  private readonly readFile: (p: string) => string;
  private readonly customReader: boolean;
  private readonly maxRecords: number;
  /**
   * Real paths of the files being read, outermost first, to detect $INCLUDE loops. The
   * outermost is held as given until the first $INCLUDE: most zone files have none, and a
   * folder of thousands of them would pay a realpath each.
   */
  private readonly reading: string[] = [];
  private outermostReal = false;
  /** Type fields seen so far, as written, and their numbers (a small cache). */
  private readonly typeTexts: string[] = [];
  private readonly typeNumbers: number[] = [];
  // The last explicit owner: zone files often repeat it on consecutive lines.
  private lastOwnerText = "";
  private lastOwnerStart = 0;
  private lastOwnerEnd = -1;
  private lastOwnerOrigin: string | undefined;
  private lastOwnerName = "";

  constructor(private readonly options: ParseOptions) {
    this.defaultTtl = options.defaultTtl;
    this.customReader = options.readFile !== undefined;
    this.readFile = options.readFile ?? ((p) => readFileSync(p, "utf8"));
    this.maxRecords = options.maxRecords ?? Number.POSITIVE_INFINITY;
    this.onRecord = options.onRecord;
    this.startOrigin = options.origin;
  }

  run(text: string): void {
    const file = this.options.file;
    const abs = path.resolve(file);
    this.reading.push(abs);
    this.parseSource({
      lexer: new Lexer(text, file),
      file,
      path: abs,
      origin: this.options.origin,
      owner: undefined,
      originChanged: false,
      dotOriginFor: undefined,
      dotOrigin: "",
    });
  }

  private fail(src: Source, line: number, reason: string): never {
    throw new ZoneFileError(src.file, line, reason);
  }

  private warn(src: Source, line: number, message: string): void {
    this.warnings.push({ file: src.file, line, message });
  }

  private parseSource(src: Source): void {
    const lx = src.lexer;
    while (lx.next()) {
      if (!lx.initialWs && lx.firstCode(0) === 0x24 && !lx.quoted[0]) this.directive(src);
      else this.record(src);
    }
  }

  // ---- names ------------------------------------------------------------------------------

  /**
   * Canonical absolute name for presentation text `text[s..e)`, relative to `origin`
   * (RFC 1035 §5.1). Plain names (no escapes, no `@`) are canonical already and take a fast
   * path; everything else goes through parseName.
   */
  private nameAt(src: Source, text: string, s: number, e: number, line: number): string {
    const origin = src.origin;
    let labelLen = 0;
    let plain = e > s;
    for (let p = s; p < e; p++) {
      const c = text.charCodeAt(p);
      if (c === 0x2e) {
        if (labelLen === 0) {
          plain = false;
          break;
        }
        labelLen = 0;
      } else if (c >= 128 || PLAIN[c] === 0 || ++labelLen > 63) {
        plain = false;
        break;
      }
    }
    if (plain) {
      let full: string;
      if (labelLen === 0) {
        // Ends with a dot: absolute. Rebuilt rather than sliced so that it does not pin
        // `text` (the whole file) in memory; see detach().
        full = `${text.slice(s, e - 1)}.`;
      } else if (origin === undefined) {
        return this.noOrigin(src, line, text.slice(s, e));
      } else {
        full =
          text.slice(s, e) + (origin === src.dotOriginFor ? src.dotOrigin : this.dotOrigin(src));
      }
      // A plain name's text is one shorter than its wire form (RFC 1035 §2.3.4: ≤ 255).
      if (full.length < 255) {
        full.charCodeAt(0); // flatten (see detach())
        return full;
      }
    }
    const t = text.slice(s, e);
    if (origin === undefined && !endsWithDot(t)) return this.noOrigin(src, line, t);
    try {
      const name = parseName(t, origin ?? ".");
      // RFC 1035 §2.3.4: at most 255 octets on the wire. Checked here because the text of a
      // name of exactly 255 characters can be 256 octets long.
      if (name.length >= 255 && wireLength(name) > 255) {
        this.fail(src, line, `name longer than 255 octets: "${t}"`);
      }
      return detach(name);
    } catch (err) {
      if (err instanceof NameError) this.fail(src, line, err.message);
      throw err;
    }
  }

  /** "." + origin ("." for the root), computed once per origin. */
  private dotOrigin(src: Source): string {
    const origin = src.origin ?? ".";
    src.dotOriginFor = origin;
    src.dotOrigin = origin === "." ? "." : `.${origin}`;
    return src.dotOrigin;
  }

  private noOrigin(src: Source, line: number, text: string): never {
    this.fail(src, line, `relative name "${text}" but no origin: set $ORIGIN before it`);
  }

  /** Name in field `i` of the current entry. */
  private nameField(src: Source, i: number): string {
    const lx = src.lexer;
    return this.nameAt(src, lx.src, lx.starts[i], lx.ends[i], lx.line);
  }

  // ---- fields shared by records and $GENERATE ---------------------------------------------

  /**
   * Read the optional TTL and class fields from field `i` on, in either order
   * (RFC 1035 §5.1: `[<TTL>] [<class>]` or `[<class>] [<TTL>]`). Returns the index of the
   * type field; sets this.fieldTtl (-1 when absent).
   */
  private fieldTtl = -1;
  private ttlAndClass(src: Source, i: number): number {
    const lx = src.lexer;
    const n = lx.count;
    let ttl = -1;
    let cls = 0;
    while (i < n && !lx.quoted[i]) {
      const c0 = lx.firstCode(i);
      if (c0 >= 0x30 && c0 <= 0x39) {
        // No type or class starts with a digit, so this is meant as a TTL.
        if (ttl >= 0) break;
        const v = parseTtlAt(lx.src, lx.starts[i], lx.ends[i]);
        if (v === undefined) this.fail(src, lx.line, `"${lx.text(i)}" is not a valid TTL`);
        ttl = this.limitTtl(src, lx.line, v);
      } else if (cls === 0 && lx.is(i, "IN")) {
        cls = 1;
      } else if (cls === 0) {
        const c = classFromText(lx.text(i));
        if (c === undefined) break;
        // Only class IN zones are served; RFC 1035 §5.2 wants one class per file anyway.
        if (c !== 1) {
          this.fail(src, lx.line, `class ${lx.text(i)} is not supported: only IN zones are served`);
        }
        cls = c;
      } else {
        break;
      }
      i++;
    }
    this.fieldTtl = ttl;
    return i;
  }

  private limitTtl(src: Source, line: number, v: number): number {
    if (v <= MAX_DNS_TTL) return v;
    // RFC 2181 §8: a TTL with the top bit set is treated as zero. BIND does the same and warns.
    this.warn(src, line, `TTL ${v} is above ${MAX_DNS_TTL}; using 0 (RFC 2181 §8)`);
    return 0;
  }

  private typeAt(src: Source, i: number): number {
    const lx = src.lexer;
    if (i >= lx.count) this.fail(src, lx.line, "missing record type");
    // Type fields repeat a handful of spellings; compare in place before slicing.
    const s = lx.starts[i];
    const len = lx.ends[i] - s;
    const seen = this.typeTexts;
    if (!lx.quoted[i]) {
      for (let k = 0; k < seen.length; k++) {
        const t = seen[k];
        if (t.length === len && lx.src.startsWith(t, s)) return this.typeNumbers[k];
      }
    }
    const text = lx.text(i);
    const type = lx.quoted[i] ? undefined : typeFromText(text);
    if (type === undefined) this.fail(src, lx.line, `unknown record type "${text}"`);
    // RFC 6895 §3.1: 0, OPT and 128-255 are query and meta types, never stored in a zone.
    if (type === 0 || type === 41 || (type >= 128 && type <= 255)) {
      this.fail(src, lx.line, `${text} is a query or meta type, not allowed in a zone file`);
    }
    // RFC 1035 §3.3.4, §3.3.5: MD and MF are obsolete (use MX); BIND refuses them too.
    if (type === 3 || type === 4) {
      this.fail(src, lx.line, `record type ${text} is obsolete: use MX`);
    }
    if (seen.length < 16) {
      seen.push(detach(text));
      this.typeNumbers.push(type);
    }
    return type;
  }

  /** RDATA from its fields; RdataError and NameError become ZoneFileErrors at `line`. */
  private rdata(src: Source, line: number, type: number, fields: Token[], prefix: string): string {
    try {
      const origin = src.origin;
      if (origin !== undefined) return rdataFromTextLatin1(type, fields, origin);
      // No origin yet: a relative name in the RDATA would silently become relative to the
      // root. Parse against two origins; if the results differ, a relative name was used.
      const rdata = rdataFromTextLatin1(type, fields, ".");
      if (rdata !== rdataFromTextLatin1(type, fields, PROBE_ORIGIN)) {
        this.fail(
          src,
          line,
          `${prefix}relative name in the record data but no origin: set $ORIGIN first`,
        );
      }
      return rdata;
    } catch (err) {
      if (err instanceof RdataError || err instanceof NameError) {
        this.fail(src, line, prefix + err.message);
      }
      throw err;
    }
  }

  /** TTL for a record without one; `soaMinimum` is the record's own SOA MINIMUM if an SOA. */
  private implicitTtl(src: Source, line: number, soaMinimum: number): number {
    if (this.defaultTtl !== undefined) return this.defaultTtl;
    if (this.lastTtl !== undefined) {
      if (!this.warned1035) {
        this.warned1035 = true;
        this.warn(
          src,
          line,
          `no $TTL: records without a TTL take the last TTL given (${this.lastTtl}), as in RFC 1035 §5.1`,
        );
      }
      return this.lastTtl;
    }
    if (soaMinimum >= 0) {
      // BIND's rule for zone files without $TTL, after RFC 2308 §4 (which made the SOA
      // MINIMUM the negative-caching TTL and introduced $TTL for the default).
      const ttl = this.limitTtl(src, line, soaMinimum);
      this.defaultTtl = ttl;
      this.warn(src, line, `no TTL and no $TTL: using the SOA MINIMUM (${ttl}) as the default TTL`);
      return ttl;
    }
    this.fail(src, line, "no TTL and no $TTL before the first record");
  }

  private push(src: Source, line: number, rec: ParsedRecord): void {
    if (this.recordCount >= this.maxRecords) {
      this.fail(src, line, `more than ${this.maxRecords} records`);
    }
    this.recordCount++;
    if (this.onRecord) this.onRecord(rec, this.firstOrigin ?? this.startOrigin);
    else this.records.push(rec);
  }

  // ---- records ----------------------------------------------------------------------------

  private record(src: Source): void {
    const lx = src.lexer;
    const line = lx.line;
    let owner: string;
    let i = 0;
    if (lx.initialWs) {
      // RFC 1035 §5.1: a blank owner means the last one stated.
      if (src.owner === undefined) {
        this.fail(src, line, "no owner name: the first record starts with a space or tab");
      }
      if (src.originChanged) {
        this.warn(
          src,
          line,
          `record inherits the owner ${src.owner} from before an $ORIGIN change`,
        );
      }
      owner = src.owner;
    } else {
      const s = lx.starts[0];
      const len = lx.ends[0] - s;
      const ls = this.lastOwnerStart;
      if (
        len === this.lastOwnerEnd - ls &&
        src.origin === this.lastOwnerOrigin &&
        !lx.quoted[0] &&
        sameText(lx.src, s, this.lastOwnerText, ls, len)
      ) {
        owner = this.lastOwnerName;
      } else {
        owner = this.nameField(src, 0);
        // Remembered by position, so that no string is cut out for the comparison.
        this.lastOwnerText = lx.src;
        this.lastOwnerStart = s;
        this.lastOwnerEnd = lx.quoted[0] ? s - 1 : s + len;
        this.lastOwnerOrigin = src.origin;
        this.lastOwnerName = owner;
      }
      src.owner = owner;
      i = 1;
    }
    src.originChanged = false;
    i = this.ttlAndClass(src, i);
    let ttl = this.fieldTtl;
    const type = this.typeAt(src, i);
    const rdata = this.rdata(src, line, type, lx.tokens(i + 1), "");
    if (ttl >= 0) {
      this.lastTtl = ttl;
    } else {
      // SOA RDATA ends with MINIMUM, a 32-bit integer (RFC 1035 §3.3.13).
      const minimum = type === T.SOA && rdata.length >= 22 ? u32At(rdata, rdata.length - 4) : -1;
      ttl = this.implicitTtl(src, line, minimum);
    }
    const rec = new Parsed(owner, ttl, type, rdata, src.file, line);
    const comment = lx.comment();
    if (comment !== undefined) {
      const c = parseCfComment(comment);
      if (c.cfTags !== undefined) rec.cfTags = c.cfTags;
      if (c.comment !== undefined) rec.comment = c.comment;
    }
    this.push(src, line, rec);
  }

  // ---- directives -------------------------------------------------------------------------

  private directive(src: Source): void {
    const lx = src.lexer;
    if (lx.is(0, "$ORIGIN")) this.originDirective(src);
    else if (lx.is(0, "$TTL")) this.ttlDirective(src);
    else if (lx.is(0, "$INCLUDE")) this.includeDirective(src);
    else if (lx.is(0, "$GENERATE")) this.generateDirective(src);
    else this.fail(src, lx.line, `unknown directive "${lx.text(0)}"`);
  }

  /** `$ORIGIN <domain-name>` (RFC 1035 §5.1); a relative name is relative to the old origin. */
  private originDirective(src: Source): void {
    const lx = src.lexer;
    if (lx.count !== 2) this.fail(src, lx.line, "$ORIGIN takes one domain name");
    const origin = this.nameField(src, 1);
    src.origin = origin;
    src.originChanged = true;
    // The zone's origin is the one the file starts with: an $ORIGIN further down only
    // shortens the names below it.
    if (this.firstOrigin === undefined && this.records.length === 0) this.firstOrigin = origin;
  }

  /** `$TTL <ttl>` (RFC 2308 §4): the TTL of records that give none. */
  private ttlDirective(src: Source): void {
    const lx = src.lexer;
    if (lx.count !== 2) this.fail(src, lx.line, "$TTL takes one value");
    const v = lx.quoted[1] ? undefined : parseTtl(lx.text(1));
    if (v === undefined) this.fail(src, lx.line, `$TTL "${lx.text(1)}" is not a valid TTL`);
    this.defaultTtl = this.limitTtl(src, lx.line, v);
  }

  /**
   * `$INCLUDE <file-name> [<domain-name>]` (RFC 1035 §5.1). The path is relative to the
   * including file's folder and must stay inside options.includeRoot. The included file starts
   * with the given origin (or the current one) and the current owner; when it ends, the
   * including file's origin and owner are back as they were, since "a $INCLUDE entry never
   * changes the relative origin of the parent file" (RFC 1035 §5.1; BIND restores the owner
   * too). $TTL and the last explicit TTL carry on, as in BIND.
   */
  private includeDirective(src: Source): void {
    const lx = src.lexer;
    const line = lx.line;
    if (this.includeRoot === null) {
      const given = this.options.includeRoot;
      this.includeRoot = given === undefined ? undefined : realOrResolved(given);
    }
    const root = this.includeRoot;
    if (root === undefined) this.fail(src, line, "$INCLUDE is not allowed here");
    if (!this.outermostReal) {
      this.reading[0] = realOrResolved(this.reading[0]);
      this.outermostReal = true;
    }
    if (lx.count < 2 || lx.count > 3) {
      this.fail(src, line, "$INCLUDE takes a file name and an optional origin");
    }
    const arg = lx.text(1);
    const origin = lx.count === 3 ? this.nameField(src, 2) : src.origin;
    const resolved = path.resolve(path.dirname(src.path), arg);
    let real = resolved;
    try {
      real = realpathSync.native(resolved);
    } catch (err) {
      // An injected reader may serve files that are not on disk.
      if (!this.customReader) this.fail(src, line, `cannot read $INCLUDE file ${arg}: ${why(err)}`);
    }
    const rel = path.relative(root, real);
    if (rel === ".." || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      this.fail(src, line, `$INCLUDE of ${arg} leaves the zones folder`);
    }
    if (this.reading.includes(real)) {
      this.fail(src, line, `$INCLUDE loop: ${arg} is already being read`);
    }
    let text: string;
    try {
      text = this.readFile(real);
    } catch (err) {
      this.fail(src, line, `cannot read $INCLUDE file ${arg}: ${why(err)}`);
    }
    this.options.onInclude?.(real, text);
    const file = path.isAbsolute(arg) ? arg : path.join(path.dirname(src.file), arg);
    this.reading.push(real);
    this.parseSource({
      lexer: new Lexer(text, file),
      file,
      path: resolved,
      origin,
      owner: src.owner,
      originChanged: lx.count === 3 || src.originChanged,
      dotOriginFor: undefined,
      dotOrigin: "",
    });
    this.reading.pop();
  }

  /**
   * BIND's `$GENERATE start-stop[/step] owner [ttl] [class] type rdata`. As in BIND the rdata
   * is a single field (quoted when it has spaces) that is split into fields again after the
   * substitution, and the records take the TTL rules of ordinary records.
   */
  private generateDirective(src: Source): void {
    const lx = src.lexer;
    const line = lx.line;
    const usage = "$GENERATE takes: start-stop[/step] owner [ttl] [class] type rdata";
    if (lx.count < 5) this.fail(src, line, usage);
    let range: ReturnType<typeof parseGenerateRange>;
    let lhs: GenerateTemplate;
    try {
      range = parseGenerateRange(lx.text(1));
      lhs = new GenerateTemplate(lx.text(2));
    } catch (err) {
      if (err instanceof GenerateError) this.fail(src, line, err.message);
      throw err;
    }
    const i = this.ttlAndClass(src, 3);
    let ttl = this.fieldTtl;
    const type = this.typeAt(src, i);
    if (i + 1 >= lx.count) this.fail(src, line, usage);
    if (i + 2 < lx.count) {
      this.fail(src, line, "$GENERATE takes the rdata as one field: quote it when it has spaces");
    }
    // BIND's lexer turns \" into " inside a quoted field; the rdata is then split again.
    const rhsText = lx.quoted[i + 1]
      ? lx.text(i + 1).replace(/\\(.)/g, unescapeQuote)
      : lx.text(i + 1);
    let rhs: GenerateTemplate;
    try {
      rhs = new GenerateTemplate(rhsText);
    } catch (err) {
      if (err instanceof GenerateError) this.fail(src, line, err.message);
      throw err;
    }
    if (ttl >= 0) this.lastTtl = ttl;
    else ttl = this.implicitTtl(src, line, -1);
    if (this.records.length + rangeCount(range) > this.maxRecords) {
      this.fail(src, line, `more than ${this.maxRecords} records`);
    }
    const { start, stop, step } = range;
    for (let v = start; v <= stop; v += step) {
      let owner: string;
      let rdText: string;
      try {
        owner = lhs.render(v);
        rdText = rhs.render(v);
      } catch (err) {
        if (err instanceof GenerateError) this.fail(src, line, err.message);
        throw err;
      }
      const name = this.nameAt(src, owner, 0, owner.length, line);
      const fields = new Lexer(rdText, src.file, line);
      const tokens = fields.next() ? fields.tokens(0) : [];
      if (fields.next()) this.fail(src, line, `$GENERATE rdata "${rdText}" spans lines`);
      const rdata = this.rdata(src, line, type, tokens, `$GENERATE value ${v}: `);
      this.push(src, line, new Parsed(name, ttl, type, rdata, src.file, line));
    }
  }
}

/** The big-endian 32-bit integer at `at` of a latin1 string. */
function u32At(s: string, at: number): number {
  return (
    s.charCodeAt(at) * 0x1000000 +
    ((s.charCodeAt(at + 1) << 16) | (s.charCodeAt(at + 2) << 8) | s.charCodeAt(at + 3))
  );
}

function unescapeQuote(pair: string, ch: string): string {
  return ch === '"' ? ch : pair;
}

/**
 * The real path, by one realpath(3) call: the JavaScript realpathSync checks every component
 * with its own lstat.
 */
function realOrResolved(p: string): string {
  const abs = path.resolve(p);
  try {
    return realpathSync.native(abs);
  } catch {
    return abs;
  }
}

function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ENOENT") return "no such file";
  if (e?.code === "EISDIR") return "is a folder";
  if (e?.code === "EACCES") return "permission denied";
  return e?.message ?? String(err);
}

/** Parse a master file. Throws ZoneFileError at the first error. */
export function parseMasterFile(text: string, options: ParseOptions): ParseResult {
  const parser = new MasterFileParser(options);
  parser.run(text);
  return {
    origin: parser.firstOrigin ?? options.origin,
    records: parser.records,
    warnings: parser.warnings,
  };
}
