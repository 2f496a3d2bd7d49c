/**
 * Master-file lexer (RFC 1035 §5.1).
 *
 * A single forward pass over the file's text that groups characters into *entries*: the
 * fields of one logical line, where parentheses let an entry span several physical lines.
 * The lexer does not copy anything while scanning: an entry is held as start/end offsets into
 * the source string in arrays that are reused from entry to entry, and a field becomes a
 * string only when the parser asks for it. At a million records this is what keeps the parse
 * fast and its garbage small (no per-line split, no regular expressions, no array of lines).
 *
 * What the lexer decides, following RFC 1035 §5.1 and BIND's lexer where the RFC is silent:
 * - fields are separated by spaces, tabs and CR (so CRLF files work); a newline ends the entry
 *   unless a parenthesis is open;
 * - `;` starts a comment that runs to the end of the line, anywhere outside quotes;
 * - `(` and `)` group lines; they may nest, as in BIND;
 * - `"` starts a quoted field wherever it appears (BIND: `a"b"` is the two fields `a` and `b`);
 *   a quoted field must close on its line;
 * - a backslash escapes the next character, so `\;`, `\(`, `\"` and `\ ` are ordinary field
 *   characters. Escapes are *not* decoded: a field's text is exactly what was written between
 *   its delimiters (see `Token`), because only the RDATA parser of each type knows how to
 *   decode them;
 * - an entry whose line starts with a space or tab has `initialWs` set: its owner is omitted
 *   and the previous owner applies (RFC 1035 §5.1).
 */

import type { Token } from "../wire/token.js";
import { ZoneFileError } from "./errors.js";

const NORMAL = 0;
const SPACE = 1;
const NEWLINE = 2;
const SPECIAL = 3;
const ESCAPE = 4;

const LF = 0x0a;
const QUOTE = 0x22;
const LPAREN = 0x28;
const RPAREN = 0x29;
const SEMI = 0x3b;
const BACKSLASH = 0x5c;

/**
 * Character classes, indexed by UTF-16 code unit (a 64 KiB table saves a range check per
 * character in the hot loop); everything not listed is an ordinary field character.
 */
const CLASS = new Uint8Array(0x10000);
CLASS[0x20] = SPACE;
CLASS[0x09] = SPACE;
CLASS[0x0d] = SPACE;
CLASS[LF] = NEWLINE;
CLASS[QUOTE] = SPECIAL;
CLASS[LPAREN] = SPECIAL;
CLASS[RPAREN] = SPECIAL;
CLASS[SEMI] = SPECIAL;
CLASS[BACKSLASH] = ESCAPE;

export class Lexer {
  readonly src: string;
  readonly file: string;
  private pos = 0;
  private lineNo: number;

  /** Number of fields in the current entry. */
  count = 0;
  /** Offset in `src` of the first character of each field (after the quote if quoted). */
  readonly starts: number[] = [];
  /** Offset in `src` just past each field (before the closing quote if quoted). */
  readonly ends: number[] = [];
  /** Whether each field was written in double quotes. */
  readonly quoted: boolean[] = [];
  /** Line of the current entry's first field. */
  line = 0;
  /** The current entry's line starts with a space or tab: its owner name is omitted. */
  initialWs = false;
  private commentStart = -1;
  private commentEnd = -1;

