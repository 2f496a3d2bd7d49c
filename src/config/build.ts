/**
 * A configuration object → the transfer settings it describes.
 *
 * Two steps: the zod schemas check the shape (src/config/schema.ts), then every object is
 * created through TransferSettings, which judges the values exactly as the REST API will.
 * Names are resolved to ids here: the file says `tsig: sec1.` where the API says `tsig_id`.
 *
 * Every problem is collected, not just the first, and shown (errors.ts): the shape is checked
 * object by object, so a misspelt field in one TSIG does not stop a bad address in a peer
 * from being reported, and a zone's `dns_settings` are judged field by field. A problem is
 * still reported once: a peer whose TSIG failed to load is skipped quietly, and so is a zone
 * that links such a peer.
 *
 * The order is the file's, with one exception: an unknown field comes before the fields its
 * object misses. `algorithm:` written for `algo:` is both, and the missing field is found
 * where the object starts, above the misspelling; the misspelling is the real mistake.
 *
 * Ids of objects defined here are derived from kind and name (derivedId), so a restart with
 * the same file gives the same ids and labs can script against them.
 */

import { isIP } from "node:net";
import type { z } from "zod";
import { type Account, defaultAccount } from "../cloudflare/account.js";
import { ApiError } from "../cloudflare/errors.js";
import { isObject } from "../cloudflare/json.js";
import { checkDomain, registrarNames } from "../cloudflare/registrar.js";
import {
  defaultAccountSettings,
  patchAccountSettings,
} from "../cloudflare/rules/account-settings.js";
import { newZoneSettings, patchDnsSettings } from "../cloudflare/rules/dns-settings.js";
import {
  derivedId,
  SETTINGS_ERRORS,
  SettingsError,
  TransferSettings,
} from "../cloudflare/transfer/settings.js";
import { zoneName } from "../cloudflare/zone-name.js";
import { type FaultSpec, Faults, peersOf } from "../faults/faults.js";
import { parseRateLimit, type RateLimit } from "../transport/limits.js";
import { canonicalName, nameKey } from "../wire/name.js";
import { ConfigError, type ConfigProblem, formatPath, suggest } from "./errors.js";
import {
  accountSchema,
  aclSchema,
  apiSchema,
  faultSchema,
  keysAt,
  keysOnly,
  listSchema,
  type outgoingSchema,
  peerSchema,
  registrarDomainSchema,
  registrarSchema,
  topSchema,
  tsigSchema,
  zoneKeysSchema,
  zoneSchema,
  zonesSchema,
} from "./schema.js";

export type ConfigPath = (string | number)[];

/** The 1-based line of `path` in the source, when known; `atKey` asks for a mapping key's line. */
export type Locate = (path: ConfigPath, atKey: boolean) => number | undefined;

export type { Account };

/** A zone named under `zones:`. */
export interface ConfigZone {
  /** As written in the file. */
  key: string;
  /** Canonical, with the trailing dot. */
  name: string;
  /** The line of its key, when the source was a file. */
  line?: number;
  /** `create: true`: created at start when nothing serves it (schema.ts, zones.ts). */
  create: boolean;
}

/** A fault under a zone's `faults:` (added at start: ServerOptions.faults). */
export interface ConfigFault {
  /** The zone, canonical, with the trailing dot. */
  zone: string;
  /** As the fault store takes it: the peer's name resolved to its `peer_id`. */
  spec: FaultSpec;
  /** The line of the entry, when the source was a file. */
  line?: number;
}

