/**
 * The Cloudflare-compatible REST API: a fastify app under `/client/v4` that answers every
 * request with the v4 envelope (envelope.ts), errors included (errors.ts).
 *
 * `createApi()` builds the app without listening (tests use `inject`); `listenApi()` listens.
 * The app only reads and writes the stores it is given, so the DNS side sees a change on its
 * next request.
 *
 * Bodies: JSON only (`application/json`, any parameters), at most `bodyLimit` bytes (1 MiB by
 * default), parsed with prototype poisoning refused. An empty JSON body counts as no body (as
 * `curl --json` sends on `.../enable`).
 */

import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance, type FastifyReply, LogController } from "fastify";
import type { Account } from "../cloudflare/account.js";
import { isId, ZoneIndex } from "../cloudflare/ids.js";
import type { Registrar } from "../cloudflare/registrar.js";
import type { CloudflareZones } from "../cloudflare/rules/zones.js";
import { TransferActivity } from "../cloudflare/transfer/activity.js";
import type { TransferSettings } from "../cloudflare/transfer/settings.js";
import { ZoneTimes } from "../cloudflare/zone-times.js";
import { dashboardRoutes, isDashboardAsset } from "../dashboard/serve.js";
import { Faults, peersOf } from "../faults/faults.js";
import type { Logger } from "../log.js";
import { formatHostPort } from "../transport/errors.js";
import { parseRateLimit, type RateLimit } from "../transport/limits.js";
import { createAuthenticator } from "./auth.js";
import type { ApiContext } from "./context.js";
import { DEFAULT_API_HOST } from "./defaults.js";
import { failure } from "./envelope.js";
import { noRoute, rateLimited, toErrorReply } from "./errors.js";
import { RateLimiter, rateHeaders, userOf } from "./rate-limit.js";
import { accountRoutes } from "./routes/accounts.js";
import { dnsRecordRoutes } from "./routes/dns-records.js";
import { dnsRecordFileRoutes } from "./routes/dns-records-file.js";
import { dnsSettingsRoutes } from "./routes/dns-settings.js";
import { dnssecRoutes } from "./routes/dnssec.js";
import { entitlementRoutes } from "./routes/entitlements.js";
import { faultRoutes } from "./routes/faults.js";
import { notEmulatedRoutes } from "./routes/not-emulated.js";
import { outgoingRoutes } from "./routes/outgoing.js";
import { registrarRoutes } from "./routes/registrar.js";
import { EXTENSION_PREFIX, renderingRoutes } from "./routes/rendering.js";
import { secondaryRoutes } from "./routes/secondaries.js";
import { secondaryConfigRoutes } from "./routes/secondary-config.js";
import { type ServerInfo, serverInfoRoutes } from "./routes/server-info.js";
import { zoneTransferRoutes } from "./routes/zone-transfers.js";
import { zoneRoutes } from "./routes/zones.js";

export const API_PREFIX = "/client/v4";
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface ApiOptions {
  transfers: TransferSettings;
  /** The served zones, with their Cloudflare settings and the one change path. */
  zones: CloudflareZones;
  account: Account;
  /** When set, the one accepted credential (auth.ts); unset: every request passes. */
  apiToken?: string;
  /** Default: silent. Gets one line per request (debug) and every server fault (error). */
  logger?: Logger;
  /** Largest request body in bytes; default 1 MiB. */
  bodyLimit?: number;
  /** The clock for zone timestamps (tests). */
  now?: () => Date;
  /** What the DNS side records of each zone's secondaries (default: an empty store). */
  activity?: TransferActivity;
  /** Zone timestamps shared with an embedder (the library's record handles); default: own. */
  times?: ZoneTimes;
  /** Where the server answers DNS and notifies from (GET /dns-primary/v1/server). */
  server?: () => ServerInfo;
  /** The faults the DNS side applies (default: an empty store of the API's own). */
  faults?: Faults;
  /** The registrar, when one is served (GET/PUT /dns-primary/v1/registrar…). */
  registrar?: Registrar;
  /** Cloudflare's rate limit on `/client/v4`, per credential (rate-limit.ts); unset: none. */
  rateLimit?: RateLimit;
}

export class ApiOptionsError extends Error {
  override name = "ApiOptionsError";
}

