/**
 * examples/multi-provider/run.sh as a user runs it, both variants: dns-primary as Cloudflare
 * with its registrar, BIND and Knot secondaries and a validating unbound, the setup guide's
 * seven steps through the API, `dns-primary lab check` clean, a change seen everywhere (with
 * AD in the multi-signer variant), then one secondary made stale by a notify-drop fault and
 * the check reporting it. The script checks its own expectations (exit 0); here, besides:
 * what the peers themselves logged (BIND's and Knot's transfers, Knot's signing, unbound's
 * validation) and the check's report of the stale server.
 *
 * The lab listens on port 53 of loopback addresses (resolvers ask port 53 only): without root
 * the test is skipped, saying so.
 */

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { buildPackage, ROOT } from "../cli/package.js";
import { freePort, makeTempDir, removeTempDir, requireTool } from "../peers/tools.js";

const run = promisify(execFile);

for (const variant of ["plain", "multi-signer"] as const) {
  t.test(`examples/multi-provider (${variant})`, async (t) => {
    for (const tool of ["named", "knotd", "keymgr", "unbound", "dig", "curl", "jq"])
      if (requireTool(t, tool) === undefined) return;
    if (process.getuid?.() !== 0) {
      const why = "the lab listens on port 53 of loopback addresses: needs root";
      t.pass(why, { skip: why });
      return;
    }
    const pkg = buildPackage((fn) => t.teardown(fn));
    const work = makeTempDir("dns-primary-multi-provider-");
    t.teardown(() => removeTempDir(work));
    const args = [path.join(ROOT, "examples/multi-provider/run.sh"), "--check"];
    if (variant === "multi-signer") args.push("--multi-signer");
    const result = await run("bash", args, {
      env: {
        ...process.env,
        API_PORT: String(await freePort()),
        WORK: work,
        DNS_PRIMARY_CLI: path.join(pkg, "dist/cli/main.js"),
      },
      timeout: 110_000,
    }).catch((e: { stdout: string; stderr: string; code: number }) => e);
    const out = `${result.stdout}${result.stderr}`;
    t.notOk("code" in result && result.code, "the script's own checks passed", { out });
    t.match(out, /== As expected/);

    // The peers' own account.
    const named = readFileSync(path.join(work, "bind/named.log"), "utf8");
    t.match(
      named,
      /transfer of 'example\.com\/IN' from 127\.53\.0\.1#53: Transfer status: success/,
      "BIND transferred the zone",
    );
    const knot = readFileSync(path.join(work, "knot/knotd.log"), "utf8");
    t.match(
      knot,
      /\[example\.com\.\] refresh, remote 127\.53\.0\.1@53, zone updated/,
      "Knot followed a change",
    );
    if (variant === "multi-signer") {
      t.match(knot, /DNSSEC, successfully signed/, "Knot signed its copy");
      const unbound = readFileSync(path.join(work, "unbound/unbound.log"), "utf8");
      t.notMatch(unbound, /validation failure/, "unbound saw no validation failure");
      t.match(
        out,
        /mail\.example\.com A via unbound: 192\.0\.2\.26 AD/,
        "the change resolved with AD",
      );
    }
    // The check's last report: the stale secondary named, with its old answer.
    const stale = variant === "plain" ? "127.0.0.1:53" : "127.53.0.4:53";
    const report = readFileSync(path.join(work, "check.txt"), "utf8");
    t.match(report, /DIFFERS {2}mail\.example\.com\. A/);
    t.match(
      report,
      new RegExp(
        `${stale.replace(/\./g, "\\.")}: NOERROR mail\\.example\\.com\\. 300 A 192\\.0\\.2\\.26`,
      ),
    );
    t.match(report, /1 problem\(s\):\n {2}mail\.example\.com\. A: the servers differ/);
  });
}
