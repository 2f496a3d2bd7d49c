/**
 * The served zones as Cloudflare zones: each zone is rendered through Cloudflare's rules
 * (cloudflare.ts) with its own DNS settings (dns-settings.ts), and every change to a zone,
 * whether records or settings, goes through `commit()`: one change = one new serial = one
 * journal entry (cloudflare.md §1 "SOA"), then the listeners (logs, UDP workers, NOTIFY).
 *
 * The REST API, the library entry and zone-file reloads all change zones through this one
 * object; nothing else calls `Zone.commit()` on a Cloudflare zone (the registrar's parent zone,
 * cloudflare/registrar.ts, is not one: it commits its own changes).
 */

import { nameKey, readNameWire } from "../../wire/name.js";
import { T } from "../../wire/types.js";
import type { Changeset, JournalLimits } from "../../zone/journal.js";
import {
  type Change,
  type ChangeOptions,
  type RecordInput,
  type RecordMeta,
  type RendererOption,
  type Zone,
  ZoneBuilder,
} from "../../zone/zone.js";
import type { ZoneSet } from "../../zone/zoneset.js";
import {
  type AccountDnsSettings,
  defaultAccountSettings,
  imposedBy,
  patchAccountSettings,
} from "./account-settings.js";
import { CloudflareRules, DNSKEY_TTL, type ElsewhereAddresses } from "./cloudflare.js";
import {
  type DnsSettings,
  newZoneSettings,
  patchDnsSettings,
  renderSettings,
  seededSettings,
  soaFromSettings,
  type ZoneProfile,
} from "./dns-settings.js";
import { type DnssecJson, dnssecJson, patchDnssec, type ZskJson, zskJson } from "./dnssec.js";

/** What listeners learn about a committed change. */
export interface CommitEvent {
  zone: Zone;
  /** The records changed, as given (the SOA replaced when settings changed it). */
  change: Change;
  changeset: Changeset;
  /** Render settings changed: every name was rendered again. */
  settings?: { dns: DnsSettings; profile: ZoneProfile };
  /**
   * With `settings`, what was rendered again: "proxied", only the names holding a proxied
   * record (and those rendered from other names; the account's enforcement changed);
   * "apex", only the apex, which every commit renders (the zone's DNSSEC keys changed).
   * Absent: every name.
   */
  scope?: "proxied" | "apex";
}

export type ZonesEvent =
  | ({ kind: "commit" } & CommitEvent)
  | { kind: "added"; zone: Zone }
  | { kind: "removed"; zone: Zone };

interface ZoneState {
  dns: DnsSettings;
  profile: ZoneProfile;
  rules: CloudflareRules;
}

/** A profile with the account's enforcement set or cleared (absent when off, as before it existed). */
function withDnsOnly(profile: ZoneProfile, dnsOnly: boolean): ZoneProfile {
  const { dnsOnly: _, ...rest } = profile;
  return dnsOnly ? { ...rest, dnsOnly: true } : rest;
}

/** A record the account's enforcement concerns. */
export const isProxied = (m: RecordMeta): boolean => m.proxied === true;

/** Whether any record of the zone is proxied: only then does enforce_dns_only change what it serves. */
function hasProxied(zone: Zone): boolean {
  for (const m of zone.meta.values()) if (isProxied(m)) return true;
  return false;
}

/** Most CNAME steps followed when flattening into another zone (as cloudflare.ts does inside one). */
const MAX_STEPS = 8;

export class CloudflareZones {
  private readonly state = new WeakMap<Zone, ZoneState>();
  private readonly listeners: Array<(e: ZonesEvent) => void> = [];
  private readonly storedSettingsListeners: Array<
    (zone: Zone, dns: DnsSettings, profile: ZoneProfile) => void
  > = [];
  private readonly accountListeners: Array<(s: AccountDnsSettings) => void> = [];
  /** The account's DNS settings (account-settings.ts): zone defaults, enforce_dns_only. */
  private account: AccountDnsSettings;

  constructor(
    readonly set: ZoneSet,
    private readonly opts: {
      journal?: Partial<JournalLimits>;
      warn?: (message: string) => void;
      /** The clock for a new zone's first serial (seconds). */
      now?: () => number;
      /**
       * DNS settings a zone loaded from a file starts with, over those its file seeds (a
       * PATCH dns_settings body; from the config file). Throws SettingsError when invalid.
       */
      settingsFor?: (origin: string) => unknown;
      /** Most records a zone may hold after a commit (limits.zoneRecords); unset: no limit. */
      maxRecords?: number;
      /** The account's DNS settings to start with (default: Cloudflare's). */
      account?: AccountDnsSettings;
    } = {},
  ) {
    this.account = opts.account ?? defaultAccountSettings();
  }

