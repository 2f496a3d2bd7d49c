/**
 * The dependency direction ARCHITECTURE.md draws, checked on the real import graph of src/:
 * a module may import from its own folder and from the layers below it, never from a layer
 * above nor from a sibling on its own level. Every import and `export ... from` counts, type
 * imports included (they couple the code as much). The statements are read by TypeScript's
 * own pre-processor, so a word "from" in a comment or string does not count.
 *
 * A new folder or top-level file under src/ must be placed in LAYERS, or this test fails.
 */

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import t from "tap";
import ts from "typescript";

/**
 * Bottom to top. Each entry is a folder ("name/") or a top-level file of src/; entries on one
 * level are siblings and import nothing from each other.
 */
const LAYERS: readonly (readonly string[])[] = [
  // DNS names, types, RDATA, messages, TSIG: no sockets, no logger.
  ["wire/"],
  // Zones in memory, the master-file parser, lookup, journal, reload.
  ["zone/"],
  // The emulated Cloudflare (one folder), bottom up: the error tables; the secondary-DNS
  // objects (TSIGs, peers, ACLs, outgoing) and the transfer activity; the rendering rules,
  // DNS settings and CloudflareZones; the account, records, ids and the operations every face
  // shares.
  ["cloudflare/errors.ts"],
  ["cloudflare/transfer/"],
  ["cloudflare/rules/"],
  ["cloudflare/", "log.ts"],
  // Fault injection: the faults attached to zones, which the server's points apply.
  ["faults/"],
  // What a zone's secondary is told: its facts and the configuration text for BIND, Knot, NSD
  // and PowerDNS, shared by the command and the dashboard's route.
  ["secondaries/"],
  // Bytes in, bytes out: queries and transfers over the model; never owns a socket.
  ["server/"],
  // Sockets: UDP and TCP listeners around a server/ handler.
  ["transport/"],
  // Services over sockets and the model; the lab check, a client that asks servers.
  ["notify/", "store/", "workers/", "lab/"],
  ["dashboard/"],
  // The faces: the REST API (which serves the dashboard), the config file, zones given inline.
  ["api/", "config/", "zone-specs.ts"],
  // The wiring, then the library over it, then the command line and the package's exports.
  ["primary.ts"],
  ["library.ts"],
  ["cli/", "index.ts"],
];

/** Who may import from src/api/ (the HTTP face): itself and the top-level wiring only. */
const API_IMPORTERS = ["api/", "primary.ts", "cli/", "index.ts"];

/** Layers at or below the model, and the secondaries' configuration text: no HTTP server, no fastify. */
const NO_HTTP = [
  "wire/",
  "zone/",
  "cloudflare/errors.ts",
  "cloudflare/transfer/",
  "cloudflare/rules/",
  "cloudflare/",
  "faults/",
  "secondaries/",
];
const HTTP_MODULES = /^(fastify|@fastify\/|node:http$|node:https$|node:http2$|http$|https$)/;

/**
 * Imports that go against the order, each with the reason it is allowed for now. An entry
 * that no longer matches an import fails the test, so the list only shrinks.
 */
const EXCEPTIONS: readonly { from: string; to: string; why: string }[] = [];

export interface Edge {
  from: string;
  to: string;
}

/**
 * The layer entry a path of src/ (relative, "/"-separated) belongs to, or undefined: the
 * longest entry that is the path itself or a folder holding it, so that a folder's sub-folder
 * or file ("cloudflare/rules/") can sit on a lower level than the folder ("cloudflare/").
 */
export function entryOf(path: string, layers = LAYERS): string | undefined {
  let best: string | undefined;
  for (const e of layers.flat()) {
    const holds = e === path || (e.endsWith("/") && path.startsWith(e));
    if (holds && (best === undefined || e.length > best.length)) best = e;
  }
  return best;
}

export function levelOf(entry: string, layers = LAYERS): number {
  return layers.findIndex((level) => level.includes(entry));
}

/** The edges that break the order (upward, or between siblings of one level). */
export function violations(edges: readonly Edge[], layers = LAYERS): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = entryOf(from, layers);
    const b = entryOf(to, layers);
    if (a === undefined || b === undefined || a === b) continue;
    const la = levelOf(a, layers);
    const lb = levelOf(b, layers);
    if (lb > la) out.push(`${from} → ${to}: ${b} is above ${a}`);
    else if (lb === la) out.push(`${from} → ${to}: ${a} and ${b} are siblings`);
  }
  return out;
}

const SRC = resolve(import.meta.dirname, "../src");

/**
 * The longest a function under src/ may be, in lines (end line minus start line of any
 * function-like node, the dashboard's JavaScript included). A ceiling that may only come
 * down: a longer function is a list of steps waiting to be named.
 */
const MAX_FUNCTION_LINES = 150;

function sourceFiles(dir: string, pattern = /\.ts$/): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(p, pattern);
    return pattern.test(d.name) ? [p] : [];
  });
}