  /** `firstLine` lets text that came from another place (a $GENERATE rdata) keep its line. */
  constructor(src: string, file: string, firstLine = 1) {
    this.src = src;
    this.file = file;
    this.lineNo = firstLine;
    // A UTF-8 byte order mark, as some editors write, is not part of the first field.
    if (src.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  /**
   * Advance to the next entry that has at least one field (blank and comment-only lines are
   * skipped). Returns false at the end of the text. Throws ZoneFileError for unbalanced
   * parentheses and unclosed quotes.
   */
  next(): boolean {
    const src = this.src;
    const len = src.length;
    const starts = this.starts;
    const ends = this.ends;
    const quoted = this.quoted;
    let pos = this.pos;
    let line = this.lineNo;
    let n = 0;
    this.count = 0;
    while (pos < len && n === 0) {
      // `pos` is at the start of a physical line here.
      const c0 = src.charCodeAt(pos);
      this.initialWs = c0 === 0x20 || c0 === 0x09;
      this.commentStart = -1;
      let depth = 0;
      let openLine = 0;
      for (;;) {
        if (pos >= len) {
          if (depth > 0) {
            // Report at the last line of the file, naming the line that opened the group.
            const last = len > 0 && src.charCodeAt(len - 1) === LF ? line - 1 : line;
            throw new ZoneFileError(
              this.file,
              last,
              `unbalanced parenthesis opened at line ${openLine}`,
            );
          }
          break;
        }
        const c = src.charCodeAt(pos);
        const k = CLASS[c];
        if (k === SPACE) {
          pos++;
          continue;
        }
        if (k === NEWLINE) {
          pos++;
          line++;
          if (depth === 0) break;
          continue;
        }
        if (k === NORMAL || k === ESCAPE) {
          // An unquoted field: runs to the next delimiter; a backslash takes the next
          // character with it whatever it is.
          const start = pos;
          while (pos < len) {
            const dk = CLASS[src.charCodeAt(pos)];
            if (dk === NORMAL) {
              pos++;
            } else if (dk === ESCAPE) {
              if (src.charCodeAt(pos + 1) === LF) line++;
              pos += 2;
            } else {
              break;
            }
          }
          if (pos > len) pos = len;
          if (n === 0) this.line = line;
          starts[n] = start;
          ends[n] = pos;
          quoted[n] = false;
          n++;
          continue;
        }
        if (c === SEMI) {
          // RFC 1035 §5.1: a comment runs to the end of the line. Only one that ends the entry
          // (not one inside parentheses) is kept: it is the record's trailing comment.
          let end = src.indexOf("\n", pos);
          if (end < 0) end = len;
          if (depth === 0) {
            this.commentStart = pos + 1;
            this.commentEnd = end;
          }
          pos = end;
          continue;
        }
        if (c === LPAREN) {
          if (depth === 0) openLine = line;
          depth++;
          pos++;
          continue;
        }
        if (c === RPAREN) {
          if (depth === 0) {
            throw new ZoneFileError(this.file, line, `unbalanced parenthesis: ")" without "("`);
          }
          depth--;
          pos++;
          continue;
        }
        // c === QUOTE: a quoted field; it must close before the end of its line.
        const qLine = line;
        let p = pos + 1;
        for (;;) {
          if (p >= len) throw new ZoneFileError(this.file, qLine, "missing closing quote");
          const d = src.charCodeAt(p);
          if (d === QUOTE) break;
          if (d === BACKSLASH) {
            if (src.charCodeAt(p + 1) === LF) line++;
            p += 2;
            continue;
          }
          if (d === LF) throw new ZoneFileError(this.file, qLine, "missing closing quote");
          p++;
        }
        if (n === 0) this.line = qLine;
        starts[n] = pos + 1;
        ends[n] = p;
        quoted[n] = true;
        n++;
        pos = p + 1;
      }
    }
    this.pos = pos;
    this.lineNo = line;
    this.count = n;
    return n > 0;
  }

  /** Text of field `i`, escapes as written, quotes removed. */
  text(i: number): string {
    return this.src.slice(this.starts[i], this.ends[i]);
  }

  /** Length of field `i`. */
  length(i: number): number {
    return this.ends[i] - this.starts[i];
  }

  /** Char code of the first character of field `i`, or -1 when the field is empty (`""`). */
  firstCode(i: number): number {
    return this.ends[i] > this.starts[i] ? this.src.charCodeAt(this.starts[i]) : -1;
  }

  /** ASCII case-insensitive comparison of unquoted field `i` with `upper` (upper case). */
  is(i: number, upper: string): boolean {
    const s = this.starts[i];
    if (this.quoted[i] || this.ends[i] - s !== upper.length) return false;
    for (let j = 0; j < upper.length; j++) {
      let c = this.src.charCodeAt(s + j);
      if (c >= 0x61 && c <= 0x7a) c -= 0x20;
      if (c !== upper.charCodeAt(j)) return false;
    }
    return true;
  }

  /** Field `i` as a Token. */
  token(i: number): Token {
    return { text: this.src.slice(this.starts[i], this.ends[i]), quoted: this.quoted[i] };
  }

  /** Fields `from`..end as Tokens (what the RDATA parsers take). */
  tokens(from: number): Token[] {
    const n = this.count - from;
    // Literals for the common short cases allocate exactly what they need.
    if (n === 1) return [this.token(from)];
    if (n === 2) return [this.token(from), this.token(from + 1)];
    const out: Token[] = [];
    for (let i = from; i < this.count; i++) out.push(this.token(i));
    return out;
  }

  /** The comment that ended the current entry, trimmed, without `;`; undefined if none. */
  comment(): string | undefined {
    if (this.commentStart < 0) return undefined;
    const text = this.src.slice(this.commentStart, this.commentEnd).trim();
    return text === "" ? undefined : detach(text);
  }
}

/**
 * A copy of `s` that does not keep a larger string alive. V8 represents a slice of 13 or more
 * characters as a view into its parent, so one kept comment or name would otherwise pin the
 * whole zone file in memory. Concatenating and reading a character makes V8 flatten the
 * result into a string of its own. (An implementation detail of V8 that only affects memory;
 * the value is the same either way.)
 */
export function detach(s: string): string {
  if (s.length < 13) return s;
  const copy = s.slice(0, 1) + s.slice(1);
  copy.charCodeAt(0);
  return copy;
}
