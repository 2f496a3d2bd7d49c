/**
 * The registrar of the setup guide's step 7 ("At your registrar, add the nameservers of your
 * secondary DNS provider"): the parent zone above the Cloudflare zones, served by its own
 * listener, so that a resolver can follow the delegation to every provider of a zone as it
 * would on the internet (docs/registrar.md).
 *
 * For each delegated domain the parent holds:
 * - the NS set: Cloudflare's assigned nameservers until the user sets the list (the
 *   registrar's form: a whole list, as a registrar takes it);
 * - the DS set: the zone's own DS while its DNSSEC is active (as Cloudflare asks the user to
 *   publish it), then the DS records the user adds (other signers' KSKs, RFC 8901 model 2);
 * - the addresses of nameservers, from the user's `glue` and, for Cloudflare's assigned
 *   nameservers, the addresses where this dns-primary answers DNS. A name inside a delegated
 *   domain is glue (RFC 9471), served in referrals; a name elsewhere inside the parent is an
 *   address record of the parent itself. With the parent at the root (the default), every
 *   nameserver name is inside it: the registrar is then the lab's root, and
 *   `ada.ns.cloudflare.com` resolves from it like any other name.
 *
 * Every Cloudflare zone under the parent is delegated (a zone under another delegated zone is
 * left to that zone), and so is any other domain the user registers with nameservers.
 *
 * Decision: the parent is always signed, with one key (a CSK, flags 257, ECDSA P-256): the
 * lab's trust anchor, the same whether or not a child signs, so a resolver's configuration
 * does not change when DNSSEC is turned on. An unsigned child gets an insecure delegation
 * (the NSEC at the cut proves there is no DS, RFC 4035 §3.1.4).
 *
 * The parent changes as a zone does (one change, a new serial, a journal entry); it follows
 * the Cloudflare zones' events (added, removed, settings: DNSSEC and nameservers).
 */

import { isIP } from "node:net";
import {
  dsRdata,
  FLAGS_KSK,
  generateKey,
  loadKey,
  type SigningKey,
  type StoredKey,
  storeKey,
} from "../wire/dnssec/sign.js";
import {
  canonicalName,
  isInZone,
  NameError,
  nameKey,
  nameToWire,
  parentName,
} from "../wire/name.js";
import { RdataError, rdataFromLine, rdataFromText, rdataToText, soaRdata } from "../wire/rdata.js";
import { tokens } from "../wire/token.js";
import { T } from "../wire/types.js";
import type { Renderer } from "../zone/render.js";
import { type RecordInput, recordKey, toLatin1, Zone } from "../zone/zone.js";
import { ZoneSet } from "../zone/zoneset.js";
import { SettingsError } from "./errors.js";
import type { CloudflareZones } from "./rules/zones.js";

/** One TTL for everything the parent serves: short, so a lab sees its changes soon. */
export const REGISTRAR_TTL = 300;

export interface RegistrarOptions {
  /** The parent zone (default the root, "."). */
  origin?: string;
  /** The parent's own nameserver name (default `ns.registrar.<origin>`). */
  nameserver?: string;
  /** Where the parent answers: the addresses of its nameserver. */
  addresses: readonly string[];
  /** Where Cloudflare (this dns-primary) answers: the addresses of the assigned nameservers. */
  cloudflareAddresses: readonly string[];
  /** The parent's key, to keep the trust anchor across restarts; a new one otherwise. */
  key?: StoredKey;
  /** Domains to start with, as `put` takes them, by name (the config file's, the library's). */
  domains?: Record<string, unknown>;
  /** Domains a data dir kept, set after `domains`; one that no longer holds is left out. */
  restored?: Record<string, unknown>;
  /** Where a warning goes (a domain left out, a change the parent could not follow). */
  warn?: (message: string) => void;
  /** Seconds, for the first serial. */
  now?: () => number;
}

/** What the user sets for one domain (`PUT /dns-primary/v1/registrar/domains/{name}`). */
export interface DomainInput {
  /** The NS set; absent or null: Cloudflare's assigned nameservers. */
  nameservers?: string[] | null;
  /** Addresses of nameserver names, by name. */
  glue?: Record<string, string[]>;
  /** DS records added beside the zone's own ("12345 13 2 ABCD…", or a whole DS line). */
  ds?: string[];
}

/** What a data dir keeps of the registrar (Registrar.saved). */
export interface StoredRegistrar {
  key: StoredKey;
  domains: Record<string, DomainInput>;
}

