/**
 * The kinds of fault a zone can be given, with their parameters and defaults: the one table
 * every face reads (the REST routes, the library, `--fault`, the config file, the dashboard)
 * and every point of the server applies. Names and defaults are a published interface:
 * scripts rely on them, so a kind or parameter is added, never renamed.
 *
 * Each kind acts at one or more points: `transfer` (AXFR/IXFR answers, after the policy has
 * let the request through: a fault never bypasses it), `query` (ordinary answers, UDP and
 * TCP), `notify` (the NOTIFYs the primary sends).
 */

import { RCODE } from "../wire/message.js";

export type FaultPoint = "transfer" | "query" | "notify";

/** One parameter: its type, default (absent: required) and bounds. */
export type ParamSpec =
  | { type: "int"; default?: number; min: number; max: number; doc: string }
  | { type: "number"; default?: number; min: number; max: number; doc: string }
  | { type: "bool"; default: boolean; doc: string }
  /** A header RCODE, by mnemonic (NOTIMP) or number (4); stored as its mnemonic. */
  | { type: "rcode"; default: string; doc: string }
  /** A message of a stream, counted from 1, or "last". */
  | { type: "message"; default: number | "last"; doc: string }
  /** An IPv4 or IPv6 address. */
  | { type: "address"; default?: string; doc: string };

export interface KindSpec {
  points: readonly FaultPoint[];
  params: Readonly<Record<string, ParamSpec>>;
  /** What it does, one line (the dashboard and the docs show it). */
  doc: string;
}

const SERIAL_MAX = 2 ** 31 - 1; // RFC 1982 §3.1: the largest serial addition
const afterMessages = (doc: string): ParamSpec => ({
  type: "int",
  default: 1,
  min: 0,
  max: 1_000_000,
  doc,
});

export const FAULT_KINDS = {
  "axfr-soa-mismatch": {
    points: ["transfer"],
    params: {
      serial_delta: {
        type: "int",
        default: 1,
        min: 1,
        max: SERIAL_MAX,
        doc: "added to the closing SOA's serial",
      },
    },
    doc: "an AXFR (or AXFR-style IXFR) whose closing SOA carries another serial than the opening one",
  },
  "xfr-truncate": {
    points: ["transfer"],
    params: { after_messages: afterMessages("messages sent before the connection is closed") },
    doc: "the TCP connection is closed after some messages; no closing SOA",
  },
  "xfr-reset": {
    points: ["transfer"],
    params: { after_messages: afterMessages("messages sent before the connection is reset") },
    doc: "the TCP connection is reset (RST) after some messages",
  },
  "xfr-stall": {
    points: ["transfer"],
    params: { after_messages: afterMessages("messages sent before the stream stops") },
    doc: "nothing more is sent after some messages; the connection stays open until the idle timeout",
  },
  "xfr-slow": {
    points: ["transfer"],
    params: {
      bytes_per_second: {
        type: "int",
        default: 16384,
        min: 1,
        max: 1 << 30,
        doc: "the pace of the stream",
      },
    },
    doc: "the transfer is paced to a number of bytes per second",
  },
  "tsig-bad-mac": {
    points: ["transfer"],
    params: {
      message: { type: "message", default: "last", doc: "which message (1 = the first)" },
    },
    doc: "one message of a signed answer stream carries a corrupted MAC",
  },
  "tsig-unsigned": {
    points: ["transfer"],
    params: {
      message: { type: "message", default: "last", doc: "which message (1 = the first)" },
    },
    doc: "one message of a signed answer stream is sent without its TSIG",
  },
  "ixfr-refuse": {
    points: ["transfer"],
    params: { rcode: { type: "rcode", default: "NOTIMP", doc: "the answer's RCODE" } },
    doc: "IXFR is answered with an error RCODE, so the secondary must fall back to AXFR",
  },
  "ixfr-as-axfr": {
    points: ["transfer"],
    params: {},
    doc: "every IXFR is answered AXFR-style (RFC 1995 §4)",
  },
  "ixfr-bad-history": {
    points: ["transfer"],
    params: {},
    doc: "an incremental answer whose first changeset deletes a record the secondary never had",
  },
  "serial-regression": {
    points: ["transfer", "query", "notify"],
    params: {
      delta: {
        type: "int",
        default: 1000,
        min: 1,
        max: SERIAL_MAX,
        doc: "subtracted from the served serial (RFC 1982)",
      },
    },
    doc: "the served SOA (queries, transfers, NOTIFY) has a lower serial than the zone's",
  },
  "soa-rcode": {
    points: ["query"],
    params: {
      rcode: { type: "rcode", default: "SERVFAIL", doc: "the answer's RCODE" },
      drop: { type: "bool", default: false, doc: "send no answer at all" },
    },
    doc: "SOA queries are answered with an error RCODE, or not at all",
  },
  "notify-drop": {
    points: ["notify"],
    params: {},
    doc: "NOTIFYs are not sent: the secondary only catches up on its refresh timer",
  },
  "notify-from": {
    points: ["notify"],
    params: { source: { type: "address", doc: "the address NOTIFYs leave from" } },
    doc: "NOTIFYs leave from another address than the configured NOTIFY source",
  },
  "notify-unsigned": {
    points: ["notify"],
    params: {},
    doc: "NOTIFYs are sent without the peer's TSIG",
  },
  latency: {
    points: ["transfer", "query"],
    params: {
      ms: { type: "int", min: 1, max: 600_000, doc: "the delay before each answer" },
    },
    doc: "every answer to the zone (UDP and TCP, queries and transfers) is delayed",
  },
  "udp-drop": {
    points: ["query"],
    params: {
      probability: {
        type: "number",
        default: 0.5,
        min: 0,
        max: 1,
        doc: "the share of UDP answers dropped",
      },
    },
    doc: "a share of the UDP answers for the zone is dropped",
  },
  "axfr-duplicate-records": {
    points: ["transfer"],
    params: {},
    doc: "every record of an AXFR (or AXFR-style IXFR) except the SOA is sent twice",
  },
  "xfr-wrong-question": {
    points: ["transfer"],
    params: {},
    doc: "the first message of a transfer carries a question for another name",
  },
  "xfr-id-change": {
    points: ["transfer"],
    params: {
      after_messages: afterMessages("messages sent with the request's ID before it changes"),
    },
    doc: "the message ID changes in the middle of a transfer",
  },
} as const satisfies Record<string, KindSpec>;

export type FaultKind = keyof typeof FAULT_KINDS;

export const FAULT_KIND_NAMES = Object.keys(FAULT_KINDS) as FaultKind[];

export function isFaultKind(k: unknown): k is FaultKind {
  return typeof k === "string" && Object.hasOwn(FAULT_KINDS, k);
}

/** The RCODE mnemonics a fault may name (RFC 1035 §4.1.1, RFC 2136 §2.2). */
export const RCODE_NAMES = Object.keys(RCODE) as (keyof typeof RCODE)[];
