/** Errors raised while binding the DNS sockets: user errors (wrong address, port taken). */

export class DnsListenError extends Error {
  override name = "DnsListenError";
  constructor(
    message: string,
    /** The system error code (EADDRINUSE, EACCES, EADDRNOTAVAIL, ...). */
    readonly code: string,
    readonly transport: "udp" | "tcp",
  ) {
    super(message);
  }
}

/** `127.0.0.1:53` or `[::1]:53`. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

const REASONS: Record<string, string> = {
  EADDRINUSE: "is already in use",
  EACCES: "needs privileges to bind (permission denied)",
  EADDRNOTAVAIL: "is not on an address of this machine",
};

/** Turn a bind failure into an error a user can act on. */
export function listenError(
  err: NodeJS.ErrnoException,
  host: string,
  port: number,
  transport: "udp" | "tcp",
): DnsListenError {
  const code = err.code ?? "EUNKNOWN";
  const where = `DNS port ${formatHostPort(host, port)}`;
  const reason = REASONS[code] ?? `cannot be bound: ${err.message}`;
  return new DnsListenError(`${where} ${reason} (${transport.toUpperCase()})`, code, transport);
}
