/**
 * BIND's `$GENERATE` directive (a BIND extension, not part of RFC 1035):
 *
 *   $GENERATE start-stop[/step] owner [ttl] [class] type rdata
 *
 * This module owns the two pieces of text processing it needs: the range, and the owner and
 * rdata templates in which `$` stands for the iterator. The master-file parser does the rest
 * (TTL/class/type fields, names, RDATA) exactly as for an ordinary record.
 *
 * Template rules, as documented in the BIND 9 ARM and as BIND 9.18 behaves:
 * - `$` is replaced by the iterator value; `$$` is a literal `$` (kept for compatibility);
 * - a backslash and the character after it are copied unchanged (so `\$` reaches the name or
 *   RDATA parser as the escape `\$`, i.e. a literal dollar sign);
 * - `${offset}`, `${offset,width}` and `${offset,width,base}` add `offset` to the iterator and
 *   print it zero-padded to `width` in base `d` (decimal), `o` (octal), `x`/`X` (hex, lower or
 *   upper case) or `n`/`N` ("nibble" mode: hex digits, least significant first, separated by
 *   dots, as in ip6.arpa names; there `width` counts the dots too, and an even width ends the
 *   output with a dot, exactly like BIND).
 * - start, stop and step are integers from 0 to 2^31-1, start ≤ stop, step ≥ 1.
 */

export class GenerateError extends Error {
  override name = "GenerateError";
}

export const GENERATE_MAX = 0x7fffffff;

export interface GenerateRange {
  start: number;
  stop: number;
  step: number;
}

/** Number of values a range produces. */
export function rangeCount(r: GenerateRange): number {
  return Math.floor((r.stop - r.start) / r.step) + 1;
}

function rangeNumber(text: string, what: string, whole: string): number {
  if (text.length === 0 || text.length > 10) {
    throw new GenerateError(`$GENERATE range "${whole}" is not valid: bad ${what}`);
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) {
      throw new GenerateError(`$GENERATE range "${whole}" is not valid: bad ${what}`);
    }
  }
  const v = Number(text);
  if (v > GENERATE_MAX) {
    throw new GenerateError(`$GENERATE range "${whole}": ${what} is above ${GENERATE_MAX}`);
  }
  return v;
}

/** Parse `start-stop` or `start-stop/step`. */
export function parseGenerateRange(text: string): GenerateRange {
  const dash = text.indexOf("-");
  if (dash < 0) {
    throw new GenerateError(`$GENERATE range "${text}" is not valid: expected start-stop[/step]`);
  }
  const slash = text.indexOf("/", dash);
  const start = rangeNumber(text.slice(0, dash), "start", text);
  const stop = rangeNumber(text.slice(dash + 1, slash < 0 ? text.length : slash), "stop", text);
  const step = slash < 0 ? 1 : rangeNumber(text.slice(slash + 1), "step", text);
  if (stop < start) {
    throw new GenerateError(`$GENERATE range "${text}" is not valid: stop is below start`);
  }
  if (step < 1) throw new GenerateError(`$GENERATE range "${text}" is not valid: step is 0`);
  return { start, stop, step };
}

interface Modifier {
  offset: number;
  width: number;
  base: string;
}

type Part = string | Modifier;

/** BIND formats each substituted value in a 128-byte buffer; longer output is an error. */
const MAX_VALUE_TEXT = 127;

function parseModifier(body: string, template: string): Modifier {
  // body is what is between "${" and "}": offset[,width[,base]]
  const bad = () => new GenerateError(`bad $GENERATE modifier "\${${body}}" in "${template}"`);
  const parts = body.split(",");
  if (parts.length > 3) throw bad();
  const off = parts[0];
  let i = off.charCodeAt(0) === 0x2d || off.charCodeAt(0) === 0x2b ? 1 : 0;
  if (i === off.length) throw bad();
  for (; i < off.length; i++) {
    const c = off.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw bad();
  }
  const offset = Number(off);
  if (!Number.isSafeInteger(offset) || Math.abs(offset) > GENERATE_MAX) throw bad();
  let width = 0;
  if (parts.length > 1) {
    const w = parts[1];
    if (w.length === 0 || w.length > 4) throw bad();
    for (let j = 0; j < w.length; j++) {
      const c = w.charCodeAt(j);
      if (c < 0x30 || c > 0x39) throw bad();
    }
    width = Number(w);
    if (width > MAX_VALUE_TEXT) {
      throw new GenerateError(`$GENERATE modifier "\${${body}}": width above ${MAX_VALUE_TEXT}`);
    }
  }
  let base = "d";
  if (parts.length > 2) {
    base = parts[2];
    if (base.length !== 1 || "doxXnN".indexOf(base) < 0) throw bad();
  }
  return { offset, width, base };
}

