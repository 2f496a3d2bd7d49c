/**
 * UDP worker processes: an opt-in way to answer UDP queries on several cores.
 *
 * Node runs JavaScript on one thread, and on a busy UDP port the per-datagram cost of the
 * runtime (not the DNS logic) is what limits the query rate. With `udpWorkers: N` the main
 * process keeps TCP (and everything stateful), while N worker processes, forked through
 * node:cluster, answer UDP on one shared socket; the kernel hands each datagram to one of
 * them. Each worker loads the same zone files and builds the same handler, so its answers are
 * the main process's answers.
 *
 * node:cluster is process-wide, so a process should start one such pool at a time.
 */

import cluster, { type Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import type { AccountDnsSettings } from "../cloudflare/rules/account-settings.js";
import type { DnsSettings, ZoneProfile } from "../cloudflare/rules/dns-settings.js";
import type { Tsig } from "../cloudflare/transfer/settings.js";
import type { LogLevel } from "../log.js";
import type { Change, RecordMeta } from "../zone/zone.js";
import type { FaultReport, FaultsCommand } from "./faults.js";

export interface WorkerConfig {
  zonesDir?: string;
  /** DNS settings the zones start with (PrimaryOptions.dnsSettings), keyed by zone key. */
  dnsSettings?: Record<string, unknown>;
  /** The account's DNS settings at the start: the zone defaults files load with. */
  account?: AccountDnsSettings;
  host: string;
  port: number;
  logLevel: LogLevel;
}

/** Worker → main process. */
export type WorkerMessage =
  /** The worker listens for commands: nothing is sent to it before (it would be lost). */
  | { type: "hello" }
  | { type: "ready" }
  | { type: "failed"; message: string }
  /** A fault acted on an answer of the worker's (faults.ts): counted by the main process. */
  | FaultReport;

/** A record as it crosses to a worker: name, type, TTL, RDATA (latin1), Cloudflare fields. */
export type WorkerRecord = [string, number, number, string, RecordMeta?];

/**
 * Main process → workers: a change the main process committed, for the workers to commit
 * too. Commits are deterministic (same change, same serial), so the copies stay equal.
 */
export type WorkerCommand =
  | {
      type: "commit";
      origin: string;
      change: Change;
      /** New DNS settings, committed with every name rendered again. */
      settings?: { dns: DnsSettings; profile: ZoneProfile };
      /** With `settings`: what was rendered again (rules/zones.ts CommitEvent). */
      scope?: "proxied" | "apex";
    }
  | { type: "remove"; origin: string }
  /**
   * The account's DNS settings changed: zones take `enforce_dns_only` in place; those whose
   * answers it changes follow as commits with their settings (rules/zones.ts followAccount).
   */
  | { type: "account"; settings: AccountDnsSettings }
  /** Every TSIG, so a worker verifies and signs what it answers (RFC 8945 §5.3). */
  | { type: "tsigs"; tsigs: Array<Pick<Tsig, "id" | "name" | "algo" | "secret">> }
  /** Every fault, so a worker's answers misbehave as the main process's (faults.ts). */
  | FaultsCommand
  /**
   * A zone as the main process serves it now, records and settings: what a worker that
   * replaces a dead one starts from (the zone files are not the current state).
   */
  | {
      type: "zone";
      origin: string;
      records: WorkerRecord[];
      settings: { dns: DnsSettings; profile: ZoneProfile };
    };

export class WorkerStartError extends Error {
  override name = "WorkerStartError";
}

export interface UdpWorkerPool {
  readonly size: number;
  /** Send a command to every live worker. */
  broadcast(command: WorkerCommand): void;
  close(): Promise<void>;
}

/** The worker entry next to this file, as .js when built and .ts when run from source. */
function workerEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return here.replace(/pool\.(ts|js)$/, "udp-worker.$1");
}

/** Restarts of a worker that dies while serving are spaced by at least this much. */
const RESTART_DELAY_MS = 1000;
/** A worker that dies sooner than this after its start counts as failing to start... */
const QUICK_DEATH_MS = 10_000;
/** ...and after this many such deaths in a row, it is not replaced again. */
const MAX_QUICK_DEATHS = 3;