/** One domain as the registrar shows it. */
export interface DomainJson {
  name: string;
  /** A Cloudflare zone of this dns-primary. */
  cloudflare_zone: boolean;
  /** The NS set served, and where it comes from. */
  nameservers: string[];
  nameservers_source: "cloudflare" | "registrar";
  /** Addresses served for nameserver names (the user's, then Cloudflare's). */
  glue: Record<string, string[]>;
  /** The DS set served: the zone's own first, then the user's. */
  ds: string[];
  /** The user's part of `ds`. */
  ds_added: string[];
}

export interface RegistrarJson {
  origin: string;
  nameserver: { name: string; addresses: string[] };
  /** The lab's trust anchor: the parent's DNSKEY and its DS, as master-file lines. */
  trust_anchor: { dnskey: string; ds: string; key_tag: number };
  domains: DomainJson[];
}

export interface Domain {
  name: string;
  nameservers?: string[];
  glue: Map<string, { name: string; addresses: string[] }>;
  /** DS RDATA, as given. */
  ds: Buffer[];
  /** The body it was set with, to be kept. */
  input: DomainInput;
}

const fieldError = (path: string, message: string) =>
  new SettingsError("INVALID_FIELD", message, path);

function domainName(text: unknown, path: string): string {
  if (typeof text !== "string" || text === "")
    throw fieldError(path, `${path}: a domain name is required`);
  try {
    return canonicalName(text.endsWith(".") ? text : `${text}.`);
  } catch (e) {
    if (e instanceof NameError)
      throw new SettingsError("INVALID_NAME", `${path}: ${e.message}`, path);
    throw e;
  }
}

function addressRecord(owner: string, address: unknown, path: string): RecordInput {
  const kind = typeof address === "string" ? isIP(address) : 0;
  if (kind === 0)
    throw new SettingsError("INVALID_IP", `${path}: not an IPv4 or IPv6 address`, path);
  const type = kind === 4 ? T.A : T.AAAA;
  return {
    name: owner,
    type,
    ttl: REGISTRAR_TTL,
    rdata: rdataFromText(type, tokens(address as string), "."),
  };
}

function dsFrom(text: unknown, path: string): Buffer {
  if (typeof text !== "string") throw fieldError(path, `${path}: a DS record is required`);
  try {
    return rdataFromLine(text, [T.DS], ".").rdata;
  } catch (e) {
    if (e instanceof RdataError) throw fieldError(path, `${path}: ${e.message}`);
    throw e;
  }
}

/**
 * The parent's name (default the root) and its nameserver's (default `ns.registrar.` under
 * it), checked: the nameserver must be inside the parent. Throws SettingsError.
 */
export function registrarNames(
  originText?: string,
  nameserverText?: string,
): { origin: string; nameserver: string } {
  const origin = domainName(originText ?? ".", "origin");
  const nameserver = domainName(
    nameserverText ?? (origin === "." ? "ns.registrar." : `ns.registrar.${origin}`),
    "nameserver",
  );
  if (!isInZone(nameKey(nameserver), nameKey(origin)))
    throw fieldError("nameserver", `nameserver ${nameserver} is not inside ${origin}`);
  return { origin, nameserver };
}

/**
 * A domain as `put` takes it, checked without the zones (the config file checks its domains
 * this way when it is read): the name below `origin`, only the three fields, names, addresses
 * inside `origin` but not the registrar's own `nameserver`, DS records that parse. Throws
 * SettingsError with the field at fault.
 */