  /**
   * For zone loaders: serve a loaded zone through Cloudflare's rules, its settings seeded
   * from its file (dns-settings.ts).
   */
  readonly renderer: RendererOption = (zone) => {
    const s = seededSettings(zone, imposedBy(this.account));
    const patch = this.opts.settingsFor?.(zone.origin);
    if (patch !== undefined) s.dns = patchDnsSettings(s.dns, patch);
    return this.attach(zone, s);
  };

  private attach(zone: Zone, s: { dns: DnsSettings; profile: ZoneProfile }): CloudflareRules {
    const rules = new CloudflareRules(renderSettings(s.dns, s.profile), {
      resolveElsewhere: (key) => this.addressesAt(key, zone),
      warn: (m) => this.opts.warn?.(`${zone.origin}: ${m}`),
    });
    this.state.set(zone, { ...s, rules });
    return rules;
  }

  on(fn: (e: ZonesEvent) => void): void {
    this.listeners.push(fn);
  }

  /**
   * Listen to DNS settings changes that change nothing served (no commit, so no `commit`
   * event): the store keeps them.
   */
  onStoredSettings(fn: (zone: Zone, dns: DnsSettings, profile: ZoneProfile) => void): void {
    this.storedSettingsListeners.push(fn);
  }

  private emit(e: ZonesEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  /** Serve a zone built with `renderer` (from a file). */
  add(zone: Zone): void {
    this.set.add(zone);
    this.emit({ kind: "added", zone });
  }

  /**
   * A new, empty zone with Cloudflare's defaults: the SOA only (the apex NS are the assigned
   * nameservers). Its first serial is the current Unix time, as a fresh zone's serial often is.
   * `dnsSettings`: a PATCH dns_settings body over the defaults, for a zone the config file
   * creates (`create: true` with `dns_settings`), so it starts with them rather than
   * changing once created. Throws SettingsError when invalid.
   */
  create(origin: string, dnsSettings?: unknown): Zone {
    const settings = newZoneSettings(origin, imposedBy(this.account));
    if (dnsSettings !== undefined) settings.dns = patchDnsSettings(settings.dns, dnsSettings);
    const serial = Math.floor(this.opts.now?.() ?? Date.now() / 1000) >>> 0 || 1;
    const soa = soaFromSettings(settings.dns, settings.profile, serial);
    const b = new ZoneBuilder(origin, {
      journalLimits: this.opts.journal,
      renderer: (zone) => this.attach(zone, settings),
    });
    b.add({ name: origin, type: T.SOA, ttl: soa.ttl, rdata: soa.rdata });
    const zone = b.finish();
    this.add(zone);
    return zone;
  }

  /**
   * Serve a zone rebuilt from its records and settings (replacing a zone of that name): how
   * a UDP worker that replaces a dead one takes the main process's current state.
   */
  restore(
    origin: string,
    records: Iterable<RecordInput>,
    settings: { dns: DnsSettings; profile: ZoneProfile },
  ): Zone {
    const b = new ZoneBuilder(origin, {
      journalLimits: this.opts.journal,
      renderer: (zone) => this.attach(zone, settings),
    });
    for (const r of records) b.add(r);
    const zone = b.finish();
    const old = this.set.get(origin);
    if (old !== undefined) this.remove(old);
    this.add(zone);
    return zone;
  }

  remove(zone: Zone): void {
    if (this.set.get(zone.origin) !== zone) return;
    this.set.remove(zone.origin);
    this.emit({ kind: "removed", zone });
  }

  /** The one change path: apply atomically, next serial, journal, tell the listeners. */
  commit(zone: Zone, change: Change, opts: ChangeOptions = {}): Changeset {
    const max = this.opts.maxRecords;
    const changeset = zone.commit(change, max === undefined ? opts : { maxRecords: max, ...opts });
    this.emit({ kind: "commit", zone, change, changeset });
    return changeset;
  }

  dnsSettings(zone: Zone): DnsSettings {
    return this.stateOf(zone).dns;
  }

  profile(zone: Zone): ZoneProfile {
    return this.stateOf(zone).profile;
  }

  rules(zone: Zone): CloudflareRules {
    return this.stateOf(zone).rules;
  }

  /**
   * PATCH the zone's DNS settings (throws SettingsError, nothing changed). A change to what is
   * served (multi-provider, flattening, ns_ttl, the SOA) is committed like any other change:
   * a new serial and a journal entry; the other fields are only stored.
   */
  editDnsSettings(zone: Zone, patch: unknown): DnsSettings {
    const st = this.stateOf(zone);
    const next = patchDnsSettings(st.dns, patch);
    const before = soaFromSettings(st.dns, st.profile, 0);
    const after = soaFromSettings(next, st.profile, 0);
    const soaChanged = before.ttl !== after.ttl || !before.rdata.equals(after.rdata);
    const rendered =
      next.multi_provider !== st.dns.multi_provider ||
      next.flatten_all_cnames !== st.dns.flatten_all_cnames ||
      next.ns_ttl !== st.dns.ns_ttl;
    const previous = { dns: st.dns, rules: st.rules.settings };
    st.dns = next;
    if (!soaChanged && !rendered) {
      for (const fn of this.storedSettingsListeners) fn(zone, next, st.profile);
      return next;
    }
    st.rules.settings = renderSettings(next, st.profile);
    const change: Change = soaChanged
      ? { add: [{ name: zone.origin, type: T.SOA, ttl: after.ttl, rdata: after.rdata }] }
      : {};
    try {
      const changeset = zone.commit(change, { rerender: rendered });
      this.emit({
        kind: "commit",
        zone,
        change,
        changeset,
        settings: { dns: next, profile: st.profile },
      });
    } catch (e) {
      st.dns = previous.dns;
      st.rules.settings = previous.rules;
      throw e;
    }
    return next;
  }

  accountSettings(): AccountDnsSettings {
    return this.account;
  }

  /** Listen to changes of the account's DNS settings (the store keeps them). */
  onAccount(fn: (s: AccountDnsSettings) => void): void {
    this.accountListeners.push(fn);
  }

  /**
   * PATCH the account's DNS settings (throws SettingsError, nothing changed). New zone
   * defaults apply to zones created from now on; a change of `enforce_dns_only` renders
   * every zone again (followAccount).
   */
  editAccountSettings(patch: unknown): AccountDnsSettings {
    const next = patchAccountSettings(this.account, patch);
    // Stored first: a listener that throws (a write that failed) leaves the settings as they were.
    for (const fn of this.accountListeners) fn(next);
    this.account = next;
    this.followAccount();
    return next;
  }

  /**
   * Every zone served as the account's `enforce_dns_only` says. A zone with a proxied record
   * is rendered again as one change: a new serial, its journal entry (the anycast pairs out,
   * the origin addresses in, or back), and the commit event with its settings, which the
   * store and the UDP workers follow; only the names concerned are rendered again. A zone
   * without one serves the same either way: its settings change in place, no new version,
   * and the stored-settings listeners hear of it (the store logs it, so a later commit replays
   * with it). Called on a change and after a restart, when the stored account and a zone's
   * stored settings may disagree. A zone whose change fails keeps its settings; the others
   * still follow, and the first error is thrown at the end (a restart follows again).
   */
  followAccount(): void {
    const dnsOnly = this.account.enforce_dns_only;
    let failed: unknown;
    for (const zone of this.set.all()) {
      const st = this.stateOf(zone);
      if ((st.profile.dnsOnly === true) === dnsOnly) continue;
      try {
        this.changeProfile(
          zone,
          withDnsOnly(st.profile, dnsOnly),
          hasProxied(zone) ? { rerender: isProxied, scope: "proxied" } : undefined,
        );
      } catch (e) {
        failed ??= e;
      }
    }
    if (failed !== undefined) throw failed;
  }

  /**
   * The account's settings as the main process has them (a UDP worker). A zone without a
   * proxied record takes the enforcement in place, as in the main process; one with a proxied
   * record changes with the commit that follows, which carries its settings.
   */
  applyAccount(s: AccountDnsSettings): void {
    this.account = s;
    for (const zone of this.set.all()) {
      const st = this.stateOf(zone);
      if ((st.profile.dnsOnly === true) === s.enforce_dns_only || hasProxied(zone)) continue;
      this.applySettings(zone, {
        dns: st.dns,
        profile: withDnsOnly(st.profile, s.enforce_dns_only),
      });
    }
  }

  dnssec(zone: Zone): DnssecJson {
    return dnssecJson(zone.origin, this.stateOf(zone).profile.dnssec);
  }

  /** The zone's ZSKs as `GET /zones/{zone_id}/dnssec/zsk` lists them (dnssec.ts). */
  dnssecZsks(zone: Zone): ZskJson[] {
    return zskJson(zone.origin, this.stateOf(zone).profile.dnssec, DNSKEY_TTL);
  }

  /**
   * PATCH the zone's DNSSEC (dnssec.ts; throws SettingsError, nothing changed). Turning it on
   * or off changes the apex's DNSKEY RRset: one change, a new serial, the keys carried in the
   * commit's settings to the store and the UDP workers. `delete`: Cloudflare's DELETE, off.
   */
  editDnssec(zone: Zone, patch: unknown, now: () => Date, del = false): DnssecJson {
    const st = this.stateOf(zone);
    const next = del
      ? patchDnssec(st.profile.dnssec, { status: "disabled" }, now)
      : patchDnssec(st.profile.dnssec, patch, now);
    const keysChanged = next.ksk?.d !== st.profile.dnssec?.ksk?.d;
    // Only the apex serves the keys, and every commit renders the apex again.
    this.changeProfile(
      zone,
      { ...st.profile, dnssec: next },
      keysChanged ? { scope: "apex" } : undefined,
    );
    return dnssecJson(zone.origin, next);
  }

  /**
   * A zone's new profile: committed as one change when it changes what the zone serves
   * (`commit`: what to render again besides the changed names, and the event's scope), else
   * taken in place and told to the stored-settings listeners. A failure leaves the zone's
   * settings as they were and is thrown.
   */
  private changeProfile(
    zone: Zone,
    profile: ZoneProfile,
    commit: { rerender?: ChangeOptions["rerender"]; scope: CommitEvent["scope"] } | undefined,
  ): void {
    const st = this.stateOf(zone);
    const before = { profile: st.profile, rules: st.rules.settings };
    st.profile = profile;
    st.rules.settings = renderSettings(st.dns, profile);
    try {
      if (commit === undefined) {
        for (const fn of this.storedSettingsListeners) fn(zone, st.dns, profile);
        return;
      }
      const changeset = zone.commit({}, commit.rerender ? { rerender: commit.rerender } : {});
      this.emit({
        kind: "commit",
        zone,
        change: {},
        changeset,
        settings: { dns: st.dns, profile },
        scope: commit.scope,
      });
    } catch (e) {
      st.profile = before.profile;
      st.rules.settings = before.rules;
      throw e;
    }
  }

  /** Apply settings a UDP worker was sent (the same commit as in the main process). */
  applySettings(zone: Zone, s: { dns: DnsSettings; profile: ZoneProfile }): void {
    const st = this.stateOf(zone);
    st.dns = s.dns;
    st.profile = s.profile;
    st.rules.settings = renderSettings(s.dns, s.profile);
  }

  private stateOf(zone: Zone): ZoneState {
    const st = this.state.get(zone);
    if (st === undefined) throw new Error(`zone ${zone.origin} is not a Cloudflare zone`);
    return st;
  }

  /**
   * The A/AAAA a name of another served zone ends at (flattening across zones): its served
   * addresses, following CNAMEs for a few steps.
   */
  private addressesAt(key: string, from: Zone): ElsewhereAddresses | undefined {
    let k = key;
    for (let step = 0; step < MAX_STEPS; step++) {
      const zone = this.set.find(k);
      if (zone === undefined || zone === from) return undefined;
      const node = zone.node(k);
      if (node === undefined) return undefined;
      const a = node.get(T.A);
      const aaaa = node.get(T.AAAA);
      if (a !== undefined || aaaa !== undefined) {
        return {
          a: a ? [...a.rdata] : [],
          aaaa: aaaa ? [...aaaa.rdata] : [],
          ttl: Math.min(a?.ttl ?? Infinity, aaaa?.ttl ?? Infinity),
        };
      }
      const cname = node.get(T.CNAME);
      if (cname === undefined) return undefined;
      k = nameKey(readNameWire(Buffer.from(cname.at(0), "latin1"), 0).name);
    }
    return undefined;
  }
}