export async function startUdpWorkers(
  count: number,
  config: WorkerConfig,
  logger: Logger,
  /** The current state of every zone, for a worker that replaces a dead one. */
  snapshot: () => WorkerCommand[],
  /** What every worker is sent first, as it is now: the TSIGs, the faults. */
  state: () => WorkerCommand[],
  /** Told of each fault a worker applied. */
  onFaultApplied: (report: FaultReport) => void = () => {},
): Promise<UdpWorkerPool> {
  if (!Number.isInteger(count) || count < 1 || count > 64) {
    throw new RangeError(`udpWorkers must be an integer from 1 to 64, got ${count}`);
  }
  if (!cluster.isPrimary) throw new WorkerStartError("UDP workers cannot start UDP workers");
  cluster.setupPrimary({ exec: workerEntry(), execArgv: process.execArgv, silent: false });

  /** Live workers, with the commands held for one that has not said hello yet. */
  const workers = new Map<Worker, WorkerCommand[] | null>();
  let closing = false;
  let quickDeaths = 0;

  // The first workers load the zone files, as the main process did, and are sent every change
  // made since. A worker that replaces a dead one is sent the zones as they are now instead.
  const fork = (replacement = false): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const startedAt = Date.now();
      const own = replacement ? { ...config, zonesDir: undefined, dnsSettings: undefined } : config;
      const w = cluster.fork({ DNS_PRIMARY_WORKER: JSON.stringify(own) });
      workers.set(w, []);
      let started = false;
      w.on("message", (m: WorkerMessage) => {
        if (m.type === "hello") {
          const held = workers.get(w) ?? [];
          workers.set(w, null);
          // The snapshot already holds the held changes.
          for (const command of [...state(), ...(replacement ? snapshot() : held)]) w.send(command);
        } else if (m.type === "ready") {
          started = true;
          resolve(w);
        } else if (m.type === "failed") {
          reject(new WorkerStartError(`UDP worker failed to start: ${m.message}`));
        } else if (m.type === "fault-applied") {
          onFaultApplied(m);
        }
      });
      w.on("exit", (code, signal) => {
        workers.delete(w);
        if (!started) {
          reject(
            new WorkerStartError(`UDP worker exited during start (${signal ?? `code ${code}`})`),
          );
          return;
        }
        if (closing) return;
        quickDeaths = Date.now() - startedAt < QUICK_DEATH_MS ? quickDeaths + 1 : 0;
        if (quickDeaths >= MAX_QUICK_DEATHS) {
          logger.error(
            { code, signal, workers: workers.size },
            "UDP worker keeps dying; not replaced",
          );
          return;
        }
        // A worker holds no state of its own: replace it, and say so.
        logger.error({ code, signal }, "UDP worker died; starting another");
        setTimeout(() => {
          if (!closing)
            fork(true).catch((err) => logger.error({ err }, "UDP worker restart failed"));
        }, RESTART_DELAY_MS).unref();
      });
    });

  const stopAll = () =>
    Promise.all(
      [...workers.keys()].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once("exit", () => resolve());
            // disconnect lets the worker close its socket and exit; kill if it does not.
            const t = setTimeout(() => w.kill("SIGKILL"), 3000);
            t.unref();
            w.disconnect();
          }),
      ),
    ).then(() => undefined);

  try {
    await Promise.all(Array.from({ length: count }, () => fork()));
  } catch (err) {
    closing = true;
    await stopAll();
    throw err;
  }
  logger.debug({ workers: count }, "UDP workers ready");
  let closed: Promise<void> | undefined;
  return {
    size: count,
    broadcast(command) {
      for (const [w, held] of workers) {
        if (held !== null) held.push(command);
        else if (w.isConnected()) w.send(command);
      }
    },
    close() {
      closing = true;
      closed ??= stopAll();
      return closed;
    },
  };
}
