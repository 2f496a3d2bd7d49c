/**
 * Differential test: every query in test/fixtures/diff/queries.txt goes to BIND 9 and to
 * dns-primary, both serving the fixture zones (example. and the nested child.example.), and
 * the answers must agree on rcode, AA, TC, the echoed question (bytes, so qname case too),
 * EDNS presence, and the answer, authority and additional sections compared as sorted
 * records (owners lowercased, names inside rdata decompressed and lowercased).
 *
 * BIND runs with startBind's defaults (test/peers/bind.ts explains each): `minimal-responses
 * no-auth`, because a careful authoritative server (Knot, NSD, Cloudflare, dns-primary) leaves
 * the NS RRset out of positive answers but still adds glue and target addresses; `minimal-any
 * no`, BIND's default, because dns-primary answers ANY in full; `recursion no`.
 * A mismatch fails the query's assertion and prints both answers dig-style with the diff.
 *
 * Rules that hold for every query:
 * - Truncated answers: when both set TC, the sections are not compared record by record
 *   (RFC 2181 §9 lets a server send any whole RRsets that fit, or none; BIND fills what fits,
 *   Knot sends none). What the server under test does include must then be part of BIND's
 *   full answer to the same query over TCP.
 * Deliberate differences are listed in KNOWN, each with its reason and the behaviour asserted
 * for the server under test instead.
 *
 * DIFF_PEERS=bind-knot runs the same list against BIND and Knot: the harness check, and a
 * record of which differences between two careful servers are normal.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import t from "tap";
import { startBind } from "../peers/bind.js";
import { query } from "../peers/client.js";
import {
  compareMessages,
  mismatchReport,
  type Part,
  parseQueryFile,
  type QuerySpec,
  sortedRRs,
} from "../peers/diff.js";
import { startKnot } from "../peers/knot.js";
import { loadStartPrimary, startPrimaryPeer } from "../peers/primary.js";
import { type PeerServer, requireTool } from "../peers/tools.js";
import {
  CLASS,
  type ParsedMessage,
  type ParsedRR,
  rcodeText,
  rrText,
  TYPE,
} from "../peers/wire.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/diff/", import.meta.url));
const ZONES = [
  { origin: "example.", file: `${FIXTURES}example.zone` },
  { origin: "child.example.", file: `${FIXTURES}child.example.zone` },
];
type Mode = "bind-knot" | "bind-primary";
const MODE: Mode = process.env.DIFF_PEERS === "bind-knot" ? "bind-knot" : "bind-primary";

const NOERROR = 0;
const SERVFAIL = 2;
const REFUSED = 5;

interface KnownDifference {
  id: string;
  /** Why the servers differ, and why the behaviour asserted instead is right. */
  reason: string;
  modes: Mode[];
  applies(q: QuerySpec, ref: ParsedMessage): boolean;
  /** Parts not compared with BIND for these queries. */
  skip: Part[];
  /** The expectation for the server under test; returns the problems found. */
  expect(got: ParsedMessage, ref: ParsedMessage, q: QuerySpec): string[];
}

function problem(ok: boolean, text: string): string[] {
  return ok ? [] : [text];
}

/** Records of `sub` that are missing from `all` (compared as text lines). */
function notIn(sub: ParsedRR[], all: ParsedRR[]): string[] {
  const have = new Set(sortedRRs(all));
  return sub.map(rrText).filter((x) => !have.has(x));
}

function subsetOf(section: string, sub: ParsedRR[], all: ParsedRR[]): string[] {
  return notIn(sub, all).map((x) => `${section} has ${x}, which BIND's answer does not`);
}

function isUnder(name: string, zone: string): boolean {
  const n = name.toLowerCase();
  return n === zone || n.endsWith(`.${zone}`);
}

/** The fixture zone that holds a name by longest match, or null. */
function zoneOf(name: string): string | null {
  return (
    ZONES.map((z) => z.origin)
      .sort((a, b) => b.length - a.length)
      .find((z) => isUnder(name, z)) ?? null
  );
}

