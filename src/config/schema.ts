/**
 * The shape of the transfer configuration file (YAML or JSON), as a zod schema.
 *
 * The schema checks structure and types only: which keys exist (every object is strict, so a
 * typo is an error, not a silently ignored setting) and what type each value has. The values
 * themselves (names, addresses, ranges, algorithms, limits) are judged by the transfer
 * settings (src/cloudflare/transfer/settings.ts), the same code that judges the REST API, so the file and
 * the API can never disagree about what is valid.
 *
 * Inside objects the field names are Cloudflare's (cloudflare.md §3). The differences from the
 * API are deliberate: objects are referred to by name, not by id (a peer's `tsig` instead of
 * `tsig_id`, a zone's `outgoing.peers` lists peer names), and zones are keyed by their name.
 *
 * ```yaml
 * account:
 *   id: 01a7362d577a6c3019a474fd6f485823
 *   name: Lab account
 *   dns_settings: { zone_defaults: { multi_provider: true }, enforce_dns_only: false }
 * tsigs:
 *   - { name: sec1., algo: hmac-sha256, secret: "base64..." }
 * peers:
 *   - { name: local-bind, ip: 127.0.0.1, port: 5301, ixfr_enable: true, tsig: sec1. }
 * acls:
 *   - { name: lab-net, ip_range: 127.0.0.0/24 }
 * zones:
 *   example.com:
 *     outgoing: { peers: [local-bind], status: Enabled }
 *     dns_settings: { multi_provider: true }
 *     faults:
 *       - { kind: xfr-truncate, after_messages: 2, peer: local-bind, times: 1 }
 *   new.example:
 *     create: true
 * ```
 *
 * Empty values (`peers:` with nothing after it) count as absent.
 *
 * Each object is checked on its own (build.ts), so a mistake in one hides nothing in another.
 */

import { z } from "zod";

export const accountSchema = z.strictObject({
  /** 32 lowercase hex; derived from the name when left out. */
  id: z.string().nullish(),
  /** Default: the default account's name, "dns-primary". */
  name: z.string().nullish(),
  /**
   * The account's DNS settings as `PATCH /accounts/{id}/dns_settings` takes them
   * (`zone_defaults`, `enforce_dns_only`); judged by rules/account-settings.ts.
   */
  dns_settings: z.record(z.string(), z.unknown()).nullish(),
});

export const apiSchema = z.strictObject({
  rate_limit: z.string().nullish(),
});

export const tsigSchema = z.strictObject({
  name: z.string(),
  algo: z.string(),
  // Required in a file, unlike the API: a secret generated at every start could never match
  // the secondary's copy.
  secret: z.string(),
});

export const peerSchema = z.strictObject({
  name: z.string(),
  ip: z.string().nullish(),
  port: z.number().nullish(),
  ixfr_enable: z.boolean().nullish(),
  /** The name of a TSIG defined under `tsigs`. */
  tsig: z.string().nullish(),
});

export const aclSchema = z.strictObject({
  name: z.string(),
  ip_range: z.string(),
});

export const outgoingSchema = z.strictObject({
  /** Names of peers defined under `peers`. */
  peers: z.array(z.string()).nullish(),
  // Required here: Cloudflare creates an outgoing configuration disabled and enables it with
  // a separate call, and a file that links peers but silently leaves transfers off would be a
  // trap. Saying it is the clearer choice.
  status: z.enum(["Enabled", "Disabled"]),
});

/**
 * A fault a zone starts with (docs/faults.md): `kind`, the kind's parameters, `times`,
 * `source`, and `peer` (a peer's name, where the API takes `peer_id`). Its keys and values are
 * judged by the fault store (faults/faults.ts), the code that judges the API.
 */
export const faultSchema = z.record(z.string(), z.unknown());

