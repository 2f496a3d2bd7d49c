/**
 * `--config FILE`: read the transfer configuration once, at start.
 *
 * YAML, or JSON when the name ends in `.json`. Both go through the yaml parser's document
 * model as well, to know the line of every value: a mistake is reported as
 * `dns-primary.yaml:12: peers[1].tsig: no TSIG named "sec2"`. Duplicate keys are errors in both
 * formats (JSON.parse would silently keep the last one).
 */

import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { buildConfig, type ConfigOptions, type LoadedConfig, type Locate } from "./build.js";
import { ConfigError } from "./errors.js";

export { type Account, type ConfigOptions, configFromObject, type LoadedConfig } from "./build.js";
export { ConfigError, type ConfigProblem } from "./errors.js";

/** Read, parse and validate a configuration file. Throws ConfigError. */
export function loadConfig(file: string, opts: ConfigOptions = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [
      { path: "", reason: `cannot read (${code ?? (err as Error).message})` },
    ]);
  }
  return parseConfig(text, file, opts);
}

/** Parse configuration text; `file` names it in errors and chooses JSON by its extension. */
export function parseConfig(text: string, file: string, opts: ConfigOptions = {}): LoadedConfig {
  const json = file.toLowerCase().endsWith(".json");
  let data: unknown;
  if (json) {
    try {
      data = JSON.parse(text);
    } catch (err) {
      const { line, reason } = jsonError(text, (err as Error).message);
      throw new ConfigError(file, [
        line === undefined ? { path: "", reason } : { path: "", line, reason },
      ]);
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        // yaml appends " at line L, column C:" and a source excerpt; keep the reason only.
        const reason = e.message.split(/ at line \d+, column \d+/)[0];
        return e.linePos === undefined
          ? { path: "", reason }
          : { path: "", line: e.linePos[0].line, reason };
      }),
    );
  }
  if (!json) data = doc.toJS({ maxAliasCount: 100 });
  const locate: Locate = (path, atKey) => {
    let node: unknown = doc.contents;
    let line = lineOf(node, lineCounter);
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg),
        );
        if (pair === undefined) break;
        const keyLine = lineOf(pair.key, lineCounter);
        if (atKey && i === path.length - 1) return keyLine ?? line;
        node = pair.value;
        line = lineOf(node, lineCounter) ?? keyLine ?? line;
      } else if (isSeq(node) && typeof seg === "number" && seg < node.items.length) {
        node = node.items[seg];
        line = lineOf(node, lineCounter) ?? line;
      } else break;
    }
    return line;
  };
  return buildConfig(data, file, locate, opts);
}

function lineOf(node: unknown, lc: LineCounter): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range === undefined ? undefined : lc.linePos(range[0]).line;
}

/**
 * V8's JSON.parse messages give a position for most mistakes ("... in JSON at position 7"),
 * and quote the whole input for some ("Unexpected token 'x', "{..." is not valid JSON").
 */
function jsonError(text: string, message: string): { line?: number; reason: string } {
  const m = / in JSON at position (\d+)/.exec(message);
  const reason = message
    .replace(/ in JSON at position \d+.*$/s, "")
    .replace(/, ".*" is not valid JSON$/s, "");
  if (m === null) return { reason: `not valid JSON: ${reason}` };
  const pos = Number(m[1]);
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return { line, reason: `not valid JSON: ${reason}` };
}
