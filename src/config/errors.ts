/**
 * The one error a configuration file ends with.
 *
 * Every problem found is kept; the message shows the first one (the earliest in the file) in
 * the `file:line: path: reason` form that compilers, named-checkzone and editors understand,
 * like ZoneFileError. The line is there when the source was a file that yaml could position;
 * an object passed by an embedder has paths only.
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
  /** Every problem, in file order; the message shows the first. */
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: ConfigProblem[]) {
    const sorted = [...problems].sort(
      (a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER),
    );
    const more = sorted.length > 1 ? ` (and ${sorted.length - 1} more)` : "";
    super(`${formatProblem(file, sorted[0])}${more}`);
    this.file = file;
    this.problems = sorted;
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
 * The candidate a mistyped word most likely meant: the same word in another letter case, or
 * one at most two edits away (and closer than the word is long). Undefined when none is.
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    if (c.toLowerCase() === lower) return c;
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= 2 && bestDistance < word.length ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