export function checkDomain(
  origin: string,
  nameserver: string,
  nameText: string,
  input: unknown,
): Domain {
  const name = domainName(nameText, "name");
  const key = nameKey(name);
  if (key === nameKey(origin) || !isInZone(key, nameKey(origin)))
    throw new SettingsError(
      "INVALID_NAME",
      `${name} is not below the registrar's ${origin}`,
      "name",
    );
  if (typeof input !== "object" || input === null || Array.isArray(input))
    throw fieldError("", "the body must be an object with nameservers, glue and ds");
  const body = input as Record<string, unknown>;
  for (const k of Object.keys(body))
    if (!["nameservers", "glue", "ds"].includes(k))
      throw fieldError(k, `${k}: not a field of a domain (nameservers, glue, ds)`);
  const domain: Domain = { name, glue: new Map(), ds: [], input: body as DomainInput };
  if (body.nameservers !== undefined && body.nameservers !== null) {
    if (!Array.isArray(body.nameservers) || body.nameservers.length === 0)
      throw fieldError(
        "nameservers",
        "nameservers: a non-empty list of names, or null for Cloudflare's",
      );
    domain.nameservers = [
      ...new Set(body.nameservers.map((n, i) => domainName(n, `nameservers[${i}]`))),
    ];
  }
  if (body.glue !== undefined) {
    if (typeof body.glue !== "object" || body.glue === null || Array.isArray(body.glue))
      throw fieldError("glue", "glue: an object of addresses by nameserver name");
    for (const [n, addrs] of Object.entries(body.glue)) {
      const path = `glue.${n}`;
      const ns = domainName(n, path);
      if (!isInZone(nameKey(ns), nameKey(origin)))
        throw fieldError(
          path,
          `${path}: ${ns} is outside ${origin}, where the registrar cannot serve its address`,
        );
      if (nameKey(ns) === nameKey(nameserver))
        throw fieldError(path, `${path}: ${ns} is the registrar's own nameserver`);
      if (!Array.isArray(addrs) || addrs.length === 0)
        throw fieldError(path, `${path}: a non-empty list of addresses`);
      for (const [i, a] of addrs.entries()) addressRecord(ns, a, `${path}[${i}]`);
      domain.glue.set(nameKey(ns), { name: ns, addresses: [...new Set(addrs as string[])] });
    }
  }
  if (body.ds !== undefined) {
    if (!Array.isArray(body.ds)) throw fieldError("ds", "ds: a list of DS records");
    domain.ds = body.ds.map((t, i) => dsFrom(t, `ds[${i}]`));
  }
  return domain;
}

export class Registrar {
  readonly origin: string;
  readonly nameserver: string;
  /** The zones the registrar's listener serves: the parent alone. */
  readonly zones = new ZoneSet();
  readonly zone: Zone;
  private readonly key: SigningKey;
  private readonly addresses: readonly string[];
  private readonly cloudflareAddresses: readonly string[];
  private readonly domains = new Map<string, Domain>();
  /** The records of the current version, by recordKey(). */
  private current = new Map<string, RecordInput>();
  private readonly listeners: Array<() => void> = [];
  private readonly warn?: (message: string) => void;

  constructor(
    private readonly cloudflare: CloudflareZones,
    opts: RegistrarOptions,
  ) {
    ({ origin: this.origin, nameserver: this.nameserver } = registrarNames(
      opts.origin,
      opts.nameserver,
    ));
    this.warn = opts.warn;
    this.addresses = [...opts.addresses];
    // A wildcard listener ("0.0.0.0", "::") is no address to give a resolver.
    this.cloudflareAddresses = opts.cloudflareAddresses.filter(
      (a) => isIP(a) !== 0 && a !== "0.0.0.0" && a !== "::",
    );
    this.key = opts.key ? loadKey(opts.key) : generateKey(FLAGS_KSK);
    const key = this.key;
    const renderer: Renderer = {
      render: (_n, stored) => stored,
      signingKeys: { ksk: key, zsk: key },
    };
    const records = this.records();
    const serial = Math.floor(opts.now?.() ?? Date.now() / 1000) >>> 0;
    this.zone = Zone.build(this.origin, [this.soa(serial || 1), ...records], { renderer });
    this.current = new Map(
      records.map((r) => [recordKey(nameKey(r.name), r.type, toLatin1(r.rdata)), r]),
    );
    this.zones.add(this.zone);
    for (const [name, body] of Object.entries(opts.domains ?? {})) {
      try {
        this.put(name, body);
      } catch (e) {
        // Which domain: the path says it (`domains.NAME.field`), for the config file's line.
        if (!(e instanceof SettingsError)) throw e;
        const path = `domains.${name}${e.path ? `.${e.path}` : ""}`;
        throw new SettingsError(e.kind, `registrar domain ${name}: ${e.message}`, path);
      }
    }
    // What a data dir kept: a domain that no longer holds (its zone was deleted, so it names
    // no nameservers) is left out with a warning rather than stopping the start.
    for (const [name, body] of Object.entries(opts.restored ?? {})) {
      try {
        this.put(name, body);
      } catch (e) {
        if (!(e instanceof SettingsError)) throw e;
        opts.warn?.(`registrar domain ${name} as stored is left out: ${e.message}`);
      }
    }
    cloudflare.on((e) => {
      if (e.kind !== "commit" || e.settings !== undefined) this.follow();
    });
  }