export interface LoadedConfig {
  settings: TransferSettings;
  account?: Account;
  /** `api.rate_limit`, checked: Cloudflare's API rate limit to emulate (api/rate-limit.ts). */
  apiRateLimit?: RateLimit;
  /** The account's DNS settings, as a PATCH /accounts/{id}/dns_settings body, already checked. */
  accountDnsSettings?: Record<string, unknown>;
  /** DNS settings by zone (canonical name), as PATCH dns_settings bodies, already checked. */
  dnsSettings: Record<string, Record<string, unknown>>;
  /** Every zone under `zones:`, in file order (checked against the served zones at start). */
  zones: ConfigZone[];
  /** The zones' `faults:`, in file order, already checked. */
  faults: ConfigFault[];
  /** The file, or the source name given to configFromObject: later problems name it. */
  source: string;
  /**
   * `registrar:`, checked (its domains as far as they can be without the zones): where it
   * listens, its names, and its domains as PUT bodies with the line of each.
   */
  registrar?: {
    host?: string;
    port?: number;
    origin: string;
    nameserver: string;
    domains: Record<string, unknown>;
    lines: Record<string, number | undefined>;
    secondaries?: { host: string; port?: number }[];
  };
}

export interface ConfigOptions {
  /** The clock of the settings (outgoing timestamps). */
  now?: () => Date;
}

const ID_RE = /^[0-9a-f]{32}$/;
const INVALID_NAME = SETTINGS_ERRORS.INVALID_NAME.code;

/**
 * Transfer settings from an object of the config-file shape, for embedders. `source` names
 * the object in error messages (there are no lines). Throws ConfigError.
 */
export function configFromObject(
  obj: unknown,
  source: string,
  opts: ConfigOptions = {},
): LoadedConfig {
  return buildConfig(obj, source, () => undefined, opts);
}

/** What a problem is, for the order they are shown in (see the header). */
type Kind = "unknown" | "missing" | "other";

interface Found {
  problem: ConfigProblem;
  kind: Kind;
  /** The object the field belongs to (unknown and missing fields). */
  object: string;
}

interface AddOptions {
  code?: number;
  /** The line of the path's last key rather than of its value. */
  atKey?: boolean;
  kind?: Kind;
}

type Add = (path: ConfigPath, reason: string, opts?: AddOptions) => void;

export function buildConfig(
  obj: unknown,
  source: string,
  locate: Locate,
  opts: ConfigOptions,
): LoadedConfig {
  const found: Found[] = [];
  const add: Add = (path, reason, o = {}) => {
    const p: ConfigProblem = { path: formatPath(path), reason };
    const line = locate(path, o.atKey ?? false);
    if (line !== undefined) p.line = line;
    if (o.code !== undefined) p.code = o.code;
    found.push({ problem: p, kind: o.kind ?? "other", object: formatPath(path.slice(0, -1)) });
  };

  // An empty file is an empty configuration.
  const cfg = readShape(obj ?? {}, add);
  if (cfg === undefined) throw new ConfigError(source, inReadingOrder(found));
  const settings = new TransferSettings(opts.now === undefined ? {} : { now: opts.now });
  const account = loadAccount(cfg, add);
  const rateLimit = loadRateLimit(cfg, add);
  const tsigs = loadTsigs(cfg, settings, add);
  const peers = loadPeers(cfg, settings, tsigs, add);
  loadAcls(cfg, settings, add);
  const { dnsSettings, zones, faults } = loadZones(cfg, settings, peers, add, locate);
  const registrar = loadRegistrar(cfg, add, locate);
  if (found.length > 0) throw new ConfigError(source, inReadingOrder(found));
  const loaded: LoadedConfig = { settings, dnsSettings, zones, faults, source };
  if (registrar !== undefined) loaded.registrar = registrar;
  if (account?.account !== undefined) loaded.account = account.account;
  if (account?.dnsSettings !== undefined) loaded.accountDnsSettings = account.dnsSettings;
  if (rateLimit !== undefined) loaded.apiRateLimit = rateLimit;
  return loaded;
}

/** File order, an unknown field before the fields missing from its object (see the header). */
function inReadingOrder(found: Found[]): ConfigProblem[] {
  const last = Number.MAX_SAFE_INTEGER;
  const unknownAt = new Map<string, number>();
  for (const f of found) {
    if (f.kind !== "unknown" || f.problem.line === undefined) continue;
    unknownAt.set(f.object, Math.max(unknownAt.get(f.object) ?? 0, f.problem.line));
  }
  const at = (f: Found): number => {
    const line = f.problem.line ?? last;
    return f.kind === "missing" ? Math.max(line, unknownAt.get(f.object) ?? 0) : line;
  };
  const rank = (f: Found): number => (f.kind === "unknown" ? 0 : 1);
  return found
    .map((f, i) => ({ f, i, at: at(f) }))
    .sort((a, b) => a.at - b.at || rank(a.f) - rank(b.f) || a.i - b.i)
    .map((e) => e.f.problem);
}

