/**
 * The emulator's own extension (under `/dns-primary/v1`): the registrar of the setup guide's
 * step 7, the parent zone above the zones (cloudflare/registrar.ts; docs/registrar.md).
 * Cloudflare has nothing like it; these routes only translate.
 *
 * - `GET /registrar`: the parent (origin, nameserver, where it answers), the lab's trust
 *   anchor (DNSKEY and DS) and every domain it delegates.
 * - `GET /registrar/domains/{name}`: one domain: NS set, glue, DS set (the zone's own, then
 *   those added).
 * - `PUT /registrar/domains/{name}`: set `nameservers` (null: Cloudflare's assigned),
 *   `glue` (addresses by nameserver name) and `ds` (added beside the zone's own), as a
 *   registrar's form takes them: the whole domain at once. Served at once, as a new serial.
 * - `DELETE /registrar/domains/{name}`: forget what was set; a Cloudflare zone goes back to
 *   Cloudflare's nameservers and its own DS.
 *
 * Errors: 7003 (404) when no registrar is served or the domain is not delegated; 89001,
 * 89005 and 9000 (400) for a field at fault, named in the message.
 */

import type { FastifyInstance } from "fastify";
import { SettingsError } from "../../cloudflare/errors.js";
import type { Registrar } from "../../cloudflare/registrar.js";
import type { ApiContext } from "../context.js";
import { ok } from "../envelope.js";

function registrarOf(ctx: ApiContext): Registrar {
  if (ctx.registrar === undefined)
    throw new SettingsError("NOT_FOUND", "no registrar is served (start with --registrar)");
  return ctx.registrar;
}

function domainOf(registrar: Registrar, name: string) {
  const d = registrar.domain(name);
  if (d === undefined)
    throw new SettingsError("NOT_FOUND", `the registrar delegates no domain ${name}`);
  return d;
}

export function registrarRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/registrar", async () => {
    const r = registrarOf(ctx);
    return ok({ ...r.json(), dns: ctx.server().registrar });
  });
  app.get("/registrar/domains", async () => ok(registrarOf(ctx).domainsJson()));
  app.get<{ Params: { name: string } }>("/registrar/domains/:name", async (req) =>
    ok(domainOf(registrarOf(ctx), req.params.name)),
  );
  app.put<{ Params: { name: string } }>("/registrar/domains/:name", async (req) =>
    ok(registrarOf(ctx).put(req.params.name, req.body ?? {})),
  );
  app.delete<{ Params: { name: string } }>("/registrar/domains/:name", async (req) => {
    const r = registrarOf(ctx);
    const name = domainOf(r, req.params.name).name;
    r.remove(name);
    return ok(r.domain(name) ?? { name });
  });
}
