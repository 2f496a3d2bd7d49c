/**
 * The account's DNS settings as Cloudflare's `GET/PATCH /accounts/{account_id}/dns_settings`
 * shows them (cloudflare.md §5): the zone defaults, "the default DNS settings applied to
 * every new zone", and `enforce_dns_only`, which "forces all proxied DNS records in the
 * account to behave as DNS-only at the edge, regardless of each record's individual proxy
 * setting" without modifying the records.
 *
 * Decisions where Cloudflare's docs are silent:
 * - The zone defaults are validated as a zone's own settings are (dns-settings.ts), field by
 *   field, and start as Cloudflare's defaults for a new zone.
 * - They apply to zones created afterwards: through the API, the library, the config file's
 *   `create: true`, and zone files loaded at start (for what a file cannot say: the file's
 *   SOA and apex NS records still give `soa` and `ns_ttl`). A zone's own `dns_settings` in the
 *   config file apply over them. Existing zones are never rewritten.
 * - Turning `enforce_dns_only` on or off renders every zone of the account again, each as one
 *   change with a new serial (rules/zones.ts), so secondaries follow by IXFR.
 */

import { SettingsError } from "../errors.js";
import {
  type AccountImposed,
  cloudflareDefaults,
  copySettings,
  type DnsSettings,
  patchDnsSettings,
  settingsJson,
} from "./dns-settings.js";

/** The `dns_settings` object of an account (names and shape as Cloudflare's API). */
export interface AccountDnsSettings {
  zone_defaults: DnsSettings;
  enforce_dns_only: boolean;
}

export function defaultAccountSettings(): AccountDnsSettings {
  return { zone_defaults: cloudflareDefaults(), enforce_dns_only: false };
}

function invalid(message: string, path: string): SettingsError {
  return new SettingsError("INVALID_FIELD", message, path);
}

/**
 * Cloudflare's PATCH: the given fields change, the others stay; inside `zone_defaults` too.
 * Throws SettingsError (400) naming the field, e.g. `zone_defaults.ns_ttl`; nothing changes.
 */
export function patchAccountSettings(cur: AccountDnsSettings, body: unknown): AccountDnsSettings {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw invalid("the body must be a JSON object of account DNS settings", "");
  const next: AccountDnsSettings = {
    zone_defaults: copySettings(cur.zone_defaults),
    enforce_dns_only: cur.enforce_dns_only,
  };
  for (const [k, v] of Object.entries(body)) {
    if (k === "enforce_dns_only") {
      if (typeof v !== "boolean")
        throw invalid("enforce_dns_only must be true or false", "enforce_dns_only");
      next.enforce_dns_only = v;
    } else if (k === "zone_defaults") {
      try {
        next.zone_defaults = patchDnsSettings(next.zone_defaults, v, true);
      } catch (e) {
        if (!(e instanceof SettingsError)) throw e;
        const path = e.path ? `zone_defaults.${e.path}` : "zone_defaults";
        throw new SettingsError(e.kind, `zone_defaults: ${e.message}`, path);
      }
    } else {
      throw invalid(`${k} is not an account DNS setting`, k);
    }
  }
  return next;
}

/** The settings as the API returns them (a copy; names without the trailing dot). */
export function accountSettingsJson(s: AccountDnsSettings): AccountDnsSettings {
  return { zone_defaults: settingsJson(s.zone_defaults), enforce_dns_only: s.enforce_dns_only };
}

/** What the account imposes on a new zone (dns-settings.ts newZoneSettings, seededSettings). */
export function imposedBy(s: AccountDnsSettings): AccountImposed {
  return { zoneDefaults: s.zone_defaults, enforceDnsOnly: s.enforce_dns_only };
}