/** An object of a list: its checked value, or undefined when its shape is wrong. */
interface Item<T> {
  value?: T;
  /** The name it was given, when that is a string (for references and suggestions). */
  name?: string;
}

interface Shaped {
  /** null: no account; undefined: a wrong one (reported). */
  account: z.infer<typeof accountSchema> | null | undefined;
  api: z.infer<typeof apiSchema> | null | undefined;
  tsigs: Item<z.infer<typeof tsigSchema>>[];
  peers: Item<z.infer<typeof peerSchema>>[];
  acls: Item<z.infer<typeof aclSchema>>[];
  zones: ZoneItem[];
  /** null: none; its parts checked one by one, a wrong one left out (reported). */
  registrar: RegistrarItem | null;
}

interface RegistrarItem {
  secondaries?: { ip: string; port?: number | null }[];
  listen?: string;
  origin?: string;
  nameserver?: string;
  /** Each domain: its body, or undefined when its shape is wrong (reported). */
  domains: Array<[name: string, body: z.infer<typeof registrarDomainSchema> | undefined]>;
}

/** `registrar:`, its keys, then each field and each domain on its own. */
function readRegistrar(v: unknown, add: Add): RegistrarItem | null {
  if (v === undefined || v === null) return null;
  check(keysOnly(registrarSchema), v, ["registrar"], add);
  const entry = isObject(v) ? v : {};
  const item: RegistrarItem = { domains: [] };
  for (const field of ["listen", "origin", "nameserver"] as const) {
    const c = check(registrarSchema.shape[field], entry[field], ["registrar", field], add);
    if (typeof c?.value === "string") item[field] = c.value;
  }
  const secondaries = check(
    registrarSchema.shape.secondaries,
    entry.secondaries,
    ["registrar", "secondaries"],
    add,
  );
  if (secondaries?.value) item.secondaries = secondaries.value;
  const domains = check(zonesSchema, entry.domains, ["registrar", "domains"], add)?.value ?? {};
  for (const [name, body] of Object.entries(domains)) {
    const c = check(registrarDomainSchema.nullable(), body, ["registrar", "domains", name], add);
    item.domains.push([name, c === undefined ? undefined : (c.value ?? {})]);
  }
  return item;
}

/** A zone's entry: each part checked on its own, undefined when absent or wrong. */
interface ZoneItem {
  key: string;
  /** False when any part of it is wrong (reported). */
  whole: boolean;
  create: boolean;
  /** `outgoing_entitled` (default true). */
  entitled: boolean;
  outgoing?: z.infer<typeof outgoingSchema>;
  dnsSettings?: Record<string, unknown>;
  /** Each entry checked on its own: undefined where its shape is wrong (reported). */
  faults?: (z.infer<typeof faultSchema> | undefined)[];
}

/** `value` against `schema`, problems reported under `at`; undefined when it does not fit. */
function check<S extends z.ZodType>(
  schema: S,
  value: unknown,
  at: ConfigPath,
  add: Add,
): { value: z.infer<S> } | undefined {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return { value: parsed.data };
  for (const issue of parsed.error.issues) shapeProblem(issue, at, add);
  return undefined;
}

