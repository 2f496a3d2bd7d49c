/**
 * The errors of Cloudflare's API, one table (as fastify's lib/errors.js): every code
 * dns-primary answers with is here, and only here, whichever face raised it (the REST routes,
 * the library's handles, the config file). The model throws them; the HTTP layer only turns
 * them into the envelope (api/errors.ts). The secondary-DNS objects (TSIGs, peers, ACLs,
 * outgoing) and the DNS settings raise the second table's `SettingsError`, which also carries
 * the input field at fault; its codes are in 890xx.
 *
 * Codes Cloudflare's API is known to return keep Cloudflare's number and wording
 * (cloudflare.md §3; 6007 and 9207 as the live API answers them); the others are
 * dns-primary's own, in 891xx (892xx for fault injection; the settings use 890xx), and never
 * change meaning.
 * Validation problems are 400, never 409: the official SDK retries 409 (cloudflare.md §3).
 *
 * | code  | status | name               | when                                                    |
 * |-------|--------|--------------------|---------------------------------------------------------|
 * | 10000 | 403    | AUTHENTICATION     | an API token is required and the one given is not it    |
 * | 9106  | 400    | MISSING_CREDENTIALS | an API token is required and no credential was sent    |
 * | 6003  | 400    | INVALID_HEADERS    | half of X-Auth-Email/X-Auth-Key, or a malformed Authorization (the header in `error_chain`) |
 * | 971   | 429    | RATE_LIMITED       | over the API rate limit, when one is set (api/rate-limit.ts) |
 * | 7000  | 404    | NO_ROUTE           | no route for that method and path                       |
 * | 7003  | 404    | NOT_FOUND          | an account or zone id that routes nowhere               |
 * | 6007  | 400    | MALFORMED_JSON     | a body that is not JSON, or that tries prototype keys   |
 * | 9207  | 400    | CONTENT_TYPE       | a body that is not application/json                     |
 * | 89101 | 413    | BODY_TOO_LARGE     | a body over the limit (default 1 MiB)                   |
 * | 89102 | 400    | INVALID_QUERY      | a query parameter out of range (page, per_page, ...)    |
 * | 89103 | 400    | BAD_REQUEST        | a request the HTTP layer could not read                 |
 * | 9000  | 400    | INVALID_NAME       | a record name that is not a DNS name, or not in the zone |
 * | 9004  | 400    | INVALID_TYPE       | a record type unknown, meta (ANY, AXFR, OPT...) or SOA  |
 * | 9005  | 400    | CONTENT_A          | A record content that is not an IPv4 address            |
 * | 9006  | 400    | CONTENT_AAAA       | AAAA record content that is not an IPv6 address         |
 * | 9007  | 400    | CONTENT_CNAME      | CNAME content that is not a host name, or is the owner  |
 * | 1004  | 400    | INVALID_CONTENT    | record content or data invalid for its type (Cloudflare's "DNS Validation Error" code) |
 * | 9021  | 400    | INVALID_TTL        | a TTL other than 1 (automatic) or 30..86400             |
 * | 9041  | 400    | INVALID_PROXIED    | proxied set on a type other than A, AAAA, CNAME         |
 * | 89105 | 403    | NOT_ENTITLED       | the zone's outgoing-transfer routes, while the zone is not enabled for outgoing zone transfers (Cloudflare's answer is not documented: a decision) |
 * | 89106 | 403    | NOT_EMULATED       | an endpoint Cloudflare has that dns-primary does not emulate (api/routes/not-emulated.ts); 403, not 5xx, which the SDK would retry |
 * | 89104 | 400    | INVALID_FIELD      | a record field of the wrong JSON type or out of range (comment, tags, settings, priority, data) |
 * | 81044 | 404    | RECORD_NOT_FOUND   | a DNS record id that matches no record of the zone      |
 * | 81053 | 400    | HOST_CONFLICT      | an A/AAAA/CNAME where a CNAME (or, for a CNAME, any A/AAAA/CNAME) has the name |
 * | 81054 | 400    | CNAME_CONFLICT     | a record where a CNAME already has the name             |
 * | 81056 | 400    | NS_CONFLICT        | NS and another type at one name                         |
 * | 81057 | 400    | RECORD_EXISTS      | a record identical to one that exists                   |
 * | 1061  | 400    | ZONE_EXISTS        | creating a zone that is already served                  |
 * | 1049  | 400    | INVALID_ZONE_NAME  | a zone name that is not a registrable-looking domain    |
 * | 89199 | 500    | INTERNAL           | a fault of the server; details go to the log only       |
 * | 89201 | 400    | UNKNOWN_FAULT_KIND | a fault kind that is not one of faults/kinds.ts          |
 * | 89202 | 400    | INVALID_FAULT      | a fault parameter or scope missing, unknown or out of range |
 * | 89203 | 404    | FAULT_NOT_FOUND    | no fault with that id on the zone                       |
 */

