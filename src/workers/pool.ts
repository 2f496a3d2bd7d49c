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
import type { LogLevel } from "../log.js";
import type { DnsSettings, ZoneProfile } from "../rules/dns-settings.js";
import type { Change } from "../zone/zone.js";

export interface WorkerConfig {
  zonesDir?: string;
  /** DNS settings the zones start with (PrimaryOptions.dnsSettings), keyed by zone key. */
  dnsSettings?: Record<string, unknown>;
  host: string;
  port: number;
  logLevel: LogLevel;
}

/** Worker → main process. */
export type WorkerMessage = { type: "ready" } | { type: "failed"; message: string };

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
    }
  /** A zone created through the API (same origin and first serial: the same zone). */
  | { type: "create"; origin: string; serial: number }
  | { type: "remove"; origin: string };

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
): Promise<UdpWorkerPool> {
  if (!Number.isInteger(count) || count < 1 || count > 64) {
    throw new RangeError(`udpWorkers must be an integer from 1 to 64, got ${count}`);
  }
  if (!cluster.isPrimary) throw new WorkerStartError("UDP workers cannot start UDP workers");
  cluster.setupPrimary({ exec: workerEntry(), execArgv: process.execArgv, silent: false });

  const workers = new Set<Worker>();
  let closing = false;
  // Every change since start, replayed to a worker that replaces a dead one so that it serves
  // what the others serve (its zone files are only the starting point).
  const history: WorkerCommand[] = [];
  let quickDeaths = 0;

  const fork = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const startedAt = Date.now();
      const w = cluster.fork({ DNS_PRIMARY_WORKER: JSON.stringify(config) });
      workers.add(w);
      for (const command of history) w.send(command);
      let started = false;
      w.on("message", (m: WorkerMessage) => {
        if (m.type === "ready") {
          started = true;
          resolve(w);
        } else if (m.type === "failed") {
          reject(new WorkerStartError(`UDP worker failed to start: ${m.message}`));
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
          if (!closing) fork().catch((err) => logger.error({ err }, "UDP worker restart failed"));
        }, RESTART_DELAY_MS).unref();
      });
    });

  const stopAll = () =>
    Promise.all(
      [...workers].map(
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
    await Promise.all(Array.from({ length: count }, fork));
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
      history.push(command);
      for (const w of workers) if (w.isConnected()) w.send(command);
    },
    close() {
      closing = true;
      closed ??= stopAll();
      return closed;
    },
  };
}