/** The shape, a level at a time: undefined only when the file is not a mapping at all. */
function readShape(obj: unknown, add: Add): Shaped | undefined {
  const top = check(topSchema, obj, [], add);
  // Unknown top-level keys are reported; the known sections are still read.
  const raw = top?.value ?? (isObject(obj) ? obj : undefined);
  if (raw === undefined) return undefined;
  const list = <S extends z.ZodType>(key: "tsigs" | "peers" | "acls", schema: S) =>
    (check(listSchema, raw[key], [key], add)?.value ?? []).map((v, i): Item<z.infer<S>> => {
      const item: Item<z.infer<S>> = {};
      const c = check(schema, v, [key, i], add);
      if (c !== undefined) item.value = c.value;
      const name = isObject(v) ? v.name : undefined;
      if (typeof name === "string") item.name = name;
      return item;
    });
  const account = check(accountSchema.nullish(), raw.account, ["account"], add);
  const api = check(apiSchema.nullish(), raw.api, ["api"], add);
  return {
    registrar: readRegistrar(raw.registrar, add),
    account: account === undefined ? undefined : (account.value ?? null),
    api: api === undefined ? undefined : (api.value ?? null),
    tsigs: list("tsigs", tsigSchema),
    peers: list("peers", peerSchema),
    acls: list("acls", aclSchema),
    zones: Object.entries(check(zonesSchema, raw.zones, ["zones"], add)?.value ?? {}).map(
      ([key, v]) => readZone(key, v, add),
    ),
  };
}

/** A zone's keys, then `create`, `outgoing` and `dns_settings` each on its own. */
function readZone(key: string, v: unknown, add: Add): ZoneItem {
  const at: ConfigPath = ["zones", key];
  let whole = check(zoneKeysSchema.nullable(), v, at, add) !== undefined;
  const entry = isObject(v) ? v : {};
  const part = <S extends z.ZodType>(field: keyof typeof zoneSchema.shape, schema: S) => {
    const c = check(schema, entry[field], [...at, field], add);
    if (c === undefined) whole = false;
    return c?.value ?? undefined;
  };
  const create = part("create", zoneSchema.shape.create);
  const entitled = part("outgoing_entitled", zoneSchema.shape.outgoing_entitled);
  const outgoing = part("outgoing", zoneSchema.shape.outgoing);
  const dnsSettings = part("dns_settings", zoneSchema.shape.dns_settings);
  // The list, then each entry on its own: one entry that is not a mapping hides no other.
  const faults = check(listSchema, entry.faults, [...at, "faults"], add);
  if (faults === undefined) whole = false;
  const item: ZoneItem = { key, whole, create: create === true, entitled: entitled !== false };
  if (outgoing !== undefined) item.outgoing = outgoing;
  if (dnsSettings !== undefined) item.dnsSettings = dnsSettings;
  if (faults?.value) {
    item.faults = faults.value.map((v, i) => {
      const c = check(faultSchema, v, [...at, "faults", i], add);
      if (c === undefined) whole = false;
      return c?.value;
    });
  }
  return item;
}

/** Ids by lookup key; keys whose object failed to load map to undefined. */
type Loaded = Map<string, string | undefined>;

/**
 * The account (absent when neither id nor name is given: the default one) and its DNS
 * settings, judged by the API's own code (rules/account-settings.ts).
 */
function loadAccount(
  cfg: Shaped,
  add: Add,
): { account?: Account; dnsSettings?: Record<string, unknown> } | undefined {
  const a = cfg.account;
  if (a === undefined || a === null) return undefined;
  const out: { account?: Account; dnsSettings?: Record<string, unknown> } = {};
  if (a.name === "") add(["account", "name"], "an account name is required");
  if (a.id !== undefined && a.id !== null && !ID_RE.test(a.id)) {
    add(["account", "id"], `"${a.id}" is not 32 lowercase hexadecimal digits`);
  }
  if ((a.id ?? null) !== null || (a.name ?? null) !== null) {
    const def = defaultAccount();
    const name = a.name ?? def.name;
    out.account = { id: a.id ?? derivedId("account", name), name };
  }
  if (a.dns_settings !== undefined && a.dns_settings !== null) {
    try {
      patchAccountSettings(defaultAccountSettings(), a.dns_settings);
      out.dnsSettings = a.dns_settings;
    } catch (err) {
      if (!(err instanceof SettingsError)) throw err;
      add(["account", "dns_settings", ...modelPath(err.path)], err.message, { code: err.code });
    }
  }
  return out;
}

