/**
 * The seam between transports (UDP, TCP) and the DNS logic. A transport owns sockets and
 * framing; a handler owns meaning. Handlers never see a socket, so tests drive them with
 * plain buffers.
 */

export interface RequestContext {
  transport: "udp" | "tcp";
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

/**
 * What a handler answers:
 * - a Buffer: one response message (for UDP already sized to the client's limit);
 * - null: send nothing (a message that must be dropped, e.g. a stray response);
 * - an AsyncIterable of Buffers: a multi-message response (AXFR/IXFR over TCP), which the
 *   transport writes one message at a time, waiting for `drain` between them (back-pressure).
 */
export type HandlerResult = Buffer | null | AsyncIterable<Buffer>;

export interface DnsHandler {
  handle(message: Buffer, ctx: RequestContext): HandlerResult;
}
