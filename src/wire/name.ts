/**
 * Domain names.
 *
 * Inside dns-primary a name is held in *canonical presentation form*: absolute, with a
 * trailing dot (the root is "."), every label escaped the same way (RFC 1035 §5.1: `\.` for
 * a dot inside a label, `\\`, `\"`, and `\DDD` for bytes outside printable ASCII). Because
 * the escaping is canonical, two names are equal iff their lowercased forms are equal
 * (RFC 4343: ASCII case-insensitive), so `nameKey()` is a plain `toLowerCase()`.
 */

export class NameError extends Error {
  override name = "NameError";
}

/** Longest name on the wire, RFC 1035 §2.3.4. */
export const MAX_NAME_WIRE = 255;
export const MAX_LABEL = 63;

const ESCAPE_IN_LABEL = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  // Printable ASCII except the characters that are special in master files.
  ESCAPE_IN_LABEL[b] =
    b <= 0x20 ||
    b >= 0x7f ||
    b === 0x2e ||
    b === 0x5c ||
    b === 0x22 ||
    b === 0x3b ||
    b === 0x28 ||
    b === 0x29 ||
    b === 0x40 ||
    b === 0x24
      ? 1
      : 0;
}

/** Presentation form of one label's raw bytes. */
export function labelToText(buf: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (ESCAPE_IN_LABEL[b] === 0) out += String.fromCharCode(b);
    else if (b > 0x20 && b < 0x7f) out += `\\${String.fromCharCode(b)}`;
    else out += `\\${b.toString().padStart(3, "0")}`;
  }
  return out;
}

/**
 * Split presentation text into raw label byte arrays, honouring `\X` and `\DDD` escapes.
 * `text` may be relative or absolute; the result says which.
 */
export function textToLabels(text: string): { labels: Uint8Array[]; absolute: boolean } {
  if (text === ".") return { labels: [], absolute: true };
  if (text.length === 0) throw new NameError("empty name");
  const labels: Uint8Array[] = [];
  let cur: number[] = [];
  let absolute = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      // RFC 1035 §5.1: \X is X literally, \DDD is the byte with that decimal value.
      const d0 = text.charCodeAt(i + 1);
      if (Number.isNaN(d0)) throw new NameError(`trailing backslash in name "${text}"`);
      if (d0 >= 0x30 && d0 <= 0x39) {
        const ddd = text.slice(i + 1, i + 4);
        if (!/^[0-9]{3}$/.test(ddd)) throw new NameError(`bad \\DDD escape in name "${text}"`);
        const v = Number(ddd);
        if (v > 255) throw new NameError(`escape \\${ddd} above 255 in name "${text}"`);
        cur.push(v);
        i += 3;
      } else {
        cur.push(d0 & 0xff);
        if (d0 > 0xff) throw new NameError(`non-ASCII character in name "${text}"`);
        i += 1;
      }
    } else if (c === 0x2e) {
      if (cur.length === 0) throw new NameError(`empty label in name "${text}"`);
      labels.push(Uint8Array.from(cur));
      cur = [];
      if (i === text.length - 1) absolute = true;
    } else {
      if (c > 0xff) throw new NameError(`non-ASCII character in name "${text}" (use punycode)`);
      cur.push(c);
    }
  }
  if (cur.length > 0) labels.push(Uint8Array.from(cur));
  for (const l of labels) {
    if (l.length > MAX_LABEL) throw new NameError(`label longer than 63 octets in name "${text}"`);
  }
  return { labels, absolute };
}

function labelsToText(labels: Uint8Array[]): string {
  if (labels.length === 0) return ".";
  let out = "";
  for (const l of labels) out += `${labelToText(l, 0, l.length)}.`;
  return out;
}

function checkWireLength(labels: Uint8Array[], text: string): void {
  let len = 1;
  for (const l of labels) len += l.length + 1;
  if (len > MAX_NAME_WIRE) throw new NameError(`name longer than 255 octets: "${text}"`);
}

/**
 * Resolve master-file text to a canonical absolute name. `@` is the origin; a name without a
 * trailing dot is relative to `origin` (RFC 1035 §5.1). `origin` must be canonical.
 */
export function parseName(text: string, origin = "."): string {
  if (text === "@") return origin;
  const { labels, absolute } = textToLabels(text);
  let full = labelsToText(labels);
  if (!absolute) full = origin === "." ? full : full + origin;
  // A name of n characters without escapes is n + 1 octets on the wire (RFC 1035 §3.1).
  if (full.length >= 255) checkWireLength(textToLabels(full).labels, text);
  return full;
}

/** Canonicalise an absolute or relative-to-root name given by a user (trailing dot optional). */
export function canonicalName(text: string): string {
  return parseName(text.endsWith(".") || text === "@" ? text : `${text}.`, ".");
}

