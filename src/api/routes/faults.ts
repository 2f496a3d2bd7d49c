/**
 * The emulator's own extension (under `/dns-primary/v1`): faults that make the primary
 * misbehave on purpose for one zone, to test secondaries against a bad primary
 * (docs/faults.md). Cloudflare has nothing like it. The store and its rules are
 * faults/faults.ts; these routes only translate.
 *
 * - `GET /zones/{zone_id}/faults`: the zone's faults, oldest first.
 * - `POST /zones/{zone_id}/faults`: add one; the body is the spec, flat:
 *   `{ kind, times?, peer_id?, source?, ...params }`, missing parameters taking their
 *   defaults. The result is the fault as stored.
 * - `GET /zones/{zone_id}/faults/{fault_id}`, `DELETE` the same: one fault; `DELETE` answers
 *   `{ id }` as Cloudflare's deletes do.
 * - `DELETE /zones/{zone_id}/faults`: remove them all; `{ removed: n }`.
 * - `GET /fault-kinds`: the kinds (faults/kinds.ts) with what each does, where it acts and its
 *   parameters (type, default, bounds, meaning), for forms and scripts.
 *
 * A fault shows its id, kind, parameters (defaults filled in), scope (`peer_id`, `source`),
 * `times` left, `applied` and `last_applied`, `active`, `created_on` and `origin` ("runtime",
 * or "config" for one `--fault` or the config file declared).
 *
 * Same authentication, envelope and errors as the other routes: 7003 for an unknown zone id,
 * 89201 for an unknown kind, 89202 for a parameter or scope that is missing, unknown or out of
 * range (400, with a message naming it), 89203 for an unknown fault id (404). Faults live in
 * memory: they are not kept across a restart (only those the config file or `--fault`
 * declare come back, being declared again).
 */

import type { FastifyInstance } from "fastify";
import { FAULT_KINDS, type FaultKind, type FaultPoint, RCODE_NAMES } from "../../faults/kinds.js";
import type { ApiContext } from "../context.js";
import { ok } from "../envelope.js";
import { zoneFor } from "./zones.js";

/** One parameter of a kind, as `GET /fault-kinds` shows it (the table's own fields). */
export interface FaultParamJson {
  type: "int" | "number" | "bool" | "rcode" | "message" | "address";
  /** True when it has no default: the spec must give it. */
  required: boolean;
  /** Absent when required. */
  default?: number | boolean | string;
  /** For int and number. */
  min?: number;
  max?: number;
  /** For rcode: the mnemonics taken (a number 1..15 is taken too). */
  values?: string[];
  doc: string;
}

export interface FaultKindJson {
  kind: FaultKind;
  doc: string;
  /** Where it acts: transfer (AXFR/IXFR answers), query (other answers), notify (NOTIFY sent). */
  points: FaultPoint[];
  /** By name, in the table's order. */
  params: Record<string, FaultParamJson>;
}

/** The kinds table as JSON, in the table's order. */
export function faultKindsJson(): FaultKindJson[] {
  return Object.entries(FAULT_KINDS).map(([kind, k]) => ({
    kind: kind as FaultKind,
    doc: k.doc,
    points: [...k.points],
    params: Object.fromEntries(
      Object.entries(k.params).map(([name, p]) => {
        const out: FaultParamJson = { type: p.type, required: p.default === undefined, doc: p.doc };
        if (p.default !== undefined) out.default = p.default;
        if ("min" in p) {
          out.min = p.min;
          out.max = p.max;
        }
        // NOERROR is no fault (faults.ts refuses it).
        if (p.type === "rcode") out.values = RCODE_NAMES.filter((r) => r !== "NOERROR");
        return [name, out];
      }),
    ),
  }));
}

export function faultRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { faults } = ctx;
  app.get("/fault-kinds", async () => ok(faultKindsJson()));

  app.get("/zones/:zone_id/faults", async (req) => ok(faults.list(zoneFor(ctx, req).key)));

  app.post("/zones/:zone_id/faults", async (req) =>
    ok(faults.add(zoneFor(ctx, req).key, req.body)),
  );

  app.delete("/zones/:zone_id/faults", async (req) =>
    ok({ removed: faults.clear(zoneFor(ctx, req).key) }),
  );

  app.get("/zones/:zone_id/faults/:fault_id", async (req) => {
    const { fault_id } = req.params as { fault_id: string };
    return ok(faults.get(zoneFor(ctx, req).key, fault_id));
  });

  app.delete("/zones/:zone_id/faults/:fault_id", async (req) => {
    const { fault_id } = req.params as { fault_id: string };
    return ok({ id: faults.remove(zoneFor(ctx, req).key, fault_id).id });
  });
}
