/**
 * DNS over UDP (RFC 1035 §4.2.1): one datagram in, at most one datagram out. The handler sizes
 * the answer to what the client can take (512 octets, or the EDNS(0) size, RFC 6891 §6.2.5);
 * the transport only moves bytes.
 *
 * An answer may come later: a stream (server/handler.ts) whose `delay` instructions are waited
 * out before its one message is sent (a latency fault, faults/). The answer of every other
 * query is sent at once, from the handler's call, as before.
 */

import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import type { Logger } from "pino";
import type { DnsHandler, RequestContext, StreamItem } from "../server/handler.js";
import { listenError } from "./errors.js";

/**
 * Replies go back to the address a datagram came from, always an IP literal. dgram would pass
 * it to dns.lookup (which tests it with a regex and answers on the next tick) before every
 * send; answering at once costs nothing and is worth about a tenth of the UDP query rate.
 */
function ipLookup(family: 4 | 6) {
  return (
    address: string,
    _family: unknown,
    callback: (err: Error | null, address: string, family: number) => void,
  ): void => callback(null, address, family);
}

/** A DNS header is 12 octets (RFC 1035 §4.1.1); anything shorter is not a message. */
const HEADER_LEN = 12;

/**
 * The socket's receive buffer. Linux's default (about 208 KiB, some 200 queries with the
 * kernel's per-datagram overhead) overflows when the event loop is busy for a tenth of a
 * second (a GC, a commit to a big zone, a descheduled process) at a few thousand queries a
 * second; 4 MiB holds a few seconds' worth. The kernel caps it at net.core.rmem_max.
 */
const UDP_RECV_BUFFER = 4 * 1024 * 1024;

/**
 * Give `socket` a UDP_RECV_BUFFER receive buffer (the kernel caps it at net.core.rmem_max);
 * false when the system refused. Shared with the NOTIFY sockets, whose answers come back in
 * a burst when thousands of zones change at once.
 */
export function widenReceiveBuffer(socket: dgram.Socket): boolean {
  try {
    if (socket.getRecvBufferSize() < UDP_RECV_BUFFER) socket.setRecvBufferSize(UDP_RECV_BUFFER);
    return true;
  } catch {
    return false;
  }
}

export interface UdpServer {
  readonly socket: dgram.Socket;
  close(): Promise<void>;
}

/** Bind a UDP socket and serve `handler` on it. Rejects with a DnsListenError. */
export function bindUdp(
  host: string,
  port: number,
  handler: DnsHandler,
  logger: Logger,
): Promise<UdpServer> {
  const v6 = isIPv6(host);
  const socket = dgram.createSocket({ type: v6 ? "udp6" : "udp4", lookup: ipLookup(v6 ? 6 : 4) });
  return new Promise((resolve, reject) => {
    const onBindError = (err: NodeJS.ErrnoException) => {
      socket.close();
      reject(listenError(err, host, port, "udp"));
    };
    socket.once("error", onBindError);
    socket.bind(port, host, () => {
      socket.off("error", onBindError);
      resolve(serve(socket, handler, logger));
    });
  });
}

function serve(socket: dgram.Socket, handler: DnsHandler, logger: Logger): UdpServer {
  if (!widenReceiveBuffer(socket)) logger.debug("udp receive buffer left at the system's default");
  const local = socket.address();
  const localAddress = local.address;
  const localPort = local.port;

  // After the bind, socket errors (a failed send without a callback, ICMP noise) must never
  // take the server down: log them and keep going.
  socket.on("error", (err) => logger.warn({ err }, "udp socket error"));

  // One callback for every send, created once, so the hot path allocates no closure.
  const onSent = (err: Error | null) => {
    if (err) logger.warn({ err }, "udp send failed");
  };

  /** Set by close(): an answer a stream makes due after it is dropped. */
  let closing = false;
  let lastErrorLog = 0;
  let suppressedErrors = 0;

  socket.on("message", (msg: Buffer, rinfo: dgram.RemoteInfo) => {
    if (msg.length < HEADER_LEN) return;
    const ctx: RequestContext = {
      transport: "udp",
      remoteAddress: rinfo.address,
      remotePort: rinfo.port,
      localAddress,
      localPort,
    };
    let res: ReturnType<DnsHandler["handle"]>;
    try {
      res = handler.handle(msg, ctx);
    } catch (err) {
      // The handler answers FORMERR/SERVFAIL itself; an exception here is a bug. Log it, drop
      // the datagram and keep serving. One packet that triggers the bug, sent at line rate,
      // must not flood the log: at most one line per second, with a count of the others.
      const now = Date.now();
      if (now - lastErrorLog >= 1000) {
        logger.error(
          { err, peer: rinfo.address, port: rinfo.port, suppressed: suppressedErrors },
          "udp handler threw",
        );
        lastErrorLog = now;
        suppressedErrors = 0;
      } else suppressedErrors++;
      return;
    }
    if (res === null) return;
    if (!Buffer.isBuffer(res)) {
      void sendLater(res, rinfo.port, rinfo.address);
      return;
    }
    // No completion callback: a send error reaches the socket's "error" listener, and a
    // callback per datagram costs a call back into JavaScript for every answer.
    socket.send(res, 0, res.length, rinfo.port, rinfo.address);
  });

  /**
   * A stream over UDP: its delays waited out, its first message sent, and nothing read after
   * it (one datagram out: a multi-message answer is TCP's, RFC 5936 §4.2). Any other
   * instruction (close, reset, stall, pace) means no answer over UDP: nothing is sent. A
   * delay does not keep the process alive, and what is due once the socket closed is dropped.
   */
  async function sendLater(items: AsyncIterable<StreamItem>, port: number, address: string) {
    try {
      for await (const item of items) {
        if (Buffer.isBuffer(item)) {
          if (!closing) socket.send(item, 0, item.length, port, address, onSent);
          return;
        }
        if (item.control !== "delay") return;
        await new Promise((resolve) => setTimeout(resolve, item.ms).unref());
      }
      logger.error({ peer: address }, "udp handler returned a stream without a message; dropped");
    } catch (err) {
      logger.error({ err, peer: address }, "udp handler's stream failed; dropped");
    }
  }

  let closed: Promise<void> | undefined;
  return {
    socket,
    close() {
      closing = true;
      closed ??= new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve(); // already closed
        }
      });
      return closed;
    },
  };
}
