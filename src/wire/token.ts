/**
 * One field of a master-file entry as the lexer (zone/lexer.ts) hands it to the RDATA parsers.
 *
 * `text` keeps backslash escapes exactly as written (`\.`, `\"`, `\065`): only the RDATA
 * parser of each type knows whether an escape belongs to a name, a character-string or
 * something else. `quoted` is true when the field was written inside double quotes (the
 * quotes themselves are removed), which matters for character-strings (RFC 1035 §5.1).
 */
export interface Token {
  text: string;
  quoted: boolean;
}

/** Tokens for tests and for callers that have plain strings. */
export function tokens(...fields: string[]): Token[] {
  return fields.map((text) => ({ text, quoted: false }));
}
