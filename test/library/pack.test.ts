/**
 * The package as npm publishes it, used from a plain JavaScript project: a clean checkout (the
 * files git tracks, no dist/) packed by `npm pack`, which builds dist/ through the `prepare`
 * script, then unpacked into a temp project's node_modules (its dependencies linked from this
 * repository's, no network) and imported as "dns-primary".
 *
 * Everything happens in a temporary copy, so the test neither needs nor overwrites the
 * repository's dist/.
 */
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { ROOT } from "../cli/package.js";

const run = promisify(execFile);

const INDEX = `import dgram from "node:dgram";
import { startPrimary } from "dns-primary";

const primary = await startPrimary({
  zones: [{ origin: "packed.test", text: "$TTL 60\\n@ SOA ns hostmaster 1 3600 600 86400 60\\n@ NS ns\\nwww A 192.0.2.77\\n" }],
  dns: { port: 0 },
  api: { port: 0 },
});
primary.records("packed.test").create({ name: "lib", type: "A", content: "192.0.2.78" });

function ask(name) {
  const labels = name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const q = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...labels, Buffer.from([0, 0, 1, 0, 1]),
  ]);
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.on("error", reject);
    s.on("message", (m) => {
      s.close();
      // The answer's last 4 octets are the A record's address.
      resolve(m.readUInt16BE(6) === 1 ? [...m.subarray(m.length - 4)].join(".") : "none");
    });
    s.send(q, primary.dns.udp.port, "127.0.0.1");
  });
}

console.log("www", await ask("www.packed.test"));
console.log("lib", await ask("lib.packed.test"));
console.log("api", typeof primary.api.port);
await primary.close();
console.log("closed");
`;

const CONSUMER_TS = `import { startPrimary, type Primary, type RecordResult, ApiError } from "dns-primary";
const p: Primary = await startPrimary({ zones: [{ origin: "x.test", records: [] }] });
const r: RecordResult = p.records("x.test").create({ name: "a", type: "A", content: "192.0.2.1" });
const e: number = new ApiError("RECORD_EXISTS", "x").code;
const off: () => void = p.on("transfer", (ev) => ev.peerName?.toUpperCase());
await p.waitFor("change", (c) => c.serial > 1, { timeoutMs: 10 }).catch(() => undefined);
await p[Symbol.asyncDispose]();
export { r, e, off };
`;

t.test(
  "npm pack from a clean checkout builds dist/ and is usable from a plain JavaScript project",
  async (t) => {
    const tmp = mkdtempSync(join(tmpdir(), "dns-primary-pack-"));
    t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
    // A clean checkout: the files git tracks (as they are in the working tree), no dist/. npm
    // pack must build it through the `prepare` script, as it does for a git or folder install.
    const stage = join(tmp, "stage");
    const { stdout: tracked } = await run("git", ["ls-files", "-z"], { cwd: ROOT });
    for (const f of tracked.split("\0").filter(Boolean)) {
      if (!existsSync(join(ROOT, f))) continue; // deleted in the working tree
      mkdirSync(dirname(join(stage, f)), { recursive: true });
      cpSync(join(ROOT, f), join(stage, f));
    }
    t.notOk(existsSync(join(stage, "dist")), "the checkout has no dist/");
    symlinkSync(join(ROOT, "node_modules"), join(stage, "node_modules"), "dir");
    const pkg = JSON.parse(readFileSync(join(stage, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");

    const { stdout: packed } = await run("npm", ["pack", "--pack-destination", tmp, "--silent"], {
      cwd: stage,
      timeout: 120_000,
    });
    const dts = readFileSync(join(stage, "dist", "index.d.ts"), "utf8");
    for (const name of ["startPrimary", "Primary", "RecordsHandle", "PrimaryEvents", "ApiError"])
      t.match(dts, new RegExp(`\\b${name}\\b`), `index.d.ts exports ${name}`);
    const tarball = join(tmp, packed.trim().split("\n").at(-1)!);
    t.ok(existsSync(tarball), "npm pack made a tarball");

    const project = join(tmp, "project");
    const installed = join(project, "node_modules", "dns-primary");
    mkdirSync(installed, { recursive: true });
    await run("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"]);
    for (const f of [
      "dist/index.js",
      "dist/index.d.ts",
      "dist/cli/main.js",
      "dist/dashboard/assets/index.html",
      "zones/example.com.zone",
      "docs/README.md",
      "dns-primary.yaml",
    ])
      t.ok(existsSync(join(installed, f)), `${f} is packed`);
    t.notOk(existsSync(join(installed, "src")), "the sources are not");
    t.notOk(existsSync(join(installed, "test")), "nor the tests");
    for (const dep of Object.keys(pkg.dependencies)) {
      const link = join(project, "node_modules", dep);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(ROOT, "node_modules", dep), link, "dir");
    }
    writeFileSync(join(project, "package.json"), '{ "name": "user", "type": "module" }\n');
    writeFileSync(join(project, "index.mjs"), INDEX);

    const t0 = Date.now();
    const { stdout } = await run(process.execPath, ["index.mjs"], { cwd: project, timeout: 20000 });
    t.same(stdout.trim().split("\n"), ["www 192.0.2.77", "lib 192.0.2.78", "api number", "closed"]);
    t.ok(Date.now() - t0 < 15000, "it exited by itself");

    // The declarations type-check a TypeScript user's code.
    writeFileSync(join(project, "consumer.ts"), CONSUMER_TS);
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
          typeRoots: [join(ROOT, "node_modules", "@types")],
        },
        files: ["consumer.ts"],
      }),
    );
    symlinkSync(
      join(ROOT, "node_modules", "@types"),
      join(project, "node_modules", "@types"),
      "dir",
    );
    const check = await run(process.execPath, [tsc, "-p", "."], { cwd: project }).then(
      () => "",
      (e: { stdout?: string }) => e.stdout ?? String(e),
    );
    t.equal(check, "", "a TypeScript consumer type-checks against dist/index.d.ts");
  },
);