  /** After a change of the zones: served again; a failure is logged, never the writer's. */
  private follow(): void {
    try {
      this.refresh();
    } catch (e) {
      this.warn?.(`registrar: the parent zone could not follow a change: ${(e as Error).message}`);
    }
  }

  /** The parent's key as kept (a data dir keeps it, so the trust anchor stays). */
  storedKey(): StoredKey {
    return storeKey(this.key);
  }

  /** What a data dir keeps: the key and the domains as they were set. */
  saved(): StoredRegistrar {
    const domains: Record<string, DomainInput> = {};
    for (const d of this.domains.values()) domains[d.name] = d.input;
    return { key: this.storedKey(), domains };
  }

  /** Called after every change the parent commits, and after every `put` or `remove`. */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  json(): RegistrarJson {
    const dnskey = this.key.rdata;
    return {
      origin: this.origin,
      nameserver: { name: this.nameserver, addresses: [...this.addresses] },
      trust_anchor: {
        dnskey: `${this.origin} ${REGISTRAR_TTL} IN DNSKEY ${rdataToText(T.DNSKEY, dnskey)}`,
        ds: `${this.origin} ${REGISTRAR_TTL} IN DS ${rdataToText(T.DS, dsRdata(this.origin, dnskey))}`,
        key_tag: this.key.tag,
      },
      domains: this.domainsJson(),
    };
  }

  domainsJson(): DomainJson[] {
    const names = this.delegated();
    const keys = new Set(names.map(nameKey));
    return names.map((n) => this.domainJson(n, keys)!);
  }

  /** One domain, or undefined when the parent does not delegate it. */
  domain(nameText: string): DomainJson | undefined {
    return this.domainJson(domainName(nameText, "name"), this.delegatedKeys());
  }

  private domainJson(name: string, keys: ReadonlySet<string>): DomainJson | undefined {
    const d = this.delegation(name, keys);
    if (d === undefined) return undefined;
    return {
      name,
      cloudflare_zone: this.cloudflareZone(name) !== undefined,
      nameservers: d.nameservers,
      nameservers_source: this.domains.get(nameKey(name))?.nameservers ? "registrar" : "cloudflare",
      glue: Object.fromEntries(d.glue),
      ds: d.ds.map((r) => rdataToText(T.DS, r)),
      ds_added: d.ds.slice(d.own).map((r) => rdataToText(T.DS, r)),
    };
  }

  /**
   * Set what the registrar holds for a domain (the whole of it, as a PUT does). Throws
   * SettingsError with the field at fault; nothing changes then.
   */
  put(nameText: string, input: unknown): DomainJson {
    const domain = checkDomain(this.origin, this.nameserver, nameText, input);
    const { name } = domain;
    const key = nameKey(name);
    if (domain.nameservers === undefined && this.cloudflareZone(name) === undefined)
      throw fieldError(
        "nameservers",
        `nameservers: ${name} is not a Cloudflare zone here, so it needs its own`,
      );
    const before = this.domains.get(key);
    this.domains.set(key, domain);
    try {
      this.refresh();
    } catch (e) {
      if (before) this.domains.set(key, before);
      else this.domains.delete(key);
      throw e;
    }
    this.changed();
    return this.domain(name)!;
  }

  /** Forget what the user set for a domain: a Cloudflare zone goes back to its defaults. */
  remove(nameText: string): boolean {
    const key = nameKey(domainName(nameText, "name"));
    const had = this.domains.delete(key);
    if (had) {
      this.refresh();
      this.changed();
    }
    return had;
  }

