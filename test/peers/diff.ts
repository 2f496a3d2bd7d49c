/**
 * Differential testing support: the query-list format and the comparison of two servers'
 * answers to the same query.
 */
import {
  classNumber,
  messageText,
  type ParsedMessage,
  type ParsedRR,
  rcodeText,
  rrText,
  typeNumber,
} from "./wire.js";

export interface QuerySpec {
  qname: string;
  qtype: number;
  qtypeText: string;
  qclass: number;
  qclassText: string;
  tcp: boolean;
  /** EDNS UDP size, or null for no OPT. */
  edns: number | null;
  rd: boolean;
  /** DO bit, EDNS version and opcode (defaults false, 0, QUERY). */
  dnssecOk: boolean;
  ednsVersion: number;
  opcode: number;
  /** Line in the query file, for messages. */
  line: number;
  /** Short human label: `www.example. A IN udp edns=1232`. */
  label: string;
}

const DEFAULTS: Record<string, string> = {
  class: "IN",
  proto: "udp",
  edns: "1232",
  rd: "0",
  do: "0",
  ednsver: "0",
  opcode: "0",
};
/** Options whose comma lists expand into one query per value. */
const EXPANDING = ["class", "proto", "edns", "rd"] as const;

/** Parse the query list (see test/fixtures/diff/queries.txt for the format). */
export function parseQueryFile(text: string): QuerySpec[] {
  const out: QuerySpec[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) return;
    const [qname, qtypeText, ...opts] = line.split(/\s+/);
    if (!qtypeText) throw new Error(`line ${i + 1}: expected "QNAME QTYPE [options]"`);
    const choices: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(DEFAULTS)) choices[k] = [v];
    for (const opt of opts) {
      const m = /^([a-z]+)=(.+)$/.exec(opt);
      if (!m || !(m[1] in DEFAULTS)) throw new Error(`line ${i + 1}: unknown option ${opt}`);
      choices[m[1]] = m[2].split(",");
    }
    // Cartesian product of the expanding options.
    let combos: Record<string, string>[] = [{}];
    for (const k of EXPANDING)
      combos = combos.flatMap((c) => choices[k].map((v) => ({ ...c, [k]: v })));
    for (const c of combos) {
      if (c.proto !== "udp" && c.proto !== "tcp")
        throw new Error(`line ${i + 1}: proto ${c.proto}`);
      const [dnssecOk, ednsVersion, opcode] = [
        choices.do[0],
        choices.ednsver[0],
        choices.opcode[0],
      ];
      const label = [
        `${qname} ${qtypeText.toUpperCase()} ${c.class.toUpperCase()} ${c.proto} edns=${c.edns}`,
        c.rd === "1" ? "rd" : "",
        dnssecOk === "1" ? "do" : "",
        ednsVersion !== "0" ? `ednsver=${ednsVersion}` : "",
        opcode !== "0" ? `opcode=${opcode}` : "",
      ];
      out.push({
        qname,
        qtype: typeNumber(qtypeText),
        qtypeText: qtypeText.toUpperCase(),
        qclass: classNumber(c.class),
        qclassText: c.class.toUpperCase(),
        tcp: c.proto === "tcp",
        edns: c.edns === "none" ? null : Number(c.edns),
        rd: c.rd === "1",
        dnssecOk: dnssecOk === "1",
        ednsVersion: Number(ednsVersion),
        opcode: Number(opcode),
        line: i + 1,
        label: label.filter(Boolean).join(" "),
      });
    }
  });
  return out;
}

export type Section = "answer" | "authority" | "additional";

/** What can be left out of a comparison: a section, or a header field. */
export type Part = Section | "rcode" | "aa" | "tc" | "question";

export interface CompareOptions {
  /** Parts not to compare for this query (documented differences). */
  skip?: Part[];
}

export function sortedRRs(rrs: ParsedRR[]): string[] {
  return rrs.map(rrText).sort();
}

/** Lines present in `a` but not in `b`, and the reverse. */
function setDiff(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const count = new Map<string, number>();
  for (const x of b) count.set(x, (count.get(x) ?? 0) + 1);
  const onlyA: string[] = [];
  for (const x of a) {
    const c = count.get(x) ?? 0;
    if (c > 0) count.set(x, c - 1);
    else onlyA.push(x);
  }
  const onlyB: string[] = [];
  for (const [x, c] of count) for (let i = 0; i < c; i++) onlyB.push(x);
  return { onlyA, onlyB };
}

/**
 * Differences between the reference answer `ref` and the answer under test `got`, as
 * human-readable lines; empty when they agree on rcode, AA, TC, question echo, EDNS presence
 * and the compared sections (as sorted RRsets with lowercased owners).
 */
export function compareMessages(
  q: QuerySpec,
  refName: string,
  ref: ParsedMessage,
  gotName: string,
  got: ParsedMessage,
  opts: CompareOptions = {},
): string[] {
  const d: string[] = [];
  const skip = new Set(opts.skip ?? []);
  if (!skip.has("rcode") && ref.rcode !== got.rcode)
    d.push(`rcode: ${refName} ${rcodeText(ref.rcode)}, ${gotName} ${rcodeText(got.rcode)}`);
  if (!skip.has("aa") && ref.aa !== got.aa)
    d.push(`AA: ${refName} ${ref.aa}, ${gotName} ${got.aa}`);
  if (!skip.has("tc") && ref.tc !== got.tc)
    d.push(`TC: ${refName} ${ref.tc}, ${gotName} ${got.tc}`);
  if (!skip.has("question") && !ref.questionRaw.equals(got.questionRaw)) {
    d.push(
      `question: ${refName} ${JSON.stringify(ref.question)}, ${gotName} ${JSON.stringify(got.question)} (bytes differ)`,
    );
  }
  if ((ref.opt === null) !== (got.opt === null)) {
    d.push(
      `EDNS: ${refName} ${ref.opt ? "OPT" : "no OPT"}, ${gotName} ${got.opt ? "OPT" : "no OPT"}`,
    );
  }
  if (q.edns === null && got.opt) d.push(`EDNS: ${gotName} sent an OPT to a query without one`);
  for (const s of ["answer", "authority", "additional"] as const) {
    if (skip.has(s)) continue;
    const { onlyA, onlyB } = setDiff(sortedRRs(ref[s]), sortedRRs(got[s]));
    for (const x of onlyA) d.push(`${s}: only ${refName}: ${x}`);
    for (const x of onlyB) d.push(`${s}: only ${gotName}: ${x}`);
  }
  return d;
}

export function mismatchReport(
  q: QuerySpec,
  refName: string,
  ref: ParsedMessage,
  gotName: string,
  got: ParsedMessage,
  diffs: string[],
): string {
  return [
    `query (line ${q.line}): ${q.label}`,
    ...diffs.map((x) => `  - ${x}`),
    `--- ${refName}:`,
    messageText(ref),
    `--- ${gotName}:`,
    messageText(got),
  ].join("\n");
}
