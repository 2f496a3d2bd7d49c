/**
 * Faults in the UDP worker processes (pool.ts): the workers answer UDP queries, so the query
 * faults (server/query-faults.ts) must act there too, while the main process's `Faults` stays
 * the one store every face reads and writes.
 *
 * - Main → workers: the whole store (`Faults.snapshot`) with the address of each peer a
 *   `peer_id` scope names, sent to a worker before it answers (with the TSIGs, at its hello),
 *   again on every fault added or removed, after an application that used one of a fault's
 *   `times` (coalesced per turn of the event loop), and when a peer changes (its address).
 * - Each worker holds a copy (`Faults.mirror`: same ids, parameters, scope and counts) that its
 *   query handler asks as the main process's does.
 * - Workers → main: each application, by zone and fault id, with the point, the client and
 *   the action. The main process counts it in its store (`Faults.applied`): the applied
 *   count, `times` left, the log line and the events are the main process's, as if it had
 *   answered the query itself.
 *
 * What this cannot make exact: a fault with `times` may act a few more times than `times` when
 * queries for it reach several processes at once, because a process learns the others'
 * applications only with the next snapshot (each learns its own at once, and a copy never
 * revives a fault it used up: `Faults.mirror`). Every application is still reported and
 * counted. An application reported for a fault removed meanwhile is not counted anywhere.
 */

import type { TransferSettings } from "../cloudflare/transfer/settings.js";
import { type FaultSnapshot, Faults, type PeerLookup } from "../faults/faults.js";
import type { FaultPoint } from "../faults/kinds.js";
import { nameKey } from "../wire/name.js";

/** Main process → workers: the faults to hold now. */
export interface FaultsCommand {
  type: "faults";
  faults: FaultSnapshot;
  /** The address of each peer a fault's `peer_id` names (a worker holds no settings). */
  peers: Array<{ id: string; ip: string }>;
}

/** Worker → main process: a fault of the copy acted on an answer. */
export interface FaultReport {
  type: "fault-applied";
  /** The zone's origin, as the event names it. */
  zone: string;
  id: string;
  point: FaultPoint;
  address?: string;
  action: string;
}

/** The store as a worker command. */
export function faultsCommand(faults: Faults, peers: PeerLookup): FaultsCommand {
  const snapshot = faults.snapshot();
  const named = new Set<string>();
  for (const [, list] of snapshot) for (const f of list) if (f.peer_id) named.add(f.peer_id);
  const ips: FaultsCommand["peers"] = [];
  for (const id of named) {
    const ip = peers.peer(id)?.ip;
    if (ip !== undefined) ips.push({ id, ip });
  }
  return { type: "faults", faults: snapshot, peers: ips };
}

/**
 * Main process: send the store to the workers whenever their copies would differ. Returns
 * the function that stops following.
 */
export function followFaults(
  faults: Faults,
  peers: PeerLookup,
  settings: Pick<TransferSettings, "onChange">,
  broadcast: (command: FaultsCommand) => void,
): () => void {
  const send = () => broadcast(faultsCommand(faults, peers));
  let due: NodeJS.Immediate | undefined;
  const soon = () => {
    due ??= setImmediate(() => {
      due = undefined;
      send();
    });
  };
  const stops = [
    faults.onChange(send),
    // A used `times` (here or in a worker): the copies learn the count left.
    faults.onApplied((e) => {
      if (e.fault.times !== null) soon();
    }),
    // A peer's address is what a `peer_id` scope matches in a worker.
    settings.onChange((c) => {
      if (c.kind === "peer" && faults.size > 0) soon();
    }),
  ];
  return () => {
    for (const stop of stops) stop();
    if (due !== undefined) clearImmediate(due);
  };
}

/** Main process: a worker's report, counted in the store (unless the fault is gone). */
export function countReport(faults: Faults, r: FaultReport): void {
  const fault = faults.fault(nameKey(r.zone), r.id);
  if (fault === undefined) return;
  faults.applied(r.zone, fault, {
    point: r.point,
    ...(r.address !== undefined ? { address: r.address } : {}),
    action: r.action,
  });
}

/**
 * Worker: the copy of the main process's store, and what to do with each command. Every
 * application in this process is reported through `report`.
 */
export function workerFaults(report: (r: FaultReport) => void): {
  faults: Faults;
  apply(command: FaultsCommand): void;
} {
  let peers = new Map<string, string>();
  const faults = new Faults({
    peer: (id) => {
      const ip = peers.get(id);
      return ip === undefined ? undefined : { ip };
    },
  });
  faults.onApplied((e) =>
    report({
      type: "fault-applied",
      zone: e.zone,
      id: e.fault.id,
      point: e.point,
      ...(e.address !== undefined ? { address: e.address } : {}),
      action: e.action,
    }),
  );
  return {
    faults,
    apply(command) {
      peers = new Map(command.peers.map((p) => [p.id, p.ip]));
      faults.mirror(command.faults);
    },
  };
}