/** `registrar:`: the address, the names, each domain checked as the API checks a PUT. */
function loadRegistrar(cfg: Shaped, add: Add, locate: Locate): LoadedConfig["registrar"] {
  const r = cfg.registrar;
  if (r === null) return undefined;
  let names: { origin: string; nameserver: string };
  try {
    names = registrarNames(r.origin ?? undefined, r.nameserver ?? undefined);
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    add(["registrar", e.path ?? "origin"], e.message, { code: e.code });
    return undefined;
  }
  const out: NonNullable<LoadedConfig["registrar"]> = { ...names, domains: {}, lines: {} };
  if (r.listen !== undefined && r.listen !== null) {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(r.listen);
    const port = Number(m?.[3]);
    if (m === null || port > 65535)
      add(["registrar", "listen"], "not HOST:PORT (e.g. 127.53.0.2:53)");
    else Object.assign(out, { host: m[1] ?? m[2], port });
  }
  for (const [i, sec] of (r.secondaries ?? []).entries()) {
    const port = sec.port ?? 53;
    if (isIP(sec.ip) === 0)
      add(["registrar", "secondaries", i, "ip"], "not an IPv4 or IPv6 address");
    else if (!Number.isInteger(port) || port < 1 || port > 65535)
      add(["registrar", "secondaries", i, "port"], "a port from 1 to 65535");
    else {
      out.secondaries ??= [];
      out.secondaries.push({ host: sec.ip, port });
    }
  }
  for (const [name, body] of r.domains) {
    if (body === undefined) continue; // its shape is wrong (reported)
    const at: ConfigPath = ["registrar", "domains", name];
    try {
      checkDomain(names.origin, names.nameserver, name, body);
      out.domains[name] = body;
      out.lines[name] = locate(at, true);
    } catch (e) {
      if (!(e instanceof SettingsError)) throw e;
      add([...at, ...domainField(e.path)], withoutPath(e.message, e.path), { code: e.code });
    }
  }
  return out;
}

/**
 * A registrar domain of the file refused at start, when only the zones could judge it (the
 * registrar's SettingsError, path `domains.NAME.field`): as a ConfigError with its line.
 */
export function registrarDomainError(
  config: LoadedConfig,
  e: SettingsError,
): ConfigError | undefined {
  const r = config.registrar;
  const name = Object.keys(r?.domains ?? {}).find((d) => e.path?.startsWith(`domains.${d}`));
  if (r === undefined || name === undefined) return undefined;
  const field = e.path!.slice(`domains.${name}`.length + 1);
  const reason = e.message.replace(/^registrar domain \S+: /, "");
  const problem: ConfigProblem = {
    path: formatPath(["registrar", "domains", name, ...domainField(field)]),
    reason: withoutPath(reason, field),
    code: e.code,
  };
  if (r.lines[name] !== undefined) problem.line = r.lines[name];
  return new ConfigError(config.source, [problem]);
}

/** checkDomain's field (`glue.NAME[0]`, `ds[1]`, `nameservers`) as a config path. */
function domainField(path: string | undefined): ConfigPath {
  if (path === undefined || path === "name" || path === "") return [];
  const m = /^(nameservers|glue|ds)(?:\.(.+?))?(?:\[(\d+)\])?$/.exec(path);
  if (m === null) return [path];
  return [m[1], ...(m[2] ? [m[2]] : []), ...(m[3] ? [Number(m[3])] : [])];
}

/** A message without the field it starts with: the config path names it already. */
function withoutPath(message: string, path: string | undefined): string {
  return path && message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message;
}

function loadRateLimit(cfg: Shaped, add: Add): RateLimit | undefined {
  const text = cfg.api?.rate_limit;
  if (text === undefined || text === null) return undefined;
  try {
    return parseRateLimit(text);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    add(["api", "rate_limit"], err.message);
    return undefined;
  }
}

