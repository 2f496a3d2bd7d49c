/**
 * The examples in examples/library/ run as a user runs them: from a project where
 * "dns-primary" is an installed package (here the transpiled one of test/cli/package.ts).
 * They are .mjs files outside test/, so `tap` never picks them up by itself.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { buildPackage, ROOT } from "../cli/package.js";
import { findTool } from "../peers/tools.js";

const run = promisify(execFile);

t.test("examples/library run from a user's project", async (t) => {
  const pkg = buildPackage((fn) => t.teardown(fn));
  const project = mkdtempSync(join(tmpdir(), "dns-primary-examples-"));
  t.teardown(() => rmSync(project, { recursive: true, force: true }));
  cpSync(join(ROOT, "examples", "library"), project, { recursive: true });
  writeFileSync(join(project, "package.json"), '{ "name": "user", "type": "module" }\n');
  mkdirSync(join(project, "node_modules"));
  symlinkSync(pkg, join(project, "node_modules", "dns-primary"), "dir");
  symlinkSync(join(ROOT, "node_modules", "tap"), join(project, "node_modules", "tap"), "dir");

  const nodeTest = await run(process.execPath, ["--test", "node-test-example.mjs"], {
    cwd: project,
    timeout: 60000,
  });
  t.match(nodeTest.stdout, /# pass [1-9]/, "node:test example passes");
  t.match(nodeTest.stdout, /# fail 0/);
  if (findTool("dig")) t.match(nodeTest.stdout, /# skipped 0/, "the transfer was checked with dig");

  const tap = await run(process.execPath, ["tap-example.test.mjs"], {
    cwd: project,
    timeout: 60000,
  });
  t.match(tap.stdout, /^# \{ total: 2, pass: 2 \}|^ok 2 - the API's rules/m, "tap example passes");
  t.notMatch(tap.stdout, /^not ok/m);

  // Without dig on the PATH the examples ask with a datagram of their own.
  const bin = join(project, "bin");
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, "node"));
  const bare = await run(process.execPath, ["tap-example.test.mjs"], {
    cwd: project,
    timeout: 60000,
    env: { PATH: bin },
  });
  t.notMatch(bare.stdout, /^not ok/m, "tap example passes without dig");
  t.match(bare.stdout, /^ok 1 - a record added is served/m);
});
