/**
 * `GET /dns-primary/v1/server` (the emulator's own route): where this dns-primary answers DNS
 * and where its NOTIFY leave from — what a secondary's configuration needs and the API
 * cannot otherwise say (`dns-primary secondary-config` reads it). Same auth and envelope.
 */

import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.js";
import { ok } from "../envelope.js";

export interface ServerInfo {
  /** The DNS address, UDP and TCP. */
  dns: { host: string; port: number };
  /** Where NOTIFY leaves from; null when NOTIFY is off. */
  notify_source: { host: string; port: number } | null;
  /** Where the registrar's parent zone is served (docs/registrar.md); null when it is not. */
  registrar?: { host: string; port: number } | null;
}

export function serverInfoRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/server", async () => ok(ctx.server()));
}
