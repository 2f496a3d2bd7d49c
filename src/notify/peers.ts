/**
 * Whom a zone's NOTIFY goes to (cloudflare.md §1 "NOTIFY"): every peer linked to the zone's
 * outgoing configuration that has an `ip`, on its `port`, signed with the peer's TSIG when it
 * has one. Nothing while outgoing transfers are not Enabled, or the zone is not entitled to
 * them (settings.ts `entitled`). Read from the live settings at
 * each send and after each settings change (Notifier.retarget), so an API change applies at
 * once: to the NOTIFY in flight as well as to the next one.
 */

import type { TransferSettings } from "../cloudflare/transfer/settings.js";
import { tsigKeys } from "../server/signed.js";
import type { Notifier, NotifyTarget } from "./notifier.js";

export function notifyTargets(settings: TransferSettings): (zone: string) => NotifyTarget[] {
  const keyOf = tsigKeys();
  return (zone) => {
    const cfg = settings.activeOutgoing(zone);
    if (cfg === undefined) return [];
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

/**
 * Why a peer the zone notified is no longer among its targets, as the detail of the NOTIFY
 * cancelled because of it (shown in the secondaries view). The zone-level reasons come first:
 * with transfers disabled no peer is a target, whatever its links.
 */
export function notifyDropReason(
  settings: TransferSettings,
): (zone: string, peerId: string) => string {
  return (zone, peerId) => {
    const cfg = settings.outgoing(zone);
    if (!settings.entitled(zone)) return "the zone's outgoing-transfer entitlement was revoked";
    if (cfg === undefined) return "outgoing transfer configuration deleted";
    if (cfg.status !== "Enabled") return "transfers disabled";
    const peer = settings.listPeers().find((p) => p.id === peerId);
    // Deleting a linked peer is refused (PEER_IN_USE): it is gone only once it was unlinked too.
    if (peer === undefined) return "peer deleted";
    if (!cfg.peers.includes(peerId)) return "peer unlinked from the zone";
    if (peer.ip === undefined) return "peer's address removed";
    return "no longer a target of the zone";
  };
}

/**
 * Keep a notifier in step with the transfer settings; returns the function that stops it.
 * Enabling outgoing transfers (or creating the configuration Enabled: Terraform-style clients,
 * the library) notifies at once, as does force_notify (cloudflare.md §1). Then, after every
 * change whatever it was, the notifier reads whom each zone notifies again (retarget): what is
 * in flight to a target no longer wanted stops, a new or changed target is told the serial.
 */
export function followSettings(notifier: Notifier, settings: TransferSettings): () => void {
  return settings.onChange((c) => {
    if (c.kind === "outgoing" && settings.activeOutgoing(c.zone) !== undefined) {
      if (c.action === "enable" || c.action === "create") notifier.trigger(c.zone, "enable");
      else if (c.action === "force_notify") notifier.trigger(c.zone, "force");
    }
    // Granting the entitlement to a zone whose transfers are Enabled is like enabling them.
    if (c.kind === "entitlement" && c.entitled && settings.activeOutgoing(c.zone) !== undefined)
      notifier.trigger(c.zone, "enable");
    notifier.retarget();
  });
}
