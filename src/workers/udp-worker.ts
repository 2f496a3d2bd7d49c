/**
 * A UDP worker process (see pool.ts): loads the same zones as the main process, builds the
 * same query handler and answers UDP on the socket that node:cluster shares among the
 * workers. It holds no state of its own: the main process can kill and replace it at will.
 */

import cluster from "node:cluster";
import { CloudflareZones, isProxied } from "../cloudflare/rules/zones.js";
import type { Tsig } from "../cloudflare/transfer/settings.js";
import { createLogger } from "../log.js";
import { createQueryHandler } from "../server/query.js";
import { createKeyring } from "../server/signed.js";
import { udpWorkerTransfer } from "../server/transfer.js";
import { bindUdp } from "../transport/udp.js";
import { canonicalName, nameKey } from "../wire/name.js";
import { loadZonesDir } from "../zone/load.js";
import { ZoneSet } from "../zone/zoneset.js";
import { workerFaults } from "./faults.js";
import type { WorkerCommand, WorkerConfig, WorkerMessage } from "./pool.js";

async function main(): Promise<void> {
  const config = JSON.parse(process.env.DNS_PRIMARY_WORKER ?? "{}") as WorkerConfig;
  const logger = createLogger({ level: config.logLevel, pretty: false }).child({
    component: "udp-worker",
    worker: cluster.worker?.id,
  });
  // The main process may close the channel at any time (it is stopping): a message that can
  // no longer go is dropped, not an error that kills the worker mid-start.
  const send = (m: WorkerMessage) => {
    if (process.connected) process.send?.(m, undefined, {}, () => {});
  };
  // Commands may arrive before the zones are loaded: queue them until then, in order. A
  // message sent before this listener exists is lost, so the main process waits for hello.
  const queue: WorkerCommand[] = [];
  let apply: ((m: WorkerCommand) => void) | null = null;
  const KINDS = new Set(["commit", "remove", "zone", "tsigs", "faults", "account"]);
  // The TSIGs the main process holds, by name (case-insensitive, trailing dot optional).
  let tsigs = new Map<string, Tsig>();
  const tsigKeyOf = (name: string) =>
    nameKey(canonicalName(name.endsWith(".") ? name : `${name}.`));
  const keyring = createKeyring(
    { tsigByName: (name) => tsigs.get(tsigKeyOf(name)) },
    () => Date.now() / 1000,
  );
  // A copy of the main process's faults; what acts here is counted there (faults.ts).
  const faults = workerFaults(send);
  process.on("message", (m: WorkerCommand) => {
    if (!KINDS.has(m?.type)) return;
    if (apply) apply(m);
    else queue.push(m);
  });
  send({ type: "hello" });
  try {
    const zones = new ZoneSet();
    // Zones are never created here: a new zone arrives whole ("zone"), serial included.
    const cloudflare = new CloudflareZones(zones, {
      settingsFor: (origin) => config.dnsSettings?.[nameKey(origin)],
      account: config.account,
    });
    // Warnings were reported once by the main process, which loaded the same files.
    if (config.zonesDir !== undefined)
      for (const z of loadZonesDir(config.zonesDir, { renderer: cloudflare.renderer }).zones)
        cloudflare.add(z);
    apply = (m) => {
      try {
        if (m.type === "tsigs") {
          tsigs = new Map(m.tsigs.map((t) => [tsigKeyOf(t.name), t as Tsig]));
          return;
        }
        if (m.type === "faults") {
          faults.apply(m);
          return;
        }
        if (m.type === "account") {
          cloudflare.applyAccount(m.settings);
          return;
        }
        if (m.type === "zone") {
          const records = m.records.map(([name, type, ttl, rdata, meta]) => ({
            name,
            type,
            ttl,
            rdata,
            ...(meta ? { meta } : {}),
          }));
          cloudflare.restore(m.origin, records, m.settings);
          return;
        }
        const zone = zones.get(m.origin);
        if (zone === undefined) return;
        if (m.type === "remove") cloudflare.remove(zone);
        else if (m.settings) {
          cloudflare.applySettings(zone, m.settings);
          const rerender = m.scope === "proxied" ? isProxied : m.scope !== "apex";
          zone.commit(m.change, { rerender });
        } else zone.commit(m.change);
      } catch (err) {
        // The main process committed this change; failing here means the copies diverged.
        logger.error(
          { err, zone: "origin" in m ? m.origin : null },
          "worker could not apply a committed change; exiting",
        );
        process.exit(1);
      }
    };
    for (const m of queue.splice(0)) apply(m);
    const handler = createQueryHandler(zones, {
      logger,
      keyring,
      transfer: udpWorkerTransfer(zones),
      faults: faults.faults,
    });
    // In a cluster worker, bind() asks the primary for the shared socket of host:port.
    const udp = await bindUdp(config.host, config.port, handler, logger);
    process.on("disconnect", () => {
      void udp.close().then(() => process.exit(0));
    });
    send({ type: "ready" });
  } catch (err) {
    send({ type: "failed", message: (err as Error).message });
    process.exit(1);
  }
}

void main();
