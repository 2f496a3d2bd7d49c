/**
 * The command as a user runs it, for tests that start it in a child process. Starting a child
 * with tap's TypeScript loader costs about 5 s on this machine, so src/ is transpiled once
 * (TypeScript's transpileModule, the same per-file transpilation the loader does) into a
 * temporary package laid out like the published one: dist/, package.json, node_modules.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Build the temporary package; `teardown` removes it. Returns its folder. */
export function buildPackage(teardown: (fn: () => void) => void): string {
  const out = mkdtempSync(join(tmpdir(), "dns-primary-build-"));
  teardown(() => rmSync(out, { recursive: true, force: true }));
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) {
        const js = ts.transpileModule(readFileSync(path, "utf8"), {
          fileName: path,
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        }).outputText;
        const dest = join(out, "dist", relative(join(ROOT, "src"), path)).replace(/\.ts$/, ".js");
        mkdirSync(dirname(dest), { recursive: true });
        writeFileSync(dest, js);
      }
    }
  };
  walk(join(ROOT, "src"));
  copyFileSync(join(ROOT, "package.json"), join(out, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(out, "node_modules"), "dir");
  return out;
}
