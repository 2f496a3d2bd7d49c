/**
 * Loading zones from master files: one `*.zone` file per zone, origin from its `$ORIGIN` or
 * else the file name without `.zone`.
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { canonicalName } from "../wire/name.js";
import { ZoneFileError } from "./errors.js";
import type { JournalLimits } from "./journal.js";
import { type ParseWarning, parseMasterFile } from "./masterfile.js";
import { SourceDigest } from "./source-digest.js";
import {
  type RecordInput,
  type RendererOption,
  type Zone,
  ZoneBuilder,
  ZoneError,
  type ZoneWarning,
} from "./zone.js";

export class ZonesDirError extends Error {
  override name = "ZonesDirError";
}

export interface LoadedZone {
  zone: Zone;
  warnings: ParseWarning[];
}

function sourceLine(source: string | undefined): { file: string; line: number } | undefined {
  if (!source) return undefined;
  const i = source.lastIndexOf(":");
  return { file: source.slice(0, i), line: Number(source.slice(i + 1)) };
}

/** A zone-building warning as a parse warning, placed by its `file:line` source. */
export function warningAt(w: ZoneWarning, file: string): ParseWarning {
  const at = sourceLine(w.source);
  return { file: at?.file ?? file, line: at?.line ?? 0, message: w.message };
}

/** A broken zone rule (no SOA, CNAME beside data...) as an error at the record's line. */
export function zoneFileErrorAt(e: ZoneError, file: string): ZoneFileError {
  const at = sourceLine(e.source);
  return new ZoneFileError(at?.file ?? file, at?.line ?? 0, e.message);
}

/** Parse master-file text into a zone. `origin` applies when the text sets no `$ORIGIN`. */
/** How zones are built: the IXFR journal's bounds (see journal.ts) and the renderer. */
export interface BuildOptions {
  journal?: Partial<JournalLimits>;
  /** How stored records become served ones (render.ts); default: as stored. */
  renderer?: RendererOption;
  /** Check the apex as a renderer that makes the apex NS would (ZoneBuilder). */
  ownsApexNs?: boolean;
}

export function zoneFromText(
  text: string,
  opts: { file: string; origin?: string; includeRoot?: string } & BuildOptions,
): LoadedZone {
  const origin = opts.origin === undefined ? undefined : canonicalName(opts.origin);
  const warnings: ParseWarning[] = [];
  const warn = (w: ZoneWarning) => warnings.push(warningAt(w, opts.file));
  let builder: ZoneBuilder | undefined;
  const digest = new SourceDigest(origin, text);
  try {
    // Records stream from the parser into the zone: the file is never held twice in memory.
    const parsed = parseMasterFile(text, {
      file: opts.file,
      origin,
      includeRoot: opts.includeRoot,
      onInclude: digest.include,
      onRecord: (r, startOrigin) => {
        if (!builder) {
          if (!startOrigin)
            throw new ZoneFileError(r.file, r.line, "no $ORIGIN and no origin given");
          builder = new ZoneBuilder(startOrigin, {
            warn,
            journalLimits: opts.journal,
            renderer: opts.renderer,
            ownsApexNs: opts.ownsApexNs,
          });
        }
        builder.add({
          name: r.name,
          type: r.type,
          ttl: r.ttl,
          rdata: r.wire,
          at: r,
          meta: metaOf(r.cfTags, r.comment),
        });
      },
    });
    warnings.unshift(...parsed.warnings);
    builder ??= new ZoneBuilder(parsed.origin ?? origin ?? ".", {
      warn,
      journalLimits: opts.journal,
      renderer: opts.renderer,
      ownsApexNs: opts.ownsApexNs,
    });
    const zone = builder.finish();
    zone.file = opts.file;
    zone.sourceDigest = digest.value();
    return { zone, warnings };
  } catch (e) {
    if (e instanceof ZoneError) throw zoneFileErrorAt(e, opts.file);
    throw e;
  }
}

export function metaOf(
  tags: Record<string, string> | undefined,
  comment: string | undefined,
): RecordInput["meta"] {
  if (!tags && !comment) return undefined;
  const meta: NonNullable<RecordInput["meta"]> = {};
  // Cloudflare's export marks proxied records with `; cf_tags=cf-proxied:true`.
  if (tags?.["cf-proxied"] !== undefined) meta.proxied = tags["cf-proxied"] === "true";
  if (comment) meta.comment = comment;
  return meta;
}

/** Load one zone file; the origin defaults to the file name without `.zone`. */
export function loadZoneFile(
  path: string,
  /** `text`: the file's contents, when the caller has read them already. */
  opts: { includeRoot?: string; text?: string } & BuildOptions = {},
): LoadedZone {
  let text: string;
  try {
    text = opts.text ?? readFileSync(path, "utf8");
  } catch (e) {
    throw new ZoneFileError(
      path,
      0,
      `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const name = basename(path).replace(/\.zone$/, "");
  return zoneFromText(text, {
    file: path,
    origin: name,
    includeRoot: opts.includeRoot ?? dirname(resolve(path)),
    journal: opts.journal,
    renderer: opts.renderer,
    ownsApexNs: opts.ownsApexNs,
  });
}

/** Load every `*.zone` file of a folder, in name order. */
export function loadZonesDir(
  dir: string,
  opts: BuildOptions = {},
): { zones: Zone[]; warnings: ParseWarning[] } {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory())
      throw new ZonesDirError(`zones folder ${dir} is not a folder`);
    entries = readdirSync(dir);
  } catch (e) {
    if (e instanceof ZonesDirError) throw e;
    throw new ZonesDirError(
      `cannot read zones folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const zones: Zone[] = [];
  const warnings: ParseWarning[] = [];
  const seen = new Map<string, string>();
  for (const f of entries.filter((e) => e.endsWith(".zone")).sort()) {
    const file = join(dir, f);
    const loaded = loadZoneFile(file, { ...opts, includeRoot: resolve(dir) });
    const other = seen.get(loaded.zone.key);
    if (other)
      throw new ZoneFileError(
        file,
        0,
        `zone ${loaded.zone.origin} is already loaded from ${other}`,
      );
    seen.set(loaded.zone.key, file);
    zones.push(loaded.zone);
    warnings.push(...loaded.warnings);
  }
  return { zones, warnings };
}
