/**
 * The one error the transfer settings raise.
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
