/**
 * The HTTP side of the API's errors: the ones only a request can cause (credentials, routing),
 * and any thrown value → HTTP status and the envelope's error item. The codes themselves are
 * Cloudflare's, in the model's one table (cloudflare/errors.ts).
 */

import { API_ERRORS, ApiError, type ApiErrorItem } from "../cloudflare/errors.js";
import { SettingsError } from "../cloudflare/transfer/settings.js";

export const authenticationError = (): ApiError =>
  new ApiError("AUTHENTICATION", "Authentication error");

/** Cloudflare's answer past its rate limit, as clients report it (code and words). */
export const rateLimited = (): ApiError =>
  new ApiError("RATE_LIMITED", "Please wait and consider throttling your request speed");

export const missingCredentials = (): ApiError =>
  new ApiError("MISSING_CREDENTIALS", "Missing X-Auth-Key, X-Auth-Email or Authorization headers");

/** Cloudflare's 6003, with the header at fault as its one cause. */
export const invalidHeaders = (code: number, message: string): ApiError =>
  new ApiError("INVALID_HEADERS", "Invalid request headers", [{ code, message }]);

export const noRoute = (): ApiError => new ApiError("NO_ROUTE", "No route for that URI");

/**
 * Cloudflare's wording for an id that matches nothing; `path` is the request path, `hint`
 * (dns-primary's own) follows Cloudflare's sentence.
 */
export const couldNotRoute = (path: string, hint?: string): ApiError =>
  new ApiError(
    "NOT_FOUND",
    `Could not route to ${path}, perhaps your object identifier is invalid?${hint ? ` Hint: ${hint}.` : ""}`,
  );

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
  if (err instanceof ApiError) return { status: err.status, error: err.item(), internal: false };
  if (err instanceof SettingsError) {
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
