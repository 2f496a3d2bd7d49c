/**
 * The Cloudflare v4 JSON envelope (cloudflare.md §3), built here and nowhere else:
 * `{ success, errors: [{code, message}], messages: [], result, result_info? }`.
 * `success` is true exactly when `errors` is empty; a failed call has `result: null`.
 */

import type { ApiErrorItem } from "../cloudflare/errors.js";

/** What paged lists carry next to the result (V4PagePaginationArray in the official SDK). */
export interface ResultInfo {
  page: number;
  per_page: number;
  /** Items on this page. */
  count: number;
  total_count: number;
  total_pages: number;
}

export interface Envelope<T> {
  success: boolean;
  errors: ApiErrorItem[];
  messages: ApiErrorItem[];
  result: T | null;
  result_info?: ResultInfo;
}

export function envelope<T>(
  parts: { result?: T; errors?: ApiErrorItem[]; resultInfo?: ResultInfo } = {},
): Envelope<T> {
  const errors = parts.errors ?? [];
  const out: Envelope<T> = {
    success: errors.length === 0,
    errors,
    messages: [],
    result: errors.length === 0 && parts.result !== undefined ? parts.result : null,
  };
  if (parts.resultInfo !== undefined) out.result_info = parts.resultInfo;
  return out;
}

export function ok<T>(result: T, resultInfo?: ResultInfo): Envelope<T> {
  return resultInfo === undefined ? envelope({ result }) : envelope({ result, resultInfo });
}

export function failure(errors: ApiErrorItem[]): Envelope<never> {
  return envelope<never>({ errors });
}
