/**
 * A batch of DNS-record writes (`POST .../dns_records/batch`, cloudflare.md §3 "Batch"):
 * its body checked, then its operations run on one plan in Cloudflare's order (deletes,
 * patches, puts, posts), the first failure naming its operation. The caller commits the plan
 * (one change, one serial). Shared by the REST route and the library's record handle.
 */

import { ApiError, invalidField } from "../errors.js";
import { isObject } from "../json.js";
import type { ApiRecord, BatchBody, RecordPlan } from "./plan.js";

/** Cloudflare's limit on the operations of one batch (cloudflare.md §4). */
export const MAX_BATCH = 3500;

/** The records each kind of operation wrote (deletes: the records removed). */
export interface BatchDone {
  deletes: ApiRecord[];
  patches: ApiRecord[];
  puts: ApiRecord[];
  posts: ApiRecord[];
}

/** Run every operation of a checked batch on the plan, in Cloudflare's order. */
export function runBatch(p: RecordPlan, b: BatchBody): BatchDone {
  return {
    deletes: (b.deletes ?? []).map((d, i) => step(`deletes[${i}]`, () => p.delete(d.id))),
    patches: (b.patches ?? []).map((x, i) => step(`patches[${i}]`, () => p.edit(x.id, strip(x)))),
    puts: (b.puts ?? []).map((x, i) => step(`puts[${i}]`, () => p.overwrite(x.id, strip(x)))),
    posts: (b.posts ?? []).map((x, i) => step(`posts[${i}]`, () => p.create(x))),
  };
}

/** A batch body as received, checked (89104 on a wrong shape or too many operations). */
export function batchBody(v: unknown): BatchBody {
  if (!isObject(v))
    throw invalidField("the batch must be a JSON object of deletes, patches, puts and posts");
  const list = (k: keyof BatchBody, needId: boolean) => {
    const a = v[k];
    if (a === undefined) return [];
    if (!Array.isArray(a)) throw invalidField(`${k} must be an array`);
    a.forEach((x, i) => {
      if (!isObject(x)) throw invalidField(`${k}[${i}] must be an object`);
      if (needId && typeof x.id !== "string") throw invalidField(`${k}[${i}].id is required`);
    });
    return a;
  };
  const out: BatchBody = {
    deletes: list("deletes", true) as BatchBody["deletes"],
    patches: list("patches", true) as BatchBody["patches"],
    puts: list("puts", true) as BatchBody["puts"],
    posts: list("posts", false) as BatchBody["posts"],
  };
  for (const k of Object.keys(v))
    if (!["deletes", "patches", "puts", "posts"].includes(k))
      throw invalidField(`${k} is not part of a batch`);
  const n =
    (out.deletes?.length ?? 0) +
    (out.patches?.length ?? 0) +
    (out.puts?.length ?? 0) +
    (out.posts?.length ?? 0);
  if (n > MAX_BATCH) throw invalidField(`a batch holds at most ${MAX_BATCH} operations, not ${n}`);
  return out;
}

/** Run one operation of a batch; its error names the operation. */
function step<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ApiError) {
      const err = new ApiError(e.kind, `${where}: ${e.message}`);
      throw err;
    }
    throw e;
  }
}

function strip<T extends { id?: unknown }>(o: T): Omit<T, "id"> {
  const { id: _id, ...rest } = o;
  return rest;
}