/** Every function-like node with a body under src/ (TypeScript and the dashboard's JS), longest first. */
export function functionLengths(): { lines: number; name: string; where: string }[] {
  const rows: { lines: number; name: string; where: string }[] = [];
  for (const file of sourceFiles(SRC, /\.(ts|js)$/)) {
    const kind = file.endsWith(".js") ? ts.ScriptKind.JS : ts.ScriptKind.TS;
    const sf = ts.createSourceFile(
      file,
      readFileSync(file, "utf8"),
      ts.ScriptTarget.Latest,
      true,
      kind,
    );
    const line = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line + 1;
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionLike(n) && "body" in n && n.body) {
        const start = line(n.getStart(sf));
        const named = n.name ?? (ts.isVariableDeclaration(n.parent) ? n.parent.name : undefined);
        rows.push({
          lines: line(n.end) - start,
          name: named
            ? named.getText(sf)
            : ts.isConstructorDeclaration(n)
              ? "constructor"
              : "(anonymous)",
          where: `${rel(file)}:${start}`,
        });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return rows.sort((a, b) => b.lines - a.lines);
}

const rel = (p: string) => relative(SRC, p).split(sep).join("/");

/** Every module specifier of every file of src/: relative ones resolved, bare ones as written. */
function readGraph(): { edges: Edge[]; bare: Edge[]; files: string[] } {
  const edges: Edge[] = [];
  const bare: Edge[] = [];
  const files = sourceFiles(SRC);
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith(".")) {
        bare.push({ from: rel(file), to: fileName });
        continue;
      }
      const target = resolve(dirname(file), fileName).replace(/\.js$/, ".ts");
      edges.push({ from: rel(file), to: rel(target) });
    }
  }
  return { edges, bare, files: files.map(rel) };
}

const graph = readGraph();

t.test("the checker itself: an upward import and a sibling import are caught", async (t) => {
  const layers = [["low/"], ["mid/inner/"], ["mid/", "side.ts"], ["top.ts"]];
  t.same(
    violations(
      [
        { from: "top.ts", to: "mid/a.ts" },
        { from: "mid/a.ts", to: "low/b.ts" },
        { from: "mid/a.ts", to: "mid/c.ts" },
        { from: "mid/a.ts", to: "mid/inner/d.ts" },
        { from: "mid/inner/d.ts", to: "mid/inner/e/f.ts" },
      ],
      layers,
    ),
    [],
    "downward and same-folder imports pass",
  );
  t.same(
    violations(
      [
        { from: "low/b.ts", to: "top.ts" },
        { from: "mid/a.ts", to: "side.ts" },
        { from: "mid/inner/d.ts", to: "mid/a.ts" },
      ],
      layers,
    ),
    [
      "low/b.ts → top.ts: top.ts is above low/",
      "mid/a.ts → side.ts: mid/ and side.ts are siblings",
      "mid/inner/d.ts → mid/a.ts: mid/ is above mid/inner/",
    ],
  );
});

t.test("every module of src/ has a place in the layers", async (t) => {
  t.ok(graph.files.length > 100, "the graph was read");
  const unplaced = graph.files.filter((f) => entryOf(f) === undefined);
  t.same(unplaced, [], "place new folders and top-level files in LAYERS");
  t.same(
    graph.edges.filter((e) => entryOf(e.to) === undefined),
    [],
    "every relative import resolves inside src/",
  );
});

t.test("no module imports from a layer above it or from a sibling", async (t) => {
  const allowed = (e: Edge) => EXCEPTIONS.some((x) => x.from === e.from && x.to === e.to);
  t.same(violations(graph.edges.filter((e) => !allowed(e))), []);
  for (const x of EXCEPTIONS) {
    t.ok(
      graph.edges.some((e) => e.from === x.from && e.to === x.to),
      `the exception ${x.from} → ${x.to} is still needed (otherwise remove it)`,
    );
  }
});

t.test("only the HTTP face and the top-level wiring import from src/api/", async (t) => {
  const outside = graph.edges.filter(
    (e) => e.to.startsWith("api/") && !API_IMPORTERS.includes(entryOf(e.from) ?? ""),
  );
  t.same(
    outside.map((e) => `${e.from} → ${e.to}`),
    [],
  );
});

t.test("the model and the layers below it use no HTTP server", async (t) => {
  const http = graph.bare.filter(
    (e) => NO_HTTP.includes(entryOf(e.from) ?? "") && HTTP_MODULES.test(e.to),
  );
  t.same(
    http.map((e) => `${e.from} → ${e.to}`),
    [],
  );
});

t.test(`no function under src/ is longer than ${MAX_FUNCTION_LINES} lines`, async (t) => {
  const rows = functionLengths();
  t.ok(rows.length > 500, "the functions were read");
  t.comment(
    `longest: ${rows
      .slice(0, 10)
      .map((r) => `${r.lines} ${r.name} (${r.where})`)
      .join(", ")}`,
  );
  t.same(
    rows
      .filter((r) => r.lines > MAX_FUNCTION_LINES)
      .map((r) => `${r.where} ${r.name}: ${r.lines} lines`),
    [],
  );
});
