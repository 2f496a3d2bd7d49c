/**
 * The dashboard: static assets (plain HTML, CSS and JavaScript modules, no build step) served
 * by the API's own process at `/`. The page calls the same REST API as any client, with the
 * same token (it asks for it when the API answers 10000 and keeps it in sessionStorage), so
 * the assets themselves are served without authentication: they hold no data.
 *
 * - `GET /` → index.html; `GET /dashboard/<file>` → one of the files in assets/ (a fixed list,
 *   read once at start: nothing else on disk is reachable).
 * - A Content-Security-Policy of `'self'` only: the page can load nothing from elsewhere and
 *   talk to no other host.
 *
 * The assets live in src/dashboard/assets (shipped with the package); from dist/ the module
 * finds them there.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** Where the static files are served: `/` for the page, this prefix for the rest. */
export const DASHBOARD_PREFIX = "/dashboard/";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * The assets folder: beside this module (src/dashboard/assets, or dist/dashboard/assets where
 * `npm run build` copies them), else the package's src/ when run from a dist/ built by plain
 * tsc; undefined when neither exists.
 */
export function assetsDir(): string | undefined {
  for (const rel of ["./assets/", "../../src/dashboard/assets/"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return undefined;
}

/** Every served file, by URL path, read once. */
export function loadAssets(dir = assetsDir()): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>();
  if (dir === undefined) return files;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    const body = readFileSync(`${dir}${name}`);
    files.set(name === "index.html" ? "/" : `${DASHBOARD_PREFIX}${name}`, { type, body });
  }
  return files;
}

function pathOnly(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

/** A request for a dashboard asset: served without credentials (the data calls carry them). */
export function isDashboardAsset(req: FastifyRequest): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const p = pathOnly(req.url);
  return p === "/" || p.startsWith(DASHBOARD_PREFIX);
}

export function dashboardRoutes(app: FastifyInstance): void {
  const files = loadAssets();
  const send = (path: string) => files.get(path);
  // Without its files (a build that left them out) the API still runs; `/` says why.
  const missing = {
    type: "text/plain; charset=utf-8",
    body: Buffer.from(
      "dns-primary: the dashboard's files are not installed (src/dashboard/assets)\n",
    ),
  };
  app.get("/", async (_req, reply) => serve(reply, send("/") ?? missing));
  app.get(`${DASHBOARD_PREFIX}:file`, async (req, reply) =>
    serve(reply, send(`${DASHBOARD_PREFIX}${(req.params as { file: string }).file}`)),
  );
}

function serve(reply: FastifyReply, file: { type: string; body: Buffer } | undefined) {
  if (file === undefined)
    return reply.code(404).type("text/plain; charset=utf-8").send("not found\n");
  return reply
    .header("content-security-policy", CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("cache-control", "no-cache")
    .type(file.type)
    .send(file.body);
}
