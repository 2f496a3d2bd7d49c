/**
 * Page-numbered lists (`page`, `per_page`, `result_info`), as `GET /zones` and `GET /accounts`
 * answer them. The official SDK's auto-pagination asks for page+1 until `result` is empty
 * (cloudflare.md §3), so a page past the end is an empty list, never an error.
 *
 * Decision: `page` is an integer ≥ 1 and `per_page` an integer ≥ 1; anything else is a 400.
 * A `per_page` above the resource's maximum is lowered to it (result_info shows the value used).
 */

import { invalidQuery } from "../cloudflare/errors.js";
import type { ResultInfo } from "./envelope.js";

export interface PageRequest {
  page: number;
  perPage: number;
}

export function pageRequest(
  query: Record<string, unknown>,
  defaults: { perPage: number; maxPerPage: number },
): PageRequest {
  const page = positiveInt(query.page, "page") ?? 1;
  const perPage = Math.min(
    positiveInt(query.per_page, "per_page") ?? defaults.perPage,
    defaults.maxPerPage,
  );
  return { page, perPage };
}

export function paginate<T>(
  items: readonly T[],
  req: PageRequest,
): { page: T[]; info: ResultInfo } {
  const start = (req.page - 1) * req.perPage;
  const page = start >= items.length ? [] : items.slice(start, start + req.perPage);
  return {
    page,
    info: {
      page: req.page,
      per_page: req.perPage,
      count: page.length,
      total_count: items.length,
      total_pages: Math.ceil(items.length / req.perPage),
    },
  };
}

function positiveInt(v: unknown, name: string): number | undefined {
  if (v === undefined || v === "") return undefined;
  const text = Array.isArray(v) ? undefined : String(v);
  if (text === undefined || !/^[0-9]{1,9}$/.test(text) || Number(text) < 1) {
    throw invalidQuery(`${name} must be a whole number of at least 1`);
  }
  return Number(text);
}
