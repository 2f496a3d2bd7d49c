/**
 * A configuration object → the transfer settings it describes.
 *
 * Two steps: the zod schema checks the shape (src/config/schema.ts), then every object is
 * created through TransferSettings, which judges the values exactly as the REST API will.
 * Names are resolved to ids here: the file says `tsig: sec1.` where the API says `tsig_id`.
 *
 * Every problem is collected, not just the first, but a problem is reported once: a peer whose
 * TSIG failed to load is skipped quietly, and so is a zone that links such a peer.
 *
 * Ids of objects defined here are derived from kind and name (derivedId), so a restart with
 * the same file gives the same ids and labs can script against them.
 */

import type { z } from "zod";
import { newZoneSettings, patchDnsSettings } from "../rules/dns-settings.js";
import {
  derivedId,
  SETTINGS_ERRORS,
  SettingsError,
  TransferSettings,
} from "../transfer/settings.js";
import { canonicalName, nameKey } from "../wire/name.js";
import { ConfigError, type ConfigProblem, formatPath, suggest } from "./errors.js";
import { type ConfigFile, configSchema, keysAt } from "./schema.js";

export type ConfigPath = (string | number)[];

/** The 1-based line of `path` in the source, when known; `atKey` asks for a mapping key's line. */
export type Locate = (path: ConfigPath, atKey: boolean) => number | undefined;

export interface Account {
  id: string;
  name: string;
}

export interface LoadedConfig {
  settings: TransferSettings;
  account?: Account;
  /** DNS settings by zone (canonical name), as PATCH dns_settings bodies, already checked. */
  dnsSettings: Record<string, Record<string, unknown>>;
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

export function buildConfig(
  obj: unknown,
  source: string,
  locate: Locate,
  opts: ConfigOptions,
): LoadedConfig {
  const problems: ConfigProblem[] = [];
  const add = (path: ConfigPath, reason: string, code?: number, atKey = false): void => {
    const p: ConfigProblem = { path: formatPath(path), reason };
    const line = locate(path, atKey);
    if (line !== undefined) p.line = line;
    if (code !== undefined) p.code = code;
    problems.push(p);
  };

  // An empty file is an empty configuration.
  const parsed = configSchema.safeParse(obj ?? {}, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) shapeProblem(issue, add);
    throw new ConfigError(source, problems);
  }
  const cfg = parsed.data;
  const settings = new TransferSettings(opts.now === undefined ? {} : { now: opts.now });
  const account = loadAccount(cfg, add);
  const tsigs = loadTsigs(cfg, settings, add);
  const peers = loadPeers(cfg, settings, tsigs, add);
  loadAcls(cfg, settings, add);
  const dnsSettings = loadZones(cfg, settings, peers, add);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return account === undefined ? { settings, dnsSettings } : { settings, account, dnsSettings };
}

type Add = (path: ConfigPath, reason: string, code?: number, atKey?: boolean) => void;

/** Ids by lookup key; keys whose object failed to load map to undefined. */
type Loaded = Map<string, string | undefined>;

function loadAccount(cfg: ConfigFile, add: Add): Account | undefined {
  const a = cfg.account;
  if (a === undefined || a === null) return undefined;
  if (a.name === "") add(["account", "name"], "an account name is required");
  if (a.id !== undefined && a.id !== null && !ID_RE.test(a.id)) {
    add(["account", "id"], `"${a.id}" is not 32 lowercase hexadecimal digits`);
  }
  return { id: a.id ?? derivedId("account", a.name), name: a.name };
}

function loadTsigs(cfg: ConfigFile, settings: TransferSettings, add: Add): Loaded {
  const loaded: Loaded = new Map();
  const first = new Map<string, number>();
  (cfg.tsigs ?? []).forEach((t, i) => {
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
      add(["tsigs", i, ...modelPath(err.path)], err.message, err.code);
      loaded.set(key ?? t.name, undefined);
    }
  });
  return loaded;
}