function loadTsigs(cfg: Shaped, settings: TransferSettings, add: Add): Loaded {
  const loaded: Loaded = new Map();
  const first = new Map<string, number>();
  cfg.tsigs.forEach(({ value: t, name }, i) => {
    if (t === undefined) {
      // Its shape is wrong (reported): peers that name it are not reported again.
      if (name !== undefined) loaded.set(tsigKey(name) ?? name, undefined);
      return;
    }
    // The key of a TSIG name: case-insensitive, trailing dot optional (RFC 8945 §4.2).
    const key = tsigKey(t.name);
    if (key !== undefined) {
      const j = first.get(key);
      if (j !== undefined) {
        add(["tsigs", i, "name"], `a TSIG named "${t.name}" is already defined at tsigs[${j}]`);
        return;
      }
      first.set(key, i);
    }
    try {
      const id = key === undefined ? undefined : derivedId("tsig", key);
      loaded.set(key ?? t.name, settings.createTsig(t, id === undefined ? {} : { id }).id);
    } catch (err) {
      if (!(err instanceof SettingsError)) throw err;
      add(["tsigs", i, ...modelPath(err.path)], err.message, { code: err.code });
      loaded.set(key ?? t.name, undefined);
    }
  });
  return loaded;
}

function loadPeers(cfg: Shaped, settings: TransferSettings, tsigs: Loaded, add: Add): Loaded {
  const loaded: Loaded = new Map();
  const first = new Map<string, number>();
  const tsigNames = names(cfg.tsigs);
  cfg.peers.forEach(({ value: p, name }, i) => {
    if (p === undefined) {
      if (name !== undefined) loaded.set(name, undefined);
      return;
    }
    const j = first.get(p.name);
    if (j !== undefined) {
      add(["peers", i, "name"], `a peer named "${p.name}" is already defined at peers[${j}]`);
      return;
    }
    first.set(p.name, i);
    let tsigId: string | undefined;
    if (p.tsig !== undefined && p.tsig !== null && p.tsig !== "") {
      const key = tsigKey(p.tsig) ?? p.tsig;
      if (!tsigs.has(key)) {
        add(["peers", i, "tsig"], `no TSIG named "${p.tsig}"${didYouMean(p.tsig, tsigNames)}`);
      }
      tsigId = tsigs.get(key);
      if (tsigId === undefined) {
        loaded.set(p.name, undefined); // reported above, or where the TSIG itself failed
        return;
      }
    }
    try {
      const input = {
        name: p.name,
        ip: p.ip,
        port: p.port,
        ixfr_enable: p.ixfr_enable,
        tsig_id: tsigId,
      };
      loaded.set(p.name, settings.createPeer(input, { id: derivedId("peer", p.name) }).id);
    } catch (err) {
      if (!(err instanceof SettingsError)) throw err;
      const path = modelPath(err.path).map((s) => (s === "tsig_id" ? "tsig" : s));
      add(["peers", i, ...path], err.message, { code: err.code });
      loaded.set(p.name, undefined);
    }
  });
  return loaded;
}

function loadAcls(cfg: Shaped, settings: TransferSettings, add: Add): void {
  const first = new Map<string, number>();
  cfg.acls.forEach(({ value: a }, i) => {
    if (a === undefined) return;
    const j = first.get(a.name);
    if (j !== undefined) {
      add(["acls", i, "name"], `an ACL named "${a.name}" is already defined at acls[${j}]`);
      return;
    }
    first.set(a.name, i);
    try {
      settings.createAcl(a, { id: derivedId("acl", a.name) });
    } catch (err) {
      if (!(err instanceof SettingsError)) throw err;
      add(["acls", i, ...modelPath(err.path)], err.message, { code: err.code });
    }
  });
}

