#!/usr/bin/env node
/** The `dns-primary` command. */

import { run } from "./run.js";

const code = await run(process.argv.slice(2));
process.exitCode = code;
// Everything is closed by now, so the process ends on its own. Should something still hold
// the event loop open, do not hang a service manager's stop: leave after a grace period.
setTimeout(() => process.exit(code), 2000).unref();
