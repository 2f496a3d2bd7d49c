/**
 * Run the real `dig` (BIND) and `kdig` (Knot) and parse their text output into a small,
 * comparable form: status, header flags, EDNS, and the records of each section.
 */
import { execFile } from "node:child_process";
import { findTool } from "./tools.js";

export interface DigRecord {
  name: string;
  ttl: number;
  class: string;
  type: string;
  data: string;
}

export interface DigResult {
  stdout: string;
  status: string;
  flags: string[];
  /** The advertised UDP size when the answer carried an OPT record, else null. */
  ednsUdp: number | null;
  answer: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
  /** "UDP" or "TCP", as reported by the tool for the final answer. */
  transport: string | null;
}

function run(tool: string, args: string[], timeoutMs: number): Promise<string> {
  const bin = findTool(tool);
  if (!bin) return Promise.reject(new Error(`${tool} not installed`));
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      // dig exits 9 on "no servers could be reached"; keep the output for the message.
      if (err) reject(new Error(`${tool} ${args.join(" ")}: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Run dig with these arguments and return its stdout. */
export function dig(args: string[], timeoutMs = 10000): Promise<string> {
  return run("dig", args, timeoutMs);
}

/** Run kdig with these arguments and return its stdout. */
export function kdig(args: string[], timeoutMs = 10000): Promise<string> {
  return run("kdig", args, timeoutMs);
}

function parseRecord(line: string): DigRecord {
  const [name, ttl, klass, type, ...data] = line.trim().split(/\s+/);
  return { name, ttl: Number(ttl), class: klass, type, data: data.join(" ") };
}

/**
 * Parse dig or kdig output (the formats differ in punctuation: `status: X,` vs `status: X;`,
 * `flags:` vs `Flags:`, `; EDNS: ... udp: N` vs `;; Version: 0; ... UDP size: N B`). When the
 * tool retried over TCP, the last answer printed is the one returned.
 */
export function parseDigOutput(stdout: string): DigResult {
  const headers = [...stdout.matchAll(/->>HEADER<<- opcode: \w+[,;] status: (\w+)/g)];
  if (headers.length === 0) throw new Error(`no answer in output:\n${stdout}`);
  // Only look at the last message in the output.
  const text = stdout.slice(headers[headers.length - 1].index);
  const flags = /;; [Ff]lags: ([^;]*);/.exec(text)?.[1].trim().split(/\s+/).filter(Boolean) ?? [];
  const udp =
    /; EDNS: version: \d+, flags:[^;]*; udp: (\d+)/.exec(text) ?? /UDP size: (\d+) B/.exec(text);
  const sections: Record<string, DigRecord[]> = { ANSWER: [], AUTHORITY: [], ADDITIONAL: [] };
  let current: DigRecord[] | null = null;
  for (const line of text.split("\n")) {
    const m = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (m) {
      current = sections[m[1]];
      continue;
    }
    if (line.trim() === "" || line.startsWith(";")) {
      if (line.trim() === "") current = null;
      continue;
    }
    current?.push(parseRecord(line));
  }
  const transport = /\((UDP|TCP)\)/.exec(text)?.[1] ?? null;
  return {
    stdout,
    status: headers[headers.length - 1][1],
    flags,
    ednsUdp: udp ? Number(udp[1]) : null,
    answer: sections.ANSWER,
    authority: sections.AUTHORITY,
    additional: sections.ADDITIONAL,
    transport,
  };
}

/**
 * A zone's records as an AXFR by kdig returns them (over TCP, signed with `key` when given):
 * one line per record, owner lowercased, fields single-spaced, sorted; TSIG records and the
 * closing SOA left out. Two servers hold the same zone when their lines are equal.
 */
export async function kdigAxfr(
  server: { host: string; port: number },
  origin: string,
  key?: { name: string; algorithm: string; secret: string },
): Promise<string[]> {
  const sign = key ? ["-y", `${key.algorithm}:${key.name}:${key.secret}`] : [];
  const out = await kdig([
    ...sign,
    `@${server.host}`,
    "-p",
    String(server.port),
    "+tcp",
    "AXFR",
    origin,
  ]);
  const records = out
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith(";"))
    .map((l) => {
      const [name, ttl, klass, type, ...data] = l.trim().split(/\s+/);
      return { type, line: `${name.toLowerCase()} ${ttl} ${klass} ${type} ${data.join(" ")}` };
    })
    .filter((r) => r.type !== "TSIG")
    .map((r) => r.line);
  return records.slice(0, -1).sort();
}
