/**
 * The CLI's one way to ask a running dns-primary's API (`rendering`, `secondary-config`):
 * a GET with the token as `Authorization: Bearer`, the envelope back, and every failure as
 * one sentence that says what to do — the server unreachable, the token missing or refused
 * (naming --api-token and DNS_PRIMARY_API_TOKEN), or the API's own error with its code.
 */

import type { HostPort } from "./args.js";

export interface Envelope<T> {
  success: boolean;
  errors: Array<{ code: number; message: string; error_chain?: Array<{ code: number }> }>;
  result: T | null;
  result_info?: { page: number; total_pages: number };
}

/** A failure to report in one line (exit code 1). */
export class ApiCallError extends Error {
  override name = "ApiCallError";
  /** The API's error code, when it answered with one. */
  readonly code?: number;

  constructor(message: string, code?: number) {
    super(message);
    if (code !== undefined) this.code = code;
  }
}

const TIMEOUT_MS = 15_000;

/** Codes with which the API refuses credentials (api/auth.ts). */
const AUTH_CODES = new Set([9106, 6003, 10000]);

export function apiBase(api: HostPort): string {
  const host = api.host.includes(":") ? `[${api.host}]` : api.host;
  return `http://${host}:${api.port}`;
}

/** GET `path` from the API at `api`; the envelope of a successful answer, else ApiCallError. */
export async function apiGet<T>(
  api: HostPort,
  path: string,
  token: string | undefined,
): Promise<Envelope<T>> {
  const base = apiBase(api);
  const headers: Record<string, string> = { accept: "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why =
      (err as Error).name === "TimeoutError"
        ? `no answer within ${TIMEOUT_MS / 1000} s`
        : (cause?.code ?? cause?.message ?? (err as Error).message);
    throw new ApiCallError(`cannot reach dns-primary at ${base} (${why}); is it serving --api?`);
  }
  let body: Envelope<T>;
  try {
    body = (await res.json()) as Envelope<T>;
  } catch {
    throw new ApiCallError(`${base}${path}: HTTP ${res.status}, not a dns-primary JSON answer`);
  }
  const e = body.errors?.[0];
  if (e !== undefined && AUTH_CODES.has(e.code) && (res.status === 400 || res.status === 403)) {
    const what =
      token === undefined
        ? "wants an API token"
        : `refused the API token (HTTP ${res.status}, code ${e.code})`;
    throw new ApiCallError(
      `${base}: the server ${what}; give the one it was started with as --api-token TOKEN or DNS_PRIMARY_API_TOKEN`,
      e.code,
    );
  }
  if (!res.ok || body.success !== true || body.result === null) {
    throw new ApiCallError(
      `${base}${path}: HTTP ${res.status}${e ? `: ${e.message} (code ${e.code})` : ""}`,
      e?.code,
    );
  }
  return body;
}