function loadZones(
  cfg: Shaped,
  settings: TransferSettings,
  peers: Loaded,
  add: Add,
  locate: Locate,
): Pick<LoadedConfig, "dnsSettings" | "zones" | "faults"> {
  const dnsSettings: LoadedConfig["dnsSettings"] = {};
  const zones: ConfigZone[] = [];
  const faults: ConfigFault[] = [];
  // The store that will hold them judges them, over the peers of this file.
  const judge = new Faults(peersOf(settings));
  const first = new Map<string, string>();
  const peerNames = names(cfg.peers);
  for (const z of cfg.zones) {
    const zone = z.key;
    let name: string;
    try {
      name = canonicalName(zone);
    } catch (err) {
      add(["zones", zone], `not a zone name: ${(err as Error).message}`, {
        code: INVALID_NAME,
        atKey: true,
      });
      continue;
    }
    const other = first.get(nameKey(name));
    if (other !== undefined) {
      add(["zones", zone], `zone ${name} is already configured as "${other}"`, { atKey: true });
      continue;
    }
    first.set(nameKey(name), zone);
    const entry: ConfigZone = { key: zone, name, create: z.create };
    const line = locate(["zones", zone], true);
    if (line !== undefined) entry.line = line;
    if (z.whole) zones.push(entry);
    if (entry.create) {
      // Created as POST /zones creates a zone: a name that endpoint refuses is refused here.
      try {
        zoneName(zone);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        add(["zones", zone, "create"], `cannot create ${zone}: ${err.message}`);
      }
    }
    if (!z.entitled) settings.setEntitled(name, false);
    const ds = z.dnsSettings;
    if (ds !== undefined && checkDnsSettings(name, ds, ["zones", zone], add)) {
      dnsSettings[name] = ds;
    }
    (z.faults ?? []).forEach((entry, i) => {
      if (entry === undefined) return;
      const at: ConfigPath = ["zones", zone, "faults", i];
      const spec = faultSpec(entry, at, peers, peerNames, add);
      if (spec === undefined) return;
      try {
        judge.add(nameKey(name), spec, "config");
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        // The entry's line: the store's message names the parameter.
        add(at, err.message, { code: err.code });
        return;
      }
      const f: ConfigFault = { zone: name, spec };
      const line = locate(at, false);
      if (line !== undefined) f.line = line;
      faults.push(f);
    });
    const out = z.outgoing;
    if (out === undefined) continue;
    const base: ConfigPath = ["zones", zone, "outgoing"];
    const ids: string[] = [];
    let complete = true;
    (out.peers ?? []).forEach((peerName, j) => {
      if (!peers.has(peerName)) {
        add([...base, "peers", j], `no peer named "${peerName}"${didYouMean(peerName, peerNames)}`);
      }
      const id = peers.get(peerName);
      if (id === undefined) complete = false;
      else ids.push(id);
    });
    if (!complete) continue;
    try {
      settings.createOutgoing(name, { peers: ids, status: out.status });
    } catch (err) {
      if (!(err instanceof SettingsError)) throw err;
      add([...base, ...modelPath(err.path)], err.message, { code: err.code });
    }
  }
  return { dnsSettings, zones, faults };
}

/**
 * A `faults:` entry as the store takes it: `peer` (a name, as the file names objects) becomes
 * `peer_id`; undefined when the peer is unknown (reported) or failed to load (reported where
 * it is defined).
 */
function faultSpec(
  entry: Record<string, unknown>,
  at: ConfigPath,
  peers: Loaded,
  peerNames: string[],
  add: Add,
): FaultSpec | undefined {
  const { peer, ...spec } = entry;
  if (Object.hasOwn(spec, "peer_id")) {
    add(
      [...at, "peer_id"],
      'unknown field (a fault names its peer in a file: write "peer: <peer name>")',
      {
        atKey: true,
        kind: "unknown",
      },
    );
    return undefined;
  }
  if (peer === undefined || peer === null) return spec as FaultSpec;
  if (typeof peer !== "string") {
    add([...at, "peer"], `expected a peer's name, not ${shown(peer)}`);
    return undefined;
  }
  if (!peers.has(peer)) {
    add([...at, "peer"], `no peer named "${peer}"${didYouMean(peer, peerNames)}`);
    return undefined;
  }
  const id = peers.get(peer);
  return id === undefined ? undefined : ({ ...spec, peer_id: id } as FaultSpec);
}

