/**
 * docs/faults.md says what the server does: its kinds table lists exactly the kinds of
 * faults/kinds.ts, in order, with their points, parameters, defaults and docs; its config
 * example loads; its `--fault` examples parse. A kind or default changed on one side only
 * fails here.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { parseFault } from "../../src/cli/args.js";
import { parseConfig } from "../../src/config/load.js";
import { FAULT_KIND_NAMES, FAULT_KINDS, type ParamSpec } from "../../src/faults/kinds.js";
import { ROOT } from "../cli/package.js";

const DOC = readFileSync(join(ROOT, "docs", "faults.md"), "utf8");

/** The lines of one `##` section (up to the next one). */
function section(heading: string): string[] {
  const lines = DOC.split("\n");
  const start = lines.indexOf(`## ${heading}`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** A parameter as the table writes it: `name=default`, or `name` (required). */
function cell(name: string, p: ParamSpec): string {
  return p.default === undefined ? `\`${name}\` (required)` : `\`${name}=${p.default}\``;
}

t.test("the kinds table is the server's table", async (t) => {
  const rows = section("Kinds")
    .filter((l) => /^\| `/.test(l))
    .map((l) =>
      l
        .slice(1, -1)
        .split(" | ")
        .map((c) => c.trim()),
    );
  t.same(
    rows.map((r) => r[0]),
    FAULT_KIND_NAMES.map((k) => `\`${k}\``),
    "every kind, in the server's order, none more",
  );
  for (const [kind, k] of Object.entries(FAULT_KINDS)) {
    const row = rows.find((r) => r[0] === `\`${kind}\``);
    if (row === undefined) continue;
    const params = Object.entries(k.params as Record<string, ParamSpec>);
    t.same(
      row.slice(1),
      [
        k.points.join(", "),
        params.length === 0 ? "—" : params.map(([n, p]) => cell(n, p)).join(", "),
        k.doc,
      ],
      kind,
    );
  }
});

t.test("the config example loads, with its faults", async (t) => {
  const blocks = [...DOC.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  t.equal(blocks.length, 1);
  const config = parseConfig(blocks[0]!, "docs/faults.md");
  t.same(
    config.faults.map((f) => f.spec.kind),
    ["xfr-truncate", "serial-regression", "notify-from"],
  );
});

t.test("the --fault examples parse", async (t) => {
  // Every `--fault zone:kind...` of the page (not the ZONE:KIND form), without a colon after.
  const shown = [...DOC.matchAll(/--fault ([a-z0-9.-]+:[^`\s]*[^`\s:])/g)].map((m) => m[1]!);
  // The one bad example is the usage error the page quotes.
  const bad = "example.com:latency:ms=0";
  t.ok(shown.includes(bad));
  const good = shown.filter((f) => f !== bad);
  t.ok(good.length >= 3, good.join(" "));
  for (const f of good) t.doesNotThrow(() => parseFault(f), f);
  t.throws(() => parseFault(bad), {
    message: new RegExp(
      DOC.match(/`dns-primary: (--fault example\.com:latency:ms=0: [^`]+)`/)![1]!
        .replace(/\s+/g, " ")
        .replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    ),
  });
});

t.test("the reactions table has a row for every kind", async (t) => {
  // Filled from test/interop/faults.test.ts's findings: a kind added without its row fails.
  const rows = section("What BIND and Knot do").filter((l) => /^\| `/.test(l));
  t.same(
    rows.map((l) => /^\| `([a-z-]+)`/.exec(l)?.[1]),
    FAULT_KIND_NAMES,
    "every kind, in the server's order, none more",
  );
  for (const l of rows)
    t.equal(l.slice(1, -1).split(" | ").length, 4, `${l.slice(0, 30)}…: BIND, Knot and NSD`);
});