/** One error as Cloudflare's v4 envelope lists it (cloudflare.md §3). */
export interface ApiErrorItem {
  code: number;
  message: string;
  /** The causes under a general error, as Cloudflare nests them (6003 → 6100, 6111...). */
  error_chain?: ApiErrorItem[];
}

export const API_ERRORS = {
  AUTHENTICATION: { code: 10000, status: 403 },
  MISSING_CREDENTIALS: { code: 9106, status: 400 },
  INVALID_HEADERS: { code: 6003, status: 400 },
  RATE_LIMITED: { code: 971, status: 429 },
  NO_ROUTE: { code: 7000, status: 404 },
  NOT_FOUND: { code: 7003, status: 404 },
  MALFORMED_JSON: { code: 6007, status: 400 },
  CONTENT_TYPE: { code: 9207, status: 400 },
  BODY_TOO_LARGE: { code: 89101, status: 413 },
  INVALID_QUERY: { code: 89102, status: 400 },
  BAD_REQUEST: { code: 89103, status: 400 },
  INTERNAL: { code: 89199, status: 500 },
  INVALID_NAME: { code: 9000, status: 400 },
  INVALID_TYPE: { code: 9004, status: 400 },
  CONTENT_A: { code: 9005, status: 400 },
  CONTENT_AAAA: { code: 9006, status: 400 },
  CONTENT_CNAME: { code: 9007, status: 400 },
  INVALID_CONTENT: { code: 1004, status: 400 },
  INVALID_TTL: { code: 9021, status: 400 },
  INVALID_PROXIED: { code: 9041, status: 400 },
  INVALID_FIELD: { code: 89104, status: 400 },
  NOT_ENTITLED: { code: 89105, status: 403 },
  NOT_EMULATED: { code: 89106, status: 403 },
  RECORD_NOT_FOUND: { code: 81044, status: 404 },
  HOST_CONFLICT: { code: 81053, status: 400 },
  CNAME_CONFLICT: { code: 81054, status: 400 },
  NS_CONFLICT: { code: 81056, status: 400 },
  RECORD_EXISTS: { code: 81057, status: 400 },
  ZONE_EXISTS: { code: 1061, status: 400 },
  INVALID_ZONE_NAME: { code: 1049, status: 400 },
  UNKNOWN_FAULT_KIND: { code: 89201, status: 400 },
  INVALID_FAULT: { code: 89202, status: 400 },
  FAULT_NOT_FOUND: { code: 89203, status: 404 },
} as const;

export type ApiErrorName = keyof typeof API_ERRORS;

export class ApiError extends Error {
  override name = "ApiError";
  readonly kind: ApiErrorName;
  readonly code: number;
  readonly status: number;

  /** Cloudflare's `error_chain`: the causes under a general error (6003's header at fault). */
  readonly chain?: ApiErrorItem[];

  constructor(kind: ApiErrorName, message: string, chain?: ApiErrorItem[]) {
    super(message);
    this.kind = kind;
    this.code = API_ERRORS[kind].code;
    this.status = API_ERRORS[kind].status;
    if (chain !== undefined) this.chain = chain;
  }

  /** The envelope's error item. */
  item(): ApiErrorItem {
    return this.chain
      ? { code: this.code, message: this.message, error_chain: this.chain }
      : { code: this.code, message: this.message };
  }
}

