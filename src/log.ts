/**
 * Logging. pino everywhere; a library embedding a primary gets silence unless it passes a
 * logger, the command line gets JSON lines for machines or pretty lines for a terminal.
 */

import pino, { type Logger } from "pino";
import pinoPretty from "pino-pretty";

export type { Logger };

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** Default "info". */
  level?: LogLevel;
  /** true: pretty, false: JSON; unset: pretty when stdout is a terminal. */
  pretty?: boolean;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  if (!pretty) return pino({ level }); // JSON lines on stdout
  // Synchronous, so a line is on the terminal before the process exits or crashes. To stderr,
  // which keeps stdout for what the command prints.
  const stream = pinoPretty({
    sync: true,
    destination: 2,
    colorize: process.stderr.isTTY === true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname",
  });
  return pino({ level }, stream);
}

/** A logger that discards everything, for embedding and tests. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