/** The key under which a name is compared: RFC 4343 case-insensitive. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/** Uncompressed wire form of a canonical name. */
export function nameToWire(name: string): Buffer {
  const { labels } = textToLabels(name);
  let len = 1;
  for (const l of labels) len += l.length + 1;
  const out = Buffer.allocUnsafe(len);
  let o = 0;
  for (const l of labels) {
    out[o++] = l.length;
    out.set(l, o);
    o += l.length;
  }
  out[o] = 0;
  return out;
}

/**
 * Uncompressed wire form of a canonical name as a latin1 string (the form the message writer
 * and the zone's RDATA use). Names without escapes, nearly all of them, take a fast path.
 */
export function nameToWireString(name: string): string {
  if (name === ".") return "\0";
  if (name.indexOf("\\") >= 0) return nameToWire(name).toString("latin1");
  let out = "";
  let start = 0;
  while (start < name.length) {
    const dot = name.indexOf(".", start);
    out += String.fromCharCode(dot - start) + name.slice(start, dot);
    start = dot + 1;
  }
  return `${out}\0`;
}

/** Write the uncompressed wire form of `name` at `offset`; returns the new offset. */
export function writeNameWire(name: string, buf: Buffer, offset: number): number {
  const w = nameToWire(name);
  w.copy(buf, offset);
  return offset + w.length;
}

/**
 * Read a (possibly compressed, RFC 1035 §4.1.4) name from a message. Returns the canonical
 * name and the offset just after it in the original position. Throws NameError on loops,
 * pointers forward of the name, reserved label types, or names over 255 octets.
 */
export function readNameWire(buf: Uint8Array, offset: number): { name: string; next: number } {
  let out = "";
  let pos = offset;
  let next = -1;
  let wireLen = 1;
  let jumps = 0;
  for (;;) {
    if (pos >= buf.length) throw new NameError("name runs past the end of the message");
    const len = buf[pos];
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) throw new NameError("compression pointer runs past the end");
      const ptr = ((len & 0x3f) << 8) | buf[pos + 1];
      if (next < 0) next = pos + 2;
      // A pointer must point backwards, which also rules out loops; cap jumps regardless.
      if (ptr >= pos || ++jumps > 127) throw new NameError("bad compression pointer");
      pos = ptr;
      continue;
    }
    if (kind !== 0) throw new NameError("reserved label type");
    if (pos + 1 + len > buf.length) throw new NameError("label runs past the end of the message");
    wireLen += len + 1;
    if (wireLen > MAX_NAME_WIRE) throw new NameError("name longer than 255 octets");
    out += `${labelToText(buf, pos + 1, pos + 1 + len)}.`;
    pos += 1 + len;
  }
  return { name: out === "" ? "." : out, next };
}

/** Number of labels (the root has 0). */
export function labelCount(name: string): number {
  if (name === ".") return 0;
  let n = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) {
      i += name.charCodeAt(i + 1) >= 0x30 && name.charCodeAt(i + 1) <= 0x39 ? 3 : 1;
    } else if (c === 0x2e) n++;
  }
  return n;
}

/** The name with its first label removed ("a.b." → "b.", "a." → "."). */
export function parentName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) {
      i += name.charCodeAt(i + 1) >= 0x30 && name.charCodeAt(i + 1) <= 0x39 ? 3 : 1;
    } else if (c === 0x2e) {
      return i === name.length - 1 ? "." : name.slice(i + 1);
    }
  }
  return ".";
}

/** True when `name` equals `zone` or lies below it (both keys, i.e. lowercased). */
export function isInZone(nameKeyed: string, zoneKeyed: string): boolean {
  if (zoneKeyed === ".") return true;
  if (nameKeyed.length < zoneKeyed.length) return false;
  if (nameKeyed.length === zoneKeyed.length) return nameKeyed === zoneKeyed;
  if (!nameKeyed.endsWith(zoneKeyed)) return false;
  // The character before the zone part must be an unescaped label separator.
  const sep = nameKeyed.length - zoneKeyed.length - 1;
  if (nameKeyed.charCodeAt(sep) !== 0x2e) return false;
  let backslashes = 0;
  for (let i = sep - 1; i >= 0 && nameKeyed.charCodeAt(i) === 0x5c; i--) backslashes++;
  return backslashes % 2 === 0;
}

/** Presentation of `name` relative to `origin` ("@" for the origin itself). */
export function relativeName(name: string, origin: string): string {
  const k = nameKey(name);
  const o = nameKey(origin);
  if (k === o) return "@";
  if (origin !== "." && isInZone(k, o)) return name.slice(0, name.length - origin.length - 1);
  return name;
}

/**
 * A presentation name without its trailing dot, as Cloudflare's API shows names
 * ("www.example.com"); the root stays ".". An escaped final dot ("a\.") is part of the
 * label and stays.
 */
export function withoutTrailingDot(name: string): string {
  if (name === "." || !name.endsWith(".")) return name;
  let backslashes = 0;
  for (let i = name.length - 2; i >= 0 && name[i] === "\\"; i--) backslashes++;
  return backslashes % 2 === 0 ? name.slice(0, -1) : name;
}
