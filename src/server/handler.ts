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
 * An instruction to the transport inside a multi-message answer, about the connection rather
 * than a message: how a misbehaving primary (faults/, issue 14) cuts, stalls or slows a
 * transfer without server/ ever holding a socket. It acts where it stands in the stream,
 * after the messages before it were written:
 * - `close`: end the connection after what was written (a FIN); nothing more is sent;
 * - `reset`: abort the connection once what was written is handed to the system (an RST);
 * - `stall`: send nothing more and keep the connection open, reading nothing, until the
 *   transport's idle or transfer timeout (limits.ts) closes it;
 * - `pace`: write what follows at `bytesPerSecond`, in small slices;
 * - `delay`: wait `ms` before writing what follows.
 * After `close`, `reset` or `stall` the transport pulls nothing more: it ends the iteration
 * (`return()`), at once for `close` and `reset`, when the connection closes for `stall`.
 * Waits end early when the connection closes. A consumer without a connection (`collect`,
 * tests) skips `pace` and `delay` and stops at the other three, which is what a client would
 * have received.
 */
export type StreamControl =
  | { control: "close" }
  | { control: "reset" }
  | { control: "stall" }
  | { control: "pace"; bytesPerSecond: number }
  | { control: "delay"; ms: number };

/** One item of a multi-message answer: a message, or an instruction about the connection. */
export type StreamItem = Buffer | StreamControl;

/**
 * What a handler answers:
 * - a Buffer: one response message (for UDP already sized to the client's limit);
 * - null: send nothing (a message that must be dropped, e.g. a stray response);
 * - an AsyncIterable of messages: a multi-message response (AXFR/IXFR over TCP), which the
 *   transport writes one message at a time, waiting for `drain` between them (back-pressure);
 *   it may carry StreamControl items among the messages. It is also how one answer comes
 *   later (a query fault's latency: a `delay`, then the message; server/query-faults.ts):
 *   over UDP the transport waits out the delays and sends the first message only, and any
 *   other instruction means no answer.
 */
export type HandlerResult = Buffer | null | AsyncIterable<StreamItem>;

/** Whether a stream item is an instruction rather than a message. */
export function isControl(item: StreamItem): item is StreamControl {
  return !Buffer.isBuffer(item);
}

export interface DnsHandler {
  handle(message: Buffer, ctx: RequestContext): HandlerResult;
}
