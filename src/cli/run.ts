/** Dispatch a command line and turn its outcome into an exit code. */

import { readFileSync } from "node:fs";
import { ApiListenError } from "../api/server.js";
import { ConfigError } from "../config/load.js";
import { StoreError } from "../store/framing.js";
import { DnsListenError } from "../transport/errors.js";
import { ZoneFileError } from "../zone/errors.js";
import { ZonesDirError } from "../zone/load.js";
import { HELP, parseCommandLine, UsageError } from "./args.js";
import { check } from "./check.js";
import { type CliIO, processIO } from "./io.js";
import { labCheckCommand } from "./lab.js";
import { rendering } from "./rendering.js";
import { secondaryConfigCommand } from "./secondary-config.js";
import { serve } from "./serve.js";

/** Exit codes: 0 success, 1 failure (bad zone, port in use, ...), 2 usage error. */
export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  try {
    const cmd = parseCommandLine(argv);
    switch (cmd.kind) {
      case "help":
        io.stdout(HELP);
        return 0;
      case "version":
        io.stdout(`${version()}\n`);
        return 0;
      case "check":
        return check(cmd.files, io);
      case "serve":
        return await serve(cmd, io);
      case "rendering":
        return await rendering(cmd, io);
      case "secondary-config":
        return await secondaryConfigCommand(cmd, io);
      case "lab-check":
        return await labCheckCommand(cmd, io);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`dns-primary: ${err.message} (see dns-primary --help)\n`);
      return 2;
    }
    if (isUserError(err)) {
      // Something the user can fix: no stack trace; one line per problem (a ConfigError
      // shows every mistake in the file, each as file:line: field: reason).
      for (const line of err.message.split("\n")) io.stderr(`dns-primary: ${line}\n`);
      return 1;
    }
    // A bug: the stack is what a bug report needs.
    io.stderr(`dns-primary: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}

function isUserError(err: unknown): err is Error {
  return (
    err instanceof DnsListenError ||
    err instanceof ZoneFileError ||
    err instanceof ZonesDirError ||
    err instanceof ConfigError ||
    err instanceof ApiListenError ||
    err instanceof StoreError
  );
}

/** The package version; package.json sits two folders up from both src/cli and dist/cli. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}
