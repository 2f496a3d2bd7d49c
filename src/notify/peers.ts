/**
 * Whom a zone's NOTIFY goes to (cloudflare.md §1 "NOTIFY"): every peer linked to the zone's
 * outgoing configuration that has an `ip`, on its `port`, signed with the peer's TSIG when it
 * has one. Nothing while outgoing transfers are not Enabled. Read from the live settings at
 * each send, so an API change applies to the next NOTIFY.
 */

import { tsigKeys } from "../server/signed.js";
import type { TransferSettings } from "../transfer/settings.js";
import type { NotifyTarget } from "./notifier.js";

export function notifyTargets(settings: TransferSettings): (zone: string) => NotifyTarget[] {
  const keyOf = tsigKeys();
  return (zone) => {
    const cfg = settings.outgoing(zone);
    if (cfg === undefined || cfg.status !== "Enabled") return [];
    const out: NotifyTarget[] = [];
    for (const id of cfg.peers) {
      const peer = settings.getPeer(id);
      if (peer.ip === undefined) continue;
      const tsig = peer.tsig_id === undefined ? undefined : settings.getTsig(peer.tsig_id);
      out.push({
        peerId: peer.id,
        peerName: peer.name,
        host: peer.ip,
        port: peer.port,
        ...(tsig ? { key: keyOf(tsig) } : {}),
      });
    }
    return out;
  };
}