export const zoneSchema = z.strictObject({
  /**
   * Every zone named here must be served at start (a zone file, the library's `zones`, the
   * data dir): a name nothing serves is a typo far more often than a plan. `create: true`
   * says it is a plan: when nothing serves the zone, it is created at start as
   * `POST /zones` creates one (Cloudflare's SOA and assigned nameservers, no records), to be
   * filled through the API. In Cloudflare an outgoing configuration belongs to a zone that
   * exists (deleting the zone deletes it), so the zone is created rather than the
   * configuration kept waiting for one.
   */
  create: z.boolean().nullish(),
  /**
   * Whether the account team has enabled the zone for outgoing zone transfers (the setup
   * guide's first step); default true. False: its outgoing routes answer 403 and nothing is
   * transferred or notified (transfer/settings.ts `entitled`).
   */
  outgoing_entitled: z.boolean().nullish(),
  outgoing: outgoingSchema.nullish(),
  /**
   * The zone's DNS settings as `PATCH /zones/{id}/dns_settings` takes them (multi_provider,
   * flatten_all_cnames, ns_ttl, ...), judged by the same code (rules/dns-settings.ts). The
   * SOA comes from the zone file, so `soa` is not taken here.
   */
  dns_settings: z.record(z.string(), z.unknown()).nullish(),
  /** Faults the zone starts with, added again at every start (faultSchema). */
  faults: z.array(faultSchema).nullish(),
});

/** One domain at the registrar, as `PUT /dns-primary/v1/registrar/domains/{name}` takes it. */
export const registrarDomainSchema = z.strictObject({
  nameservers: z.array(z.string()).nullish(),
  glue: z.record(z.string(), z.array(z.string())).nullish(),
  ds: z.array(z.string()).nullish(),
});

/**
 * The registrar's parent zone (docs/registrar.md): where it listens (`HOST:PORT`; the
 * command line's `--registrar` wins), its name and nameserver, and the domains it starts
 * with, keyed by name; judged by cloudflare/registrar.ts, the code that judges the API.
 */
export const registrarSchema = z.strictObject({
  listen: z.string().nullish(),
  origin: z.string().nullish(),
  nameserver: z.string().nullish(),
  domains: z.record(z.string(), registrarDomainSchema.nullable()).nullish(),
  /** The parent zone's own secondaries, transferring it and notified (port 53 unless given). */
  secondaries: z.array(z.strictObject({ ip: z.string(), port: z.number().nullish() })).nullish(),
});

export const configSchema = z.strictObject({
  account: accountSchema.nullish(),
  /** The REST API: `rate_limit: 1200/300` emulates Cloudflare's rate limit (N per SECONDS). */
  api: apiSchema.nullish(),
  tsigs: z.array(tsigSchema).nullish(),
  peers: z.array(peerSchema).nullish(),
  acls: z.array(aclSchema).nullish(),
  /** Keyed by zone name, trailing dot optional. */
  zones: z.record(z.string(), zoneSchema.nullable()).nullish(),
  registrar: registrarSchema.nullish(),
});

export type ConfigFile = z.infer<typeof configSchema>;

/**
 * The same file checked a level at a time (build.ts): an object's own keys, then each of its
 * values that is itself a section or an object, so that a mistake in one object hides
 * nothing in another.
 */
export function keysOnly(schema: { shape: Record<string, unknown> }) {
  return z.strictObject(
    Object.fromEntries(Object.keys(schema.shape).map((k) => [k, z.unknown().optional()])),
  );
}
export const topSchema = keysOnly(configSchema);
export const zoneKeysSchema = keysOnly(zoneSchema);
/** A section's container alone: `tsigs`, `peers`, `acls` are lists, `zones` a mapping. */
export const listSchema = z.array(z.unknown()).nullish();
export const zonesSchema = z.record(z.string(), z.unknown()).nullish();

/** The keys an object at `path` may have, for "unknown field" messages. */
export function keysAt(path: readonly PropertyKey[]): string[] {
  const [top, , third] = path;
  let schema: { shape: Record<string, unknown> } | undefined;
  if (path.length === 0) schema = configSchema;
  else if (top === "account" && path.length === 1) schema = accountSchema;
  else if (top === "api" && path.length === 1) schema = apiSchema;
  else if (path.length === 2 && top === "tsigs") schema = tsigSchema;
  else if (path.length === 2 && top === "peers") schema = peerSchema;
  else if (path.length === 2 && top === "acls") schema = aclSchema;
  else if (path.length === 2 && top === "zones") schema = zoneSchema;
  else if (path.length === 3 && top === "zones" && third === "outgoing") schema = outgoingSchema;
  else if (top === "registrar" && path.length === 1) schema = registrarSchema;
  else if (top === "registrar" && path.length === 3) schema = registrarDomainSchema;
  return schema === undefined ? [] : Object.keys(schema.shape);
}
