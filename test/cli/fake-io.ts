/** The command line's IO without a process: what it printed, and a stop signal on demand. */
import type { CliIO } from "../../src/cli/io.js";

export function fakeIO() {
  let stop: (s: string) => void = () => {};
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: (s) => void out.push(s),
    stderr: (s) => void err.push(s),
    waitForStop: () => new Promise((r) => (stop = r)),
  };
  return {
    io,
    out: () => out.join(""),
    err: () => err.join(""),
    stop: (s = "SIGTERM") => stop(s),
  };
}
