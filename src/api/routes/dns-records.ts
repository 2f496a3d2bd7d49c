/**
 * A zone's DNS records (cloudflare.md §3): `GET/POST /zones/{zone_id}/dns_records`,
 * `GET/PUT/PATCH/DELETE .../dns_records/{id}` and `POST .../dns_records/batch`. Import and
 * export live in dns-records-file.ts.
 *
 * Each route reads the request, runs the model's operation (cloudflare/records/: the plan,
 * the batch, the list with its filters) and wraps the result in the envelope. Every write is
 * one change through the zones' one change path: one call or one batch = one new serial =
 * one journal entry.
 *
 * `GET .../dns_records` takes Cloudflare's filters and order (cloudflare/records/operations.ts)
 * and is paged with `page` and `per_page` (default 100, at most 5000 here).
 */

import type { FastifyInstance, FastifyRequest } from "fastify";
import { objectBody } from "../../cloudflare/json.js";
import { batchBody, runBatch } from "../../cloudflare/records/batch.js";
import type { RecordBody } from "../../cloudflare/records/content.js";
import { commitPlan, listRecords, recordResult } from "../../cloudflare/records/operations.js";
import { type ApiRecord, findApiRecord } from "../../cloudflare/records/plan.js";
import type { ApiContext } from "../context.js";
import { ok } from "../envelope.js";
import { pageRequest, paginate } from "../paging.js";
import { zoneFor } from "./zones.js";

const RECORDS_PAGE = { perPage: 100, maxPerPage: 5000 };

function body(req: FastifyRequest): RecordBody {
  return objectBody(req.body) as RecordBody;
}

function idOf(req: FastifyRequest): string {
  return (req.params as { dns_record_id: string }).dns_record_id;
}

export function dnsRecordRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const base = "/zones/:zone_id/dns_records";
  const item = `${base}/:dns_record_id`;

  app.get(base, async (req) => {
    const zone = zoneFor(ctx, req);
    const q = req.query as Record<string, unknown>;
    const paging = pageRequest(q, RECORDS_PAGE);
    const { page, info } = paginate(listRecords(ctx, zone, q), paging);
    return ok(page, info);
  });

  app.post(base, async (req) => {
    const zone = zoneFor(ctx, req);
    const r = commitPlan(ctx, zone, (p) => p.create(body(req)));
    return ok(recordResult(ctx, zone, r));
  });

  app.get(item, async (req) => {
    const zone = zoneFor(ctx, req);
    return ok(recordResult(ctx, zone, findApiRecord(zone, idOf(req))));
  });

  app.put(item, async (req) => {
    const zone = zoneFor(ctx, req);
    const r = commitPlan(ctx, zone, (p) => p.overwrite(idOf(req), body(req)));
    return ok(recordResult(ctx, zone, r));
  });

  app.patch(item, async (req) => {
    const zone = zoneFor(ctx, req);
    const r = commitPlan(ctx, zone, (p) => p.edit(idOf(req), body(req)));
    return ok(recordResult(ctx, zone, r));
  });

  app.delete(item, async (req) => {
    const zone = zoneFor(ctx, req);
    const r = commitPlan(ctx, zone, (p) => p.delete(idOf(req)));
    return ok({ id: r.id });
  });

  app.post(`${base}/batch`, async (req) => {
    const zone = zoneFor(ctx, req);
    const b = batchBody(req.body);
    const done = commitPlan(ctx, zone, (p) => runBatch(p, b));
    const json = (rs: ApiRecord[]) => rs.map((r) => recordResult(ctx, zone, r));
    return ok({
      deletes: json(done.deletes),
      patches: json(done.patches),
      puts: json(done.puts),
      posts: json(done.posts),
    });
  });
}
