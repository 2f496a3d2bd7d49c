/**
 * The one Cloudflare account dns-primary serves (cloudflare.md §3): every zone belongs to it.
 * Named by the config file (`account:`) or by the embedder; otherwise the default below.
 */

import { derivedId } from "./transfer/settings.js";

export interface Account {
  id: string;
  name: string;
}

/**
 * The account served when nothing names one: a stable id derived from the name, as the config
 * derives it (config/build.ts), so scripts can keep using it across restarts.
 */
export function defaultAccount(name = "dns-primary"): Account {
  return { id: derivedId("account", name), name };
}
