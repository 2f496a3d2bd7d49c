/**
 * Test helper: split one line of RDATA presentation into Tokens the way a master-file lexer
 * hands them over (whitespace-separated, "quoted" fields marked and unquoted, backslash
 * escapes kept as written). A quote in the middle of a field (alpn="h2") stays part of it.
 */
import { RdataError } from "../../src/wire/rdata.js";
import type { Token } from "../../src/wire/token.js";

export function fields(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i];
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === '"') {
      let text = "";
      i++;
      while (i < n && line[i] !== '"') {
        if (line[i] === "\\") text += line[i++];
        text += line[i++];
      }
      if (i >= n) throw new Error(`unbalanced quotes in ${line}`);
      i++;
      out.push({ text, quoted: true });
      continue;
    }
    let text = "";
    let inQuote = false;
    while (i < n && (inQuote || (line[i] !== " " && line[i] !== "\t"))) {
      if (line[i] === "\\") text += line[i++];
      else if (line[i] === '"') inQuote = !inQuote;
      text += line[i++];
    }
    out.push({ text, quoted: false });
  }
  return out;
}

/** The message of the RdataError that `fn` throws, or "(no error)". */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof RdataError) return e.message;
    throw e;
  }
  return "(no error)";
}