const KNOWN: KnownDifference[] = [
  {
    id: "any-minimal",
    reason:
      "RFC 8482 §4.1: ANY may be answered with one RRset (Knot answers with the first); BIND " +
      "(minimal-any no) returns every RRset at the name",
    modes: ["bind-knot"],
    applies: (q, ref) => q.qtype === TYPE.ANY && new Set(ref.answer.map((r) => r.type)).size > 1,
    skip: ["answer", "additional"],
    expect: (got, ref) => [
      ...problem(got.answer.length > 0, "ANY answer is empty"),
      ...problem(
        new Set(got.answer.map((r) => r.type)).size === 1,
        "ANY answer holds more than one RRset",
      ),
      ...subsetOf("answer", got.answer, ref.answer),
    ],
  },
  {
    id: "soa-query-negative-ttl",
    reason:
      "BIND gives the SOA in a negative answer to a QTYPE=SOA query TTL 0; Knot and dns-primary " +
      "use the usual negative TTL, as RFC 2308 §3 asks: " +
      "min(SOA TTL, SOA MINIMUM), which is the MINIMUM field in these fixtures",
    modes: ["bind-knot", "bind-primary"],
    applies: (q, ref) =>
      q.qtype === TYPE.SOA && ref.authority.some((r) => r.type === TYPE.SOA && r.ttl === 0),
    skip: ["authority"],
    expect: (got, ref) => {
      const want = ref.authority.map((r) => ({ ...r, ttl: Number(r.rdataText.split(" ").pop()) }));
      return [
        ...subsetOf("authority", got.authority, want).map((x) =>
          x.replace("BIND's answer", "the SOA with TTL MINIMUM"),
        ),
        ...problem(
          got.authority.length === want.length,
          `authority has ${got.authority.length} records`,
        ),
      ];
    },
  },
  {
    id: "naptr-svcb-additional",
    reason:
      'BIND adds the SRV named by an "S" NAPTR and the addresses of SVCB/HTTPS targets to the ' +
      "additional section; Knot does not (RFC 3403 §4.2 and RFC 9460 §4 make it optional)",
    modes: ["bind-knot", "bind-primary"],
    applies: (q) => q.qtype === TYPE.NAPTR || q.qtype === TYPE.SVCB || q.qtype === TYPE.HTTPS,
    skip: ["additional"],
    expect: (got, ref) => subsetOf("additional", got.additional, ref.additional),
  },
  {
    id: "cname-loop",
    reason:
      "BIND answers a CNAME loop inside its zone with SERVFAIL; Knot and dns-primary with NOERROR " +
      "and the records of the loop, each once (RFC 1034 §3.6.2 only asks servers not to loop)",
    modes: ["bind-knot", "bind-primary"],
    applies: (_q, ref) =>
      ref.rcode === SERVFAIL &&
      ref.answer.length > 0 &&
      ref.answer.every((r) => r.type === TYPE.CNAME),
    skip: ["rcode"],
    expect: (got) =>
      problem(got.rcode === NOERROR, `rcode ${rcodeText(got.rcode)}, expected NOERROR`),
  },
  {
    id: "cname-into-delegation",
    reason:
      "a CNAME/DNAME chain whose target falls below the cut to child.example. (a zone the same " +
      "server also serves): Knot adds the parent's referral to authority and additional, BIND " +
      "stops at the CNAME; both are correct (RFC 1034 §4.3.2 step 3b is optional after a CNAME)",
    modes: ["bind-knot"],
    applies: (_q, ref) => {
      const last = ref.answer[ref.answer.length - 1];
      return last?.type === TYPE.CNAME && isUnder(last.rdataText, "child.example.");
    },
    skip: ["authority", "additional"],
    expect: (got) =>
      problem(
        got.authority.every((r) => r.type === TYPE.NS && isUnder(r.name, "child.example.")),
        "authority holds something other than the child's NS RRset",
      ),
  },
  {
    id: "referral-authoritative-addresses",
    reason:
      "a delegation whose name server is an authoritative name of the parent (sub3 NS www): Knot " +
      "and dns-primary add www's A/AAAA to the referral, BIND only adds glue from below the cut",
    modes: ["bind-knot", "bind-primary"],
    applies: (q) => isUnder(q.qname, "sub3.example."),
    skip: ["additional"],
    expect: (got) =>
      problem(
        got.additional.every(
          (r) =>
            (r.type === TYPE.A || r.type === TYPE.AAAA) && r.name.toLowerCase() === "www.example.",
        ),
        "additional holds more than the addresses of www.example.",
      ),
  },
  {
    id: "chaos-identity",
    reason:
      "BIND always serves the built-in CHAOS zones version.bind/hostname.bind/id.server (NODATA " +
      "with `version none`); a server with only IN zones refuses every CH query",
    modes: ["bind-knot", "bind-primary"],
    applies: (q, ref) => q.qclass === CLASS.CH && ref.aa,
    skip: ["rcode", "aa", "answer", "authority", "additional"],
    expect: (got) => [
      ...problem(got.rcode === REFUSED, `rcode ${rcodeText(got.rcode)}, expected REFUSED`),
      ...problem(got.answer.length === 0, "answer is not empty"),
    ],
  },
  {
    id: "qclass-any",
    reason:
      "QCLASS ANY: BIND answers FORMERR, Knot and dns-primary (README) answer from the IN zone " +
      "(RFC 1035 §3.2.5 allows QCLASS *; RFC 6895 §3.3.2 leaves it to the server)",
    modes: ["bind-knot", "bind-primary"],
    applies: (q) => q.qclass === CLASS.ANY,
    skip: ["rcode", "aa", "answer", "authority", "additional"],
    expect: (got) =>
      problem(got.rcode === NOERROR && got.aa, `rcode ${rcodeText(got.rcode)}, aa ${got.aa}`),
  },
  {
    id: "notimp-question",
    reason:
      "NOTIMP for an unknown opcode: BIND sends no question section, Knot and dns-primary echo " +
      "it (RFC 1035 §4.1.1 leaves the sections of an error response open)",
    modes: ["bind-knot", "bind-primary"],
    applies: (q) => q.opcode !== 0,
    skip: ["question"],
    expect: (got, _ref, q) => [
      ...problem(got.opcode === q.opcode, `opcode ${got.opcode} is not the query's ${q.opcode}`),
      ...problem(got.answer.length === 0, "answer is not empty"),
    ],
  },
  {
    id: "cname-across-zones",
    reason:
      'dns-primary follows CNAME/DNAME chains into the other zones it serves (README: "CNAME ' +
      'chains are followed through every zone served"); BIND stops where the chain leaves the ' +
      "zone and leaves the rest to the resolver. Both are allowed by RFC 1034 §4.3.2",
    modes: ["bind-primary"],
    applies: (_q, ref) => {
      const last = ref.answer[ref.answer.length - 1];
      if (ref.rcode !== NOERROR || last?.type !== TYPE.CNAME) return false;
      const target = zoneOf(last.rdataText);
      return target !== null && target !== zoneOf(last.name);
    },
    skip: ["answer", "authority", "additional"],
    expect: (got, ref) => {
      const target = ref.answer[ref.answer.length - 1].rdataText;
      return [
        ...notIn(ref.answer, got.answer).map((x) => `answer lacks BIND's ${x}`),
        ...problem(
          got.answer.some((r) => r.name.toLowerCase() === target),
          `the chain is not followed to ${target}`,
        ),
      ];
    },
  },
];