/**
 * A `$GENERATE` owner or rdata template, split once into literal text and substitutions so
 * that expanding it for each value does no parsing.
 */
export class GenerateTemplate {
  readonly parts: readonly Part[];

  constructor(readonly text: string) {
    const parts: Part[] = [];
    let lit = "";
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x5c) {
        // "\X": both characters are copied; the name or RDATA parser decodes the escape.
        lit += text.slice(i, i + 2);
        i++;
      } else if (c === 0x24) {
        if (text.charCodeAt(i + 1) === 0x24) {
          lit += "$";
          i++;
          continue;
        }
        if (lit !== "") parts.push(lit);
        lit = "";
        if (text.charCodeAt(i + 1) === 0x7b) {
          const close = text.indexOf("}", i + 2);
          if (close < 0) {
            throw new GenerateError(`unclosed $GENERATE modifier "${text.slice(i)}"`);
          }
          parts.push(parseModifier(text.slice(i + 2, close), text));
          i = close;
        } else {
          parts.push({ offset: 0, width: 0, base: "d" });
        }
      } else {
        lit += text[i];
      }
    }
    if (lit !== "" || parts.length === 0) parts.push(lit);
    this.parts = parts;
  }

  /** True when the template contains no substitution (every value gives the same text). */
  get constant(): boolean {
    return this.parts.length === 1 && typeof this.parts[0] === "string";
  }

  /** The template with `$` replaced by `value`. */
  render(value: number): string {
    const parts = this.parts;
    let out = "";
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      out += typeof p === "string" ? p : formatValue(value, p);
    }
    return out;
  }
}

function formatValue(it: number, m: Modifier): string {
  const v = it + m.offset;
  if (v > GENERATE_MAX || v < -GENERATE_MAX - 1) {
    throw new GenerateError(`$GENERATE value ${it} with offset ${m.offset} is out of range`);
  }
  let s: string;
  switch (m.base) {
    case "d":
      s = v < 0 ? `-${String(-v).padStart(m.width - 1, "0")}` : String(v).padStart(m.width, "0");
      break;
    case "o":
      // printf("%o") of a negative int prints its unsigned 32-bit value; so does BIND.
      s = (v >>> 0).toString(8).padStart(m.width, "0");
      break;
    case "x":
      s = (v >>> 0).toString(16).padStart(m.width, "0");
      break;
    case "X":
      s = (v >>> 0).toString(16).toUpperCase().padStart(m.width, "0");
      break;
    default:
      s = nibbles(v, m.width, m.base === "N");
  }
  if (s.length > MAX_VALUE_TEXT) {
    throw new GenerateError(`$GENERATE value ${v} does not fit in ${MAX_VALUE_TEXT} characters`);
  }
  return s;
}

const HEX = "0123456789abcdef";

/**
 * Nibble mode: hex digits from the least significant, each followed by a dot while digits
 * remain or the width (which counts digits and dots) is not used up. For 0x1234 and width 0:
 * "4.3.2.1"; width 8 gives "4.3.2.1." and width 9 "4.3.2.1.0".
 */
function nibbles(value: number, width: number, upper: boolean): string {
  if (value < 0) {
    throw new GenerateError(`$GENERATE nibble modifier needs a value of 0 or more, not ${value}`);
  }
  let out = "";
  let w = width;
  do {
    const d = HEX[value & 0xf];
    out += upper ? d.toUpperCase() : d;
    value = Math.floor(value / 16);
    if (w > 0) w--;
    if (w > 0 || value !== 0) {
      out += ".";
      if (w > 0) w--;
    }
  } while (value !== 0 || w > 0);
  return out;
}
