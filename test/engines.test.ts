// A clean `npm install` prints no EBADENGINE warning: what npm checks, from the lock file.
// cookie@2 (through fastify's light-my-request) wanted Node >= 22 while the package says
// Node >= 20; package.json's `overrides` pins light-my-request to cookie@1, whose API it uses
// (stringifySetCookie) and whose engine is Node >= 18.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import semver from "semver";
import t from "tap";
import { ROOT } from "./cli/package.js";

interface LockPackage {
  version?: string;
  dev?: boolean;
  engines?: { node?: string } | string[];
}

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
  packages: Record<string, LockPackage>;
};
const require = createRequire(import.meta.url);
const nodeRange = (p: LockPackage): string | undefined =>
  Array.isArray(p.engines) ? undefined : p.engines?.node;

t.test("every runtime dependency runs on every Node the package claims", async (t) => {
  const claimed: string = pkg.engines.node;
  const narrower = Object.entries(lock.packages)
    .filter(([path, p]) => path !== "" && !p.dev && nodeRange(p) !== undefined)
    .filter(([, p]) => !semver.subset(claimed, nodeRange(p)!))
    .map(([path, p]) => `${path}@${p.version} wants node ${nodeRange(p)}`);
  t.same(narrower, [], `runtime dependencies narrower than engines.node ${claimed}`);
});

t.test(
  "every locked package accepts the Node running the tests (npm's EBADENGINE check)",
  async (t) => {
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path !== "" && nodeRange(p) !== undefined)
      .filter(([, p]) => !semver.satisfies(process.version, nodeRange(p)!))
      .map(([path, p]) => `${path}@${p.version} wants node ${nodeRange(p)}`);
    t.same(refusing, [], `packages refusing ${process.version}`);
  },
);

t.test("the override is what is installed: light-my-request gets cookie 1.x", async (t) => {
  t.same(pkg.overrides, { "light-my-request": { cookie: "^1.1.1" } });
  const cookie = lock.packages["node_modules/light-my-request/node_modules/cookie"];
  t.ok(cookie && semver.satisfies(cookie.version!, "^1.1.1"), `cookie ${cookie?.version}`);
  // The one function light-my-request takes from it (lib/cookies.js), resolved as it resolves it.
  const from = createRequire(require.resolve("light-my-request"));
  const mod = from("cookie") as { stringifySetCookie?: unknown };
  t.type(mod.stringifySetCookie, "function");
});