function loadPeers(cfg: ConfigFile, settings: TransferSettings, tsigs: Loaded, add: Add): Loaded {
  const loaded: Loaded = new Map();
  const first = new Map<string, number>();
  (cfg.peers ?? []).forEach((p, i) => {
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
        add(["peers", i, "tsig"], `no TSIG named "${p.tsig}"${didYouMean(p.tsig, tsigNames(cfg))}`);
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
      add(["peers", i, ...path], err.message, err.code);
      loaded.set(p.name, undefined);
    }
  });
  return loaded;
}

function loadAcls(cfg: ConfigFile, settings: TransferSettings, add: Add): void {
  const first = new Map<string, number>();
  (cfg.acls ?? []).forEach((a, i) => {
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
      add(["acls", i, ...modelPath(err.path)], err.message, err.code);
    }
  });
}

function loadZones(
  cfg: ConfigFile,
  settings: TransferSettings,
  peers: Loaded,
  add: Add,
): LoadedConfig["dnsSettings"] {
  const dnsSettings: LoadedConfig["dnsSettings"] = {};
  const first = new Map<string, string>();
  for (const [zone, z] of Object.entries(cfg.zones ?? {})) {
    let name: string;
    try {
      name = canonicalName(zone);
    } catch (err) {
      add(["zones", zone], `not a zone name: ${(err as Error).message}`, INVALID_NAME, true);
      continue;
    }
    const other = first.get(nameKey(name));
    if (other !== undefined) {
      add(["zones", zone], `zone ${name} is already configured as "${other}"`, undefined, true);
      continue;
    }
    first.set(nameKey(name), zone);
    const ds = z?.dns_settings;
    if (ds !== undefined && ds !== null) {
      const base: ConfigPath = ["zones", zone, "dns_settings"];
      if (Object.hasOwn(ds, "soa")) {
        add([...base, "soa"], "the SOA comes from the zone file: set it there, or through the API");
      } else {
        try {
          patchDnsSettings(newZoneSettings(name).dns, ds);
          dnsSettings[name] = ds;
        } catch (err) {
          if (!(err instanceof SettingsError)) throw err;
          add([...base, ...(err.path ? [err.path] : [])], err.message, err.code);
        }
      }
    }
    const out = z?.outgoing;
    if (out === undefined || out === null) continue;
    const base: ConfigPath = ["zones", zone, "outgoing"];
    const ids: string[] = [];
    let complete = true;
    (out.peers ?? []).forEach((peerName, j) => {
      if (!peers.has(peerName)) {
        const names = (cfg.peers ?? []).map((p) => p.name);
        add([...base, "peers", j], `no peer named "${peerName}"${didYouMean(peerName, names)}`);
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
      add([...base, ...modelPath(err.path)], err.message, err.code);
    }
  }
  return dnsSettings;
}

/** Problems the schema found, in words a person fixing a file understands. */
function shapeProblem(issue: z.core.$ZodIssue, add: Add): void {
  const path = issue.path.map((s) => (typeof s === "symbol" ? String(s) : s));
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = keysAt(issue.path);
      for (const key of issue.keys) {
        const hint = KEY_HINTS[key] ?? didYouMean(key, allowed);
        const expected = allowed.length > 0 ? ` (expected ${allowed.join(", ")})` : "";
        add([...path, key], `unknown key${hint === "" ? expected : hint}`, undefined, true);
      }
      return;
    }
    case "invalid_type": {
      if (issue.input === undefined) {
        add(
          path,
          issue.expected === "string" ? "required" : `required: ${describe(issue.expected)}`,
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
      add(
        path,
        issue.input === undefined
          ? `required: ${values}`
          : `must be ${values}, not ${shown(issue.input)}`,
      );
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

function tsigNames(cfg: ConfigFile): string[] {
  return (cfg.tsigs ?? []).map((t) => t.name);
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
