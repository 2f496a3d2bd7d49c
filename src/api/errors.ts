/**
 * The errors of the REST API layer, one table (as fastify's lib/errors.js): every code the API
 * itself answers with is here, and only here. Errors of the transfer settings carry their own
 * code and status (src/transfer/settings-errors.ts) and pass through unchanged.
 *
 * Codes Cloudflare's API is known to return keep Cloudflare's number and wording
 * (cloudflare.md §3; 6007 and 9207 as the live API answers them); the others are
 * dns-primary's own, in 891xx (the settings use 890xx), and never change meaning.
 * Validation problems are 400, never 409: the official SDK retries 409 (cloudflare.md §3).
 *
 * | code  | status | name               | when                                                    |
 * |-------|--------|--------------------|---------------------------------------------------------|
 * | 10000 | 403    | AUTHENTICATION     | an API token is required and the request lacks it       |
 * | 7000  | 404    | NO_ROUTE           | no route for that method and path                       |
 * | 7003  | 404    | NOT_FOUND          | an account or zone id that routes nowhere               |
 * | 6007  | 400    | MALFORMED_JSON     | a body that is not JSON, or that tries prototype keys   |
 * | 9207  | 400    | CONTENT_TYPE       | a body that is not application/json                     |
 * | 89101 | 413    | BODY_TOO_LARGE     | a body over the limit (default 1 MiB)                   |
 * | 89102 | 400    | INVALID_QUERY      | a query parameter out of range (page, per_page, ...)    |
 * | 89103 | 400    | BAD_REQUEST        | a request the HTTP layer could not read                 |
 * | 89199 | 500    | INTERNAL           | a fault of the server; details go to the log only       |
 */

import { SettingsError } from "../transfer/settings.js";
import type { ApiErrorItem } from "./envelope.js";

export const API_ERRORS = {
  AUTHENTICATION: { code: 10000, status: 403 },
  NO_ROUTE: { code: 7000, status: 404 },
  NOT_FOUND: { code: 7003, status: 404 },
  MALFORMED_JSON: { code: 6007, status: 400 },
  CONTENT_TYPE: { code: 9207, status: 400 },
  BODY_TOO_LARGE: { code: 89101, status: 413 },
  INVALID_QUERY: { code: 89102, status: 400 },
  BAD_REQUEST: { code: 89103, status: 400 },
  INTERNAL: { code: 89199, status: 500 },
} as const;

export type ApiErrorName = keyof typeof API_ERRORS;

export class ApiError extends Error {
  override name = "ApiError";
  readonly kind: ApiErrorName;
  readonly code: number;
  readonly status: number;

  constructor(kind: ApiErrorName, message: string) {
    super(message);
    this.kind = kind;
    this.code = API_ERRORS[kind].code;
    this.status = API_ERRORS[kind].status;
  }
}

export const authenticationError = (): ApiError =>
  new ApiError("AUTHENTICATION", "Authentication error");

export const noRoute = (): ApiError => new ApiError("NO_ROUTE", "No route for that URI");

/** Cloudflare's wording for an id that matches nothing; `path` is the request path. */
export const couldNotRoute = (path: string): ApiError =>
  new ApiError(
    "NOT_FOUND",
    `Could not route to ${path}, perhaps your object identifier is invalid?`,
  );

export const invalidQuery = (message: string): ApiError => new ApiError("INVALID_QUERY", message);

/** What fastify's own errors (body parsing, framing) become; undefined for anything else. */
function fromFastify(err: { code?: unknown; statusCode?: unknown }): ApiError | undefined {
  switch (err.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ApiError("MALFORMED_JSON", "Malformed JSON in request body");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
    case "FST_ERR_CTP_INVALID_TYPE":
    case "FST_ERR_CTP_EMPTY_TYPE":
      return new ApiError("CONTENT_TYPE", "Content-type must be application/json.");
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError("BODY_TOO_LARGE", "Request body is too large");
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new ApiError("BAD_REQUEST", "Request body length does not match Content-Length");
  }
  const status = err.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    // Another client error fastify detected (e.g. an aborted body): a fixed message, so
    // nothing internal reaches the client.
    return new ApiError(status === 413 ? "BODY_TOO_LARGE" : "BAD_REQUEST", "Bad request");
  }
  return undefined;
}

/** Any thrown value → HTTP status and the envelope's error item; `internal` says log it. */
export function toErrorReply(err: unknown): {
  status: number;
  error: ApiErrorItem;
  internal: boolean;
} {
  if (err instanceof ApiError || err instanceof SettingsError) {
    return { status: err.status, error: { code: err.code, message: err.message }, internal: false };
  }
  if (typeof err === "object" && err !== null) {
    const mapped = fromFastify(err as { code?: unknown; statusCode?: unknown });
    if (mapped !== undefined) {
      return {
        status: mapped.status,
        error: { code: mapped.code, message: mapped.message },
        internal: false,
      };
    }
  }
  const { code, status } = API_ERRORS.INTERNAL;
  return { status, error: { code, message: "Internal server error" }, internal: true };
}