export const invalidQuery = (message: string): ApiError => new ApiError("INVALID_QUERY", message);

/** A zone without the outgoing-transfer entitlement (transfer/settings.ts `entitled`). */
export const notEntitled = (zone: string): ApiError =>
  new ApiError(
    "NOT_ENTITLED",
    `Outgoing zone transfers are not enabled for zone ${zone}. Ask your account team to enable them.`,
  );

/* DNS records (records/). Messages as Cloudflare words them where it is known. */

/** `detail`, when given, follows Cloudflare's sentence (e.g. the zone the name must be in). */
export const invalidName = (detail?: string): ApiError =>
  new ApiError("INVALID_NAME", detail ? `DNS name is invalid. ${detail}` : "DNS name is invalid.");

export const invalidRecordType = (): ApiError =>
  new ApiError("INVALID_TYPE", "Invalid DNS record type");

/**
 * Content that does not fit its type: Cloudflare's own codes and sentences for A, AAAA and
 * CNAME; for the others 1004 with "Content for <TYPE> record is invalid." and the reason.
 */
export function invalidContent(type: string, reason?: string): ApiError {
  if (type === "A")
    return new ApiError("CONTENT_A", "Content for A record must be a valid IPv4 address.");
  if (type === "AAAA")
    return new ApiError("CONTENT_AAAA", "Content for AAAA record must be a valid IPv6 address.");
  const message = `Content for ${type} record is invalid.${reason ? ` ${reason}` : ""}`;
  return new ApiError(type === "CNAME" ? "CONTENT_CNAME" : "INVALID_CONTENT", message);
}

export const invalidTtl = (): ApiError =>
  new ApiError(
    "INVALID_TTL",
    "Invalid TTL. Must be between 30 and 86,400 seconds, or 1 for Automatic.",
  );

export const invalidProxied = (): ApiError =>
  new ApiError("INVALID_PROXIED", "Invalid proxied mode. Record cannot be proxied");

/** A record field of the wrong JSON type or out of range; `message` names the field. */
export const invalidField = (message: string): ApiError => new ApiError("INVALID_FIELD", message);

export const recordNotFound = (): ApiError =>
  new ApiError("RECORD_NOT_FOUND", "Record does not exist.");

export const hostConflict = (): ApiError =>
  new ApiError("HOST_CONFLICT", "An A, AAAA, or CNAME record with that host already exists.");

export const cnameConflict = (): ApiError =>
  new ApiError("CNAME_CONFLICT", "A CNAME record with that host already exists.");

export const nsConflict = (): ApiError =>
  new ApiError("NS_CONFLICT", "NS records with that host already exist.");

export const recordExists = (): ApiError => new ApiError("RECORD_EXISTS", "Record already exists.");

