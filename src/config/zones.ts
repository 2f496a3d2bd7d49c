/**
 * The zones a configuration names, against the zones served at start (zone files, the
 * library's `zones`, the data dir).
 *
 * A zone under `zones:` that nothing serves is an error, not a warning: its outgoing
 * configuration would be accepted, counted in the start summary and never used, and the
 * usual cause is a typo (`exmaple.com:`), which the error names with the closest served
 * zone. A zone that is meant to exist without a zone file says `create: true` (schema.ts),
 * and is created at start as `POST /zones` creates one.
 *
 * `secondary-config --config` reads a file without serving anything: it does not come here.
 */

import { nameKey, withoutTrailingDot } from "../wire/name.js";
import type { ConfigZone, LoadedConfig } from "./build.js";
import { ConfigError, type ConfigProblem, formatPath, suggest } from "./errors.js";

/**
 * The zones of `config` to create (`create: true`, not served). Throws ConfigError, with the
 * file and line of each key, when a zone is neither served nor to be created.
 * `served`: the origins served now (canonical, with the trailing dot).
 */
export function zonesToCreate(config: LoadedConfig, served: readonly string[]): ConfigZone[] {
  const keys = new Set(served.map(nameKey));
  const names = served.map(withoutTrailingDot);
  const problems: ConfigProblem[] = [];
  const create: ConfigZone[] = [];
  for (const z of config.zones) {
    if (keys.has(nameKey(z.name))) continue;
    if (z.create) {
      create.push(z);
      continue;
    }
    const name = withoutTrailingDot(z.name);
    const near = suggest(name, names);
    const problem: ConfigProblem = {
      path: formatPath(["zones", z.key]),
      reason:
        near === undefined
          ? `zone ${name} is not served: add its zone file, or "create: true" to create it at start (as POST /zones does)`
          : `zone ${name} is not served (did you mean "${near}"?)`,
    };
    if (z.line !== undefined) problem.line = z.line;
    problems.push(problem);
  }
  if (problems.length > 0) throw new ConfigError(config.source, problems);
  return create;
}
