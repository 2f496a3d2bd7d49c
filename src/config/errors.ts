/**
 * The one error a configuration file ends with.
 *
 * Every problem found is kept and shown, one per line, in the `file:line: path: reason` form
 * that compilers, named-checkzone and editors understand, like ZoneFileError: showing only
 * the first would hide the real mistake behind its consequence (`algorithm:` misspelt is
 * both an unknown field and a missing `algo`). The line is there when the source was a file
 * that yaml could position; an object passed by an embedder has paths only.
 */

export interface ConfigProblem {
  /** Where in the configuration, as written: `peers[1].tsig`, `zones["example.com"]`. */
  path: string;
  /** 1-based line in the file, when known. */
  line?: number;
  reason: string;
  /** The SettingsError code (cloudflare-style) when the transfer settings refused a value. */
  code?: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
  /** The file name, or the source name given to configFromObject. */
  readonly file: string;
  /** Every problem, in the order given (file order: see build.ts); the message shows them all. */
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: ConfigProblem[]) {
    super(problems.map((p) => formatProblem(file, p)).join("\n"));
    this.file = file;
    this.problems = [...problems];
  }

  /** One line per problem, for a person fixing the file. */
  lines(): string[] {
    return this.problems.map((p) => formatProblem(this.file, p));
  }
}

export function formatProblem(file: string, p: ConfigProblem): string {
  const at = p.line === undefined ? file : `${file}:${p.line}`;
  return p.path === "" ? `${at}: ${p.reason}` : `${at}: ${p.path}: ${p.reason}`;
}

/** `["zones", "example.com", "outgoing", "peers", 3]` → `zones["example.com"].outgoing.peers[3]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * The candidate a mistyped word most likely meant, in this order: the same word in another
 * letter case; the closest one at most two edits away (and closer than the word is long;
 * two swapped letters are one edit, `exmaple.com` → `example.com`); a candidate the word
 * begins with, or that begins with the word, of three letters or more (`algorithm` →
 * `algo`, the name BIND and Knot give the field Cloudflare calls `algo`). Undefined when
 * none is.
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  let prefix: string | undefined;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const other = c.toLowerCase();
    if (other === lower) return c;
    const d = editDistance(lower, other);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
    const [short, long] = other.length < lower.length ? [other, lower] : [lower, other];
    if (prefix === undefined && short.length >= 3 && long.startsWith(short)) prefix = c;
  }
  return bestDistance <= 2 && bestDistance < word.length ? best : prefix;
}

/**
 * Edits (insertions, deletions, substitutions, swaps of two neighbours) from `a` to `b`: the
 * optimal string alignment distance, Levenshtein's with Damerau's transposition.
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        cur[j] = Math.min(cur[j], before[j - 2] + 1);
    }
    before = prev;
    prev = cur;
  }
  return prev[b.length];
}
