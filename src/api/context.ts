/** What every route module is given: the live stores and the account, validated once. */

import type { Account } from "../cloudflare/account.js";
import type { RecordsContext } from "../cloudflare/records/operations.js";
import type { Registrar } from "../cloudflare/registrar.js";
import type { TransferActivity } from "../cloudflare/transfer/activity.js";
import type { TransferSettings } from "../cloudflare/transfer/settings.js";
import type { Faults } from "../faults/faults.js";
import type { ServerInfo } from "./routes/server-info.js";

/**
 * The model's live stores (cloudflare/records/operations.ts: zone ids, zone times, the clock,
 * zone settings and the one change path) and the rest every route reads.
 */
export interface ApiContext extends RecordsContext {
  readonly transfers: TransferSettings;
  readonly account: Readonly<Account>;
  /** Where the server answers DNS and notifies from (the emulator's own /server route). */
  readonly server: () => ServerInfo;
  /** What each zone's secondaries did: checks, transfers, refusals, NOTIFY outcomes. */
  readonly activity: TransferActivity;
  /** The faults attached to zones (the emulator's own /faults routes; docs/faults.md). */
  readonly faults: Faults;
  /** The registrar's parent zone, when one is served (the emulator's own /registrar routes). */
  readonly registrar?: Registrar;
}

/** The request path without its query, as Cloudflare names it in 7003 messages. */
export function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}
