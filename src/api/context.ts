/** What every route module is given: the live stores and the account, validated once. */

import type { CloudflareZones } from "../rules/zones.js";
import type { TransferActivity } from "../transfer/activity.js";
import type { TransferSettings } from "../transfer/settings.js";
import type { ZoneIndex } from "./ids.js";
import type { ServerInfo } from "./routes/server-info.js";
import type { ZoneTimes } from "./routes/zones.js";

export interface Account {
  readonly id: string;
  readonly name: string;
}

export interface ApiContext {
  readonly transfers: TransferSettings;
  readonly zones: ZoneIndex;
  /** Zone settings, creation and removal, and the one change path (rules/zones.ts). */
  readonly cloudflare: CloudflareZones;
  readonly account: Account;
  readonly now: () => Date;
  /** When each zone was created and last changed, as the API shows it. */
  readonly times: ZoneTimes;
  /** Where the server answers DNS and notifies from (the emulator's own /server route). */
  readonly server: () => ServerInfo;
  /** What each zone's secondaries did: checks, transfers, refusals, NOTIFY outcomes. */
  readonly activity: TransferActivity;
}

/** The request path without its query, as Cloudflare names it in 7003 messages. */
export function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}