/**
 * The second table: the error the secondary-DNS objects (transfer/settings.ts) and the DNS
 * settings (rules/dns-settings.ts) raise.
 *
 * Every code the settings use is in the table below, and only there. Codes that Cloudflare's
 * API is known to return (the project's Cloudflare reference, cloudflare.md §3: 7003 for an id
 * that routes nowhere, 9000 for an invalid DNS name) keep Cloudflare's number; the rest
 * are dns-primary's own, in the 89xxx block that no known Cloudflare error uses, and never
 * change meaning once published. `status` is the HTTP status the REST API answers with:
 * 404 for an id or zone configuration that does not exist, 400 for everything else (never 409:
 * the official SDK retries 409, cloudflare.md §3).
 *
 * | code  | status | name                | when                                                     |
 * |-------|--------|---------------------|----------------------------------------------------------|
 * | 7003  | 404    | NOT_FOUND           | no TSIG, peer or ACL with that id; no outgoing config     |
 * | 9000  | 400    | INVALID_NAME        | a TSIG or zone name that is not a valid domain name      |
 * | 89001 | 400    | INVALID_FIELD       | a field missing, of the wrong type, or out of range      |
 * | 89002 | 400    | INVALID_ID          | an id that is not 32 lowercase hexadecimal digits        |
 * | 89003 | 400    | INVALID_ALGORITHM   | a TSIG algorithm outside the six of RFC 8945 §6          |
 * | 89004 | 400    | INVALID_SECRET      | a TSIG secret that is not base64                         |
 * | 89005 | 400    | INVALID_IP          | a peer ip that is not an IPv4 or IPv6 address            |
 * | 89006 | 400    | INVALID_IP_RANGE    | an ACL ip_range that is not address/prefix               |
 * | 89007 | 400    | ACL_RANGE_TOO_WIDE  | an ACL wider than /24 (IPv4) or /64 (IPv6), §4           |
 * | 89008 | 400    | DUPLICATE_NAME      | a second TSIG with the same name (names select the key)  |
 * | 89009 | 400    | DUPLICATE_ID        | an explicit id that is already taken                     |
 * | 89010 | 400    | UNKNOWN_TSIG        | a peer's tsig_id that names no TSIG                      |
 * | 89011 | 400    | UNKNOWN_PEER        | an outgoing config linking a peer id that does not exist |
 * | 89012 | 400    | TOO_MANY_PEERS      | more than 30 peers linked to one zone, §4                |
 * | 89013 | 400    | TSIG_MISMATCH       | peers linked to one zone that do not share one TSIG, §2  |
 * | 89014 | 400    | TSIG_IN_USE         | deleting a TSIG that a peer still uses                   |
 * | 89015 | 400    | PEER_IN_USE         | deleting a peer that a zone still links                  |
 * | 89016 | 400    | DUPLICATE_PEER_LINK | the same peer id twice in one outgoing config            |
 * | 89017 | 400    | OUTGOING_EXISTS     | creating an outgoing config for a zone that has one      |
 * | 89018 | 400    | INVALID_STATUS      | an outgoing status other than "Enabled" or "Disabled"    |
 */

export const SETTINGS_ERRORS = {
  NOT_FOUND: { code: 7003, status: 404 },
  INVALID_NAME: { code: 9000, status: 400 },
  INVALID_FIELD: { code: 89001, status: 400 },
  INVALID_ID: { code: 89002, status: 400 },
  INVALID_ALGORITHM: { code: 89003, status: 400 },
  INVALID_SECRET: { code: 89004, status: 400 },
  INVALID_IP: { code: 89005, status: 400 },
  INVALID_IP_RANGE: { code: 89006, status: 400 },
  ACL_RANGE_TOO_WIDE: { code: 89007, status: 400 },
  DUPLICATE_NAME: { code: 89008, status: 400 },
  DUPLICATE_ID: { code: 89009, status: 400 },
  UNKNOWN_TSIG: { code: 89010, status: 400 },
  UNKNOWN_PEER: { code: 89011, status: 400 },
  TOO_MANY_PEERS: { code: 89012, status: 400 },
  TSIG_MISMATCH: { code: 89013, status: 400 },
  TSIG_IN_USE: { code: 89014, status: 400 },
  PEER_IN_USE: { code: 89015, status: 400 },
  DUPLICATE_PEER_LINK: { code: 89016, status: 400 },
  OUTGOING_EXISTS: { code: 89017, status: 400 },
  INVALID_STATUS: { code: 89018, status: 400 },
} as const;

export type SettingsErrorName = keyof typeof SETTINGS_ERRORS;

export class SettingsError extends Error {
  override name = "SettingsError";
  /** Which row of the table above. */
  readonly kind: SettingsErrorName;
  /** Cloudflare-style numeric code, as the API puts it in `errors[].code`. */
  readonly code: number;
  /** HTTP status for the REST API: 400 or 404. */
  readonly status: 400 | 404;
  /** The input field at fault, e.g. "ip_range" or "peers[3]"; absent when none is. */
  readonly path?: string;

  constructor(kind: SettingsErrorName, message: string, path?: string) {
    super(message);
    this.kind = kind;
    this.code = SETTINGS_ERRORS[kind].code;
    this.status = SETTINGS_ERRORS[kind].status;
    if (path !== undefined) this.path = path;
  }
}
