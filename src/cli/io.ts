/** What a command needs from its process, so commands run in tests without one. */

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Resolves with the signal's name when the process is asked to stop (SIGINT, SIGTERM). */
  waitForStop(): Promise<string>;
}

export function processIO(): CliIO {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    waitForStop: () =>
      new Promise((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          // A second signal while closing means "now": leave without waiting.
          const force = () => process.exit(1);
          process.once("SIGINT", force);
          process.once("SIGTERM", force);
          resolve(signal);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      }),
  };
}