t.test(`differential: ${MODE}`, async (t) => {
  if (!requireTool(t, "named")) return;
  if (MODE === "bind-knot" && !requireTool(t, "knotd")) return;
  let startOther: () => Promise<PeerServer>;
  if (MODE === "bind-knot") {
    startOther = () => startKnot({ zones: ZONES });
  } else {
    const { start, reason } = await loadStartPrimary();
    if (!start) {
      t.pass(reason, { skip: reason });
      return;
    }
    startOther = () => startPrimaryPeer(start, FIXTURES);
  }
  const bind = await startBind({ zones: ZONES });
  t.teardown(() => bind.stop());
  const other = await startOther();
  t.teardown(() => other.stop());

  const queries = parseQueryFile(readFileSync(`${FIXTURES}queries.txt`, "utf8"));
  t.ok(queries.length >= 150, `${queries.length} queries`);
  const known = KNOWN.filter((k) => k.modes.includes(MODE));
  const applied = new Map<string, number>();
  let failed = 0;
  for (const q of queries) {
    const opts = {
      tcp: q.tcp,
      edns: q.edns,
      rd: q.rd,
      qclass: q.qclass,
      dnssecOk: q.dnssecOk,
      ednsVersion: q.ednsVersion,
      opcode: q.opcode,
      timeoutMs: 3000,
    };
    const [ref, got] = await Promise.all([
      query(bind, q.qname, q.qtype, opts).then((r) => r.parsed),
      query(other, q.qname, q.qtype, opts).then((r) => r.parsed),
    ]);
    const skip: Part[] = [];
    const extra: string[] = [];
    if (ref.tc && got.tc) {
      skip.push("answer", "authority", "additional");
      const full = (await query(bind, q.qname, q.qtype, { ...opts, tcp: true })).parsed;
      for (const s of ["answer", "authority", "additional"] as const) {
        extra.push(
          ...notIn(got[s], full[s]).map(
            (x) => `[truncated] ${s} has ${x}, not in BIND's TCP answer`,
          ),
        );
      }
    }
    for (const k of known.filter((k) => k.applies(q, ref))) {
      applied.set(k.id, (applied.get(k.id) ?? 0) + 1);
      skip.push(...k.skip);
      extra.push(...k.expect(got, ref, q).map((p) => `[${k.id}] ${p}`));
    }
    const diffs = [...compareMessages(q, bind.name, ref, other.name, got, { skip }), ...extra];
    if (diffs.length > 0) {
      failed++;
      const report = mismatchReport(q, bind.name, ref, other.name, got, diffs);
      t.fail(`${q.label}: ${diffs[0]}${diffs.length > 1 ? ` (+${diffs.length - 1} more)` : ""}`);
      t.comment(report);
    } else {
      t.pass(q.label);
    }
  }
  for (const k of known) {
    t.comment(`known difference ${k.id}: applied to ${applied.get(k.id) ?? 0} queries`);
  }
  if (failed > 0) t.comment(`${failed} of ${queries.length} queries differ`);
});