export function createApi(options: ApiOptions): FastifyInstance {
  const { account } = options;
  if (!isId(account.id)) {
    throw new ApiOptionsError(`account id "${account.id}" is not 32 lowercase hexadecimal digits`);
  }
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1) {
    throw new ApiOptionsError(
      `bodyLimit must be a positive whole number of bytes, not ${bodyLimit}`,
    );
  }
  const logger = options.logger?.child({ component: "api" });
  const app = Fastify({
    ...(logger === undefined ? { logger: false } : { loggerInstance: logger }),
    bodyLimit,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    // One line per request from the onResponse hook below instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Errors fastify raises before routing (a URL that does not decode, a bad Content-Type
    // header) get the v4 envelope too, not fastify's own body echoing the URL.
    frameworkErrors: (err, _req, reply) => {
      const r = toErrorReply(err);
      (reply as unknown as FastifyReply).code(r.status).send(failure([r.error]));
    },
  }) as unknown as FastifyInstance;

  const now = options.now ?? (() => new Date());
  const ctx: ApiContext = Object.freeze({
    transfers: options.transfers,
    zoneIds: new ZoneIndex(options.zones.set),
    cloudflare: options.zones,
    account: Object.freeze({ id: account.id, name: account.name }),
    now,
    times: options.times ?? new ZoneTimes(now),
    server: options.server ?? (() => ({ dns: { host: "", port: 0 }, notify_source: null })),
    activity: options.activity ?? new TransferActivity({ now }),
    faults: options.faults ?? new Faults(peersOf(options.transfers), now),
    ...(options.registrar ? { registrar: options.registrar } : {}),
  });

  // JSON and nothing else: other media types get 9207 rather than a string body.
  const json = app.getDefaultJsonParser("error", "error");
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    const text = body as string;
    if (text.trim() === "") done(null, undefined);
    else json(req, text, done);
  });

  const authenticate = createAuthenticator(options.apiToken);
  app.addHook("onRequest", async (req, reply) => {
    // The dashboard's static files hold no data; its API calls carry the token.
    if (isDashboardAsset(req)) return;
    const refused = authenticate(req.headers);
    if (refused) return reply.code(refused.status).send(failure([refused.item()]));
  });

  app.setErrorHandler((err, req, reply) => {
    const r = toErrorReply(err);
    if (r.internal) req.log.error({ err, method: req.method, url: req.url }, "api fault");
    return reply.code(r.status).send(failure([r.error]));
  });

  app.setNotFoundHandler((_req, reply) => {
    const e = noRoute();
    return reply.code(e.status).send(failure([{ code: e.code, message: e.message }]));
  });

  app.addHook("onResponse", async (req, reply) => {
    req.log.debug(
      { method: req.method, url: req.url, status: reply.statusCode, ms: reply.elapsedTime },
      "api request",
    );
  });

  const limiter = options.rateLimit && new RateLimiter(parseRateLimit(options.rateLimit));
  app.register(
    async (api) => {
      if (limiter !== undefined) {
        // After authentication (the app's hook): a refused credential spends nothing.
        api.addHook("onRequest", async (req, reply) => {
          const d = limiter.take(userOf(req.headers, req.ip));
          reply.headers(rateHeaders(limiter.limit, d));
          if (!d.allowed) return reply.code(429).send(failure([rateLimited().item()]));
        });
      }
      accountRoutes(api, ctx);
      zoneTransferRoutes(api, ctx);
      zoneRoutes(api, ctx);
      dnsRecordRoutes(api, ctx);
      dnsRecordFileRoutes(api, ctx);
      dnsSettingsRoutes(api, ctx);
      dnssecRoutes(api, ctx);
      outgoingRoutes(api, ctx);
      notEmulatedRoutes(api, ctx);
    },
    { prefix: API_PREFIX },
  );
  // The emulator's own extension, outside Cloudflare's paths (routes/rendering.ts,
  // routes/secondaries.ts, routes/faults.ts).
  app.register(
    async (ext) => {
      renderingRoutes(ext, ctx);
      secondaryRoutes(ext, ctx);
      serverInfoRoutes(ext, ctx);
      secondaryConfigRoutes(ext, ctx);
      faultRoutes(ext, ctx);
      entitlementRoutes(ext, ctx);
      registrarRoutes(ext, ctx);
    },
    { prefix: EXTENSION_PREFIX },
  );
  // The dashboard at `/` (dashboard/serve.ts): static files calling the routes above.
  dashboardRoutes(app);
  return app;
}

/** The API could not listen: a user error (port taken, address not on this machine). */
export class ApiListenError extends Error {
  override name = "ApiListenError";
  constructor(
    message: string,
    /** The system error code (EADDRINUSE, EACCES, EADDRNOTAVAIL, ...). */
    readonly code: string,
  ) {
    super(message);
  }
}

const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: "is already in use",
  EACCES: "needs privileges to bind (permission denied)",
  EADDRNOTAVAIL: "is not on an address of this machine",
};

/**
 * Listen (127.0.0.1 and port 0 by default) and return the address bound. Rejects with
 * ApiListenError when the address cannot be bound; the app is then closed.
 */
export async function listenApi(
  app: FastifyInstance,
  where: { host?: string; port?: number } = {},
): Promise<AddressInfo> {
  const host = where.host ?? DEFAULT_API_HOST;
  const port = where.port ?? 0;
  // fastify logs "Server listening at ..." at info; the primary reports where it listens
  // itself, once, so that line is kept out.
  const level = app.log.level;
  try {
    if (level === "info") app.log.level = "warn";
    await app.listen({ host, port });
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code ?? "EUNKNOWN";
    const reason = LISTEN_REASONS[code] ?? `cannot be bound: ${(err as Error).message}`;
    throw new ApiListenError(`API port ${formatHostPort(host, port)} ${reason}`, code);
  } finally {
    app.log.level = level;
  }
  return app.server.address() as AddressInfo;
}