  /** Serve what the registrar now holds, as one change when anything differs. */
  refresh(): void {
    const next = new Map<string, RecordInput>();
    for (const r of this.records())
      next.set(recordKey(nameKey(r.name), r.type, toLatin1(r.rdata)), r);
    const remove = [...this.current].filter(([k]) => !next.has(k)).map(([, r]) => r);
    const add = [...next].filter(([k]) => !this.current.has(k)).map(([, r]) => r);
    if (remove.length === 0 && add.length === 0) return;
    this.zone.commit({ remove, add });
    this.current = next;
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  private soa(serial: number): RecordInput {
    const rname = this.origin === "." ? "hostmaster.registrar." : `hostmaster.${this.origin}`;
    const rdata = soaRdata({
      mname: this.nameserver,
      rname,
      serial,
      refresh: 3600,
      retry: 600,
      expire: 604800,
      minimum: REGISTRAR_TTL,
    });
    return { name: this.origin, type: T.SOA, ttl: REGISTRAR_TTL, rdata };
  }

  private cloudflareZone(name: string): Zone | undefined {
    const z = this.cloudflare.set.get(name);
    return z?.key === nameKey(name) ? z : undefined;
  }

  /** The domains delegated: the Cloudflare zones below the parent, and the user's. */
  private delegated(): string[] {
    const top = nameKey(this.origin);
    const names = new Map<string, string>();
    for (const z of this.cloudflare.set.byKey())
      if (z.key !== top && isInZone(z.key, top)) names.set(z.key, z.origin);
    for (const [k, d] of this.domains) names.set(k, d.name);
    // A domain under another delegated one is that one's to delegate.
    const under = (k: string) => {
      for (let p = parentName(k); p !== top && p !== "."; p = parentName(p))
        if (names.has(p)) return true;
      return false;
    };
    return [...names]
      .filter(([k]) => !under(k))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, n]) => n);
  }

  /** The zone's own DS while its DNSSEC is active. */
  private zoneDs(name: string): Buffer[] {
    const zone = this.cloudflareZone(name);
    const ksk = zone?.renderer.signingKeys?.ksk;
    return ksk ? [dsRdata(zone!.origin, ksk.rdata)] : [];
  }

  private delegatedKeys(): Set<string> {
    return new Set(this.delegated().map(nameKey));
  }

  private delegation(
    name: string,
    delegated: ReadonlySet<string>,
  ):
    | {
        nameservers: string[];
        glue: Map<string, string[]>;
        /** The zone's own DS first, then the user's. */
        ds: Buffer[];
        /** How many of `ds` are the zone's own. */
        own: number;
      }
    | undefined {
    const key = nameKey(name);
    if (!delegated.has(key)) return undefined;
    const user = this.domains.get(key);
    const zone = this.cloudflareZone(name);
    const assigned = zone ? this.cloudflare.profile(zone).nameservers : [];
    const nameservers = user?.nameservers ?? assigned;
    const glue = new Map<string, string[]>();
    const inParent = (ns: string) => isInZone(nameKey(ns), nameKey(this.origin));
    for (const ns of nameservers) {
      const given = user?.glue.get(nameKey(ns));
      if (given) glue.set(ns, given.addresses);
      else if (assigned.includes(ns) && inParent(ns) && this.cloudflareAddresses.length > 0)
        glue.set(ns, [...this.cloudflareAddresses]);
    }
    for (const g of user?.glue.values() ?? []) if (!glue.has(g.name)) glue.set(g.name, g.addresses);
    const ds = this.zoneDs(name);
    const own = ds.length;
    for (const r of user?.ds ?? []) if (!ds.some((d) => d.equals(r))) ds.push(r);
    return { nameservers, glue, ds, own };
  }

  /** Everything the parent holds but its SOA. */
  private records(): RecordInput[] {
    const out: RecordInput[] = [
      { name: this.origin, type: T.NS, ttl: REGISTRAR_TTL, rdata: nameToWire(this.nameserver) },
      { name: this.origin, type: T.DNSKEY, ttl: REGISTRAR_TTL, rdata: this.key.rdata },
      ...this.addresses
        .filter((a) => isIP(a) !== 0)
        .map((a) => addressRecord(this.nameserver, a, "addresses")),
    ];
    const addressed = new Set<string>([nameKey(this.nameserver)]);
    const names = this.delegated();
    const keys = new Set(names.map(nameKey));
    for (const name of names) {
      const d = this.delegation(name, keys)!;
      for (const ns of d.nameservers)
        out.push({ name, type: T.NS, ttl: REGISTRAR_TTL, rdata: nameToWire(ns) });
      for (const ds of d.ds) out.push({ name, type: T.DS, ttl: REGISTRAR_TTL, rdata: ds });
      for (const [ns, addrs] of d.glue) {
        // One set of addresses per name, the first domain's, however many domains use it.
        if (addressed.has(nameKey(ns))) continue;
        addressed.add(nameKey(ns));
        for (const a of addrs) out.push(addressRecord(ns, a, `glue.${ns}`));
      }
    }
    return out;
  }
}