/**
 * A zone's `dns_settings`, judged by the API's own code (rules/dns-settings.ts) one field at
 * a time, so every wrong field is reported, and a name that is not a setting as an unknown
 * field with a suggestion. True when all are right.
 */
function checkDnsSettings(
  zone: string,
  ds: Record<string, unknown>,
  at: ConfigPath,
  add: Add,
): boolean {
  const base = newZoneSettings(zone).dns;
  const fields = Object.keys(base).filter((k) => k !== "soa");
  let ok = true;
  for (const [k, v] of Object.entries(ds)) {
    const path: ConfigPath = [...at, "dns_settings", k];
    if (k === "soa") {
      add(path, "the SOA comes from the zone file: set it there, or through the API");
      ok = false;
    } else if (!Object.hasOwn(base, k)) {
      unknownField(path, fields, add);
      ok = false;
    } else {
      try {
        patchDnsSettings(base, { [k]: v });
      } catch (err) {
        if (!(err instanceof SettingsError)) throw err;
        add([...at, "dns_settings", ...modelPath(err.path)], err.message, { code: err.code });
        ok = false;
      }
    }
  }
  return ok;
}

/** A key its object does not have, with the one it most likely meant. */
function unknownField(path: ConfigPath, allowed: string[], add: Add): void {
  const key = String(path[path.length - 1]);
  const hint = KEY_HINTS[key] ?? didYouMean(key, allowed);
  const expected = allowed.length > 0 ? ` (expected ${allowed.join(", ")})` : "";
  add(path, `unknown field${hint === "" ? expected : hint}`, { atKey: true, kind: "unknown" });
}

/** Problems the schema found, in words a person fixing a file understands. */
function shapeProblem(issue: z.core.$ZodIssue, at: ConfigPath, add: Add): void {
  const path = [...at, ...issue.path.map((s) => (typeof s === "symbol" ? String(s) : s))];
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = keysAt(path);
      for (const key of issue.keys) unknownField([...path, key], allowed, add);
      return;
    }
    case "invalid_type": {
      if (issue.input === undefined) {
        add(
          path,
          issue.expected === "string" ? "required" : `required: ${describe(issue.expected)}`,
          { kind: "missing" },
        );
        return;
      }
      const quote =
        issue.expected === "string" && typeof issue.input === "number" ? " (put it in quotes)" : "";
      add(path, `expected ${describe(issue.expected)}, not ${shown(issue.input)}${quote}`);
      return;
    }
    case "invalid_value": {
      const values = issue.values.map((v) => JSON.stringify(v)).join(" or ");
      if (issue.input === undefined) add(path, `required: ${values}`, { kind: "missing" });
      else add(path, `must be ${values}, not ${shown(issue.input)}`);
      return;
    }
    default:
      add(path, issue.message);
  }
}

/** Keys that are right in the API but not in a file, with what to write instead. */
const KEY_HINTS: Record<string, string> = {
  tsig_id: ' (a peer names its TSIG in a file: write "tsig: <TSIG name>")',
  id: " (ids of objects in a file are derived from their names)",
};

function describe(type: unknown): string {
  switch (type) {
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "true or false";
    case "array":
      return "a list";
    case "object":
    case "record":
      return "a mapping (key: value)";
    default:
      return String(type);
  }
}

function shown(v: unknown): string {
  if (v === null) return "an empty value";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return JSON.stringify(v) ?? String(v);
}

function didYouMean(word: string, candidates: Iterable<string>): string {
  const s = suggest(word, candidates);
  return s === undefined ? "" : ` (did you mean "${s}"?)`;
}

function tsigKey(name: string): string | undefined {
  try {
    return nameKey(canonicalName(name));
  } catch {
    return undefined;
  }
}

/** The names objects of a list were given, for suggestions. */
function names(items: Item<unknown>[]): string[] {
  return items.flatMap((i) => (i.name === undefined ? [] : [i.name]));
}

/** A SettingsError path ("name", "peers[3]") as path segments. */
function modelPath(path: string | undefined): ConfigPath {
  if (path === undefined) return [];
  const out: ConfigPath = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  }
  return out;
}
