/**
 * A zone's records as a BIND zone file (cloudflare.md §3–4):
 * `POST /zones/{zone_id}/dns_records/import` and `GET /zones/{zone_id}/dns_records/export`.
 * The rules of both (directives, line numbers, duplicates, cf_tags, TTLs, the proxied
 * default, one change per file; the export's shape) are the model's: cloudflare/records/file.ts.
 *
 * Import: `multipart/form-data` with the field `file` (a file part, or a plain field as the
 * official SDK sends it) and the optional field `proxied` ("true"/"false"). Only this route
 * reads multipart (the plugin is registered in its own encapsulated context); its other media
 * types get 9207. The file is at most 256 KiB (cloudflare.md §4), refused while it streams:
 * larger → 413 (89101); no `file` → 400. The answer is the envelope around Cloudflare's
 * `{ recs_added, total_records_parsed }`.
 *
 * Export: `text/plain; charset=utf-8` (not the JSON envelope).
 */

import multipart from "@fastify/multipart";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError, invalidField } from "../../cloudflare/errors.js";
import { exportRecords, importRecords } from "../../cloudflare/records/file.js";
import type { ApiContext } from "../context.js";
import { ok } from "../envelope.js";
import { zoneFor } from "./zones.js";

/** Cloudflare's limit on an imported zone file (cloudflare.md §4). */
export const MAX_IMPORT_BYTES = 256 * 1024;
/** At most this many form parts; parts other than `file` and `proxied` are read and ignored. */
const MAX_PARTS = 16;

const tooLarge = (): ApiError =>
  new ApiError(
    "BODY_TOO_LARGE",
    `The zone file is larger than ${MAX_IMPORT_BYTES} bytes (256 KiB), the most one import takes.`,
  );

const notMultipart = (): ApiError =>
  new ApiError("CONTENT_TYPE", "Content-type must be multipart/form-data.");

/** The form of an import request: the file's text and the default for `proxied`. */
async function readForm(req: FastifyRequest): Promise<{ text: string; proxied: boolean }> {
  if (!req.isMultipart()) throw notMultipart();
  let file: Buffer | undefined;
  let proxied: string | undefined;
  try {
    const parts = req.parts({
      limits: { fileSize: MAX_IMPORT_BYTES, fieldSize: MAX_IMPORT_BYTES, parts: MAX_PARTS },
    });
    for await (const part of parts) {
      if (part.type === "file") {
        // Read whole even when unused: the next part only comes after this one.
        const buf = await part.toBuffer();
        if (part.fieldname === "file") file ??= buf;
      } else if (part.fieldname === "file") {
        if (part.valueTruncated) throw tooLarge();
        file ??= Buffer.from(String(part.value), "utf8");
      } else if (part.fieldname === "proxied") {
        proxied = String(part.value);
      }
    }
  } catch (e) {
    throw formError(e);
  }
  if (file === undefined)
    throw invalidField("the form must have a field named file: the zone file");
  if (proxied !== undefined && proxied !== "true" && proxied !== "false")
    throw invalidField('proxied must be "true" or "false"');
  let text = file.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text, proxied: proxied === "true" };
}

/** What a failure while reading the form becomes. */
function formError(e: unknown): unknown {
  if (e instanceof ApiError) return e;
  const code = (e as { code?: unknown })?.code;
  if (code === "FST_REQ_FILE_TOO_LARGE") return tooLarge();
  if (code === "FST_PARTS_LIMIT")
    return new ApiError("BAD_REQUEST", `The form has more than ${MAX_PARTS} parts.`);
  if (e instanceof Error) {
    // Busboy's and the plugin's findings on a malformed body (boundary, headers, framing).
    return new ApiError("BAD_REQUEST", `Malformed multipart/form-data body: ${e.message}`);
  }
  return e;
}

/* ------------------------------------------------------------------------------------------ */
/* Routes                                                                                      */

export function dnsRecordFileRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const base = "/zones/:zone_id/dns_records";

  app.get(`${base}/export`, async (req, reply) => {
    const zone = zoneFor(ctx, req);
    return reply.type("text/plain; charset=utf-8").send(exportRecords(zone, ctx.now()));
  });

  // Multipart in a context of its own: every other route keeps reading JSON only.
  app.register(async (form) => {
    form.removeAllContentTypeParsers();
    await form.register(multipart, { throwFileSizeLimit: true });
    form.addContentTypeParser("*", (_req, _payload, done) => done(notMultipart(), undefined));

    form.post(`${base}/import`, async (req) => {
      const zone = zoneFor(ctx, req);
      const { text, proxied } = await readForm(req);
      return ok(importRecords(ctx, zone, text, { proxied }));
    });
  });
}
