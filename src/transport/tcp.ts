/**
 * DNS over TCP: RFC 1035 §4.2.2 framing (a two-octet length before each message) and the
 * connection handling of RFC 7766 §6: several queries pipelined on one connection, an idle
 * timeout, and limits on open connections.
 *
 * Answers go out in the order the queries arrived. RFC 7766 §6.2.1.1 asks servers to work on
 * pipelined queries concurrently and answer each as soon as it is ready (§7 allows reordering);
 * the handler answers a query synchronously, so every answer is ready at once and order costs
 * nothing. The one exception is a multi-message answer (AXFR/IXFR, an AsyncIterable): the
 * queries pipelined after it wait until it has been written in full, because messages of two
 * answers must not interleave mid-frame and a transfer is what the client is waiting for.
 *
 * Time limits (limits.ts): a connection without traffic is closed (idle), a message must
 * arrive in full within `tcpMessageMs` of its first octet (a peer trickling one octet at a
 * time cannot keep the idle timer alive forever), and a multi-message answer not written in
 * full within `transferMs` is cut. On close, the listener stops accepting at once, idle
 * connections are closed, and answers in progress get `shutdownMs` to finish.
 *
 * A multi-message answer may carry instructions about the connection (StreamControl,
 * server/handler.ts: how transfer faults cut, stall, slow or delay a transfer): the transport
 * carries them out where they stand in the stream, so that server/ never holds a socket.
 */

import net from "node:net";
import type { Logger } from "pino";
import type { DnsHandler, RequestContext, StreamControl, StreamItem } from "../server/handler.js";
import { listenError } from "./errors.js";
import type { Limits } from "./limits.js";

/** A DNS header is 12 octets (RFC 1035 §4.1.1); a shorter frame cannot be a message. */
const HEADER_LEN = 12;
/** The length prefix is 16 bits (RFC 1035 §4.2.2). */
const MAX_MESSAGE = 0xffff;
/** Between the last message written and an RST a stream asked for (StreamControl `reset`). */
const RESET_GRACE_MS = 50;

export interface TcpServer {
  readonly server: net.Server;
  /** Connections open right now. */
  readonly connectionCount: number;
  /** Multi-message answers (transfers) being written right now. */
  readonly streamingCount: number;
  /**
   * Stop accepting, close idle connections, let answers in progress finish for at most
   * `graceMs` (default `limits.shutdownMs`), then cut what is left. Resolves once every
   * connection is closed.
   */
  close(graceMs?: number): Promise<void>;
}

/** Bind a TCP listener and serve `handler` on it. Rejects with a DnsListenError. */
export function bindTcp(
  host: string,
  port: number,
  handler: DnsHandler,
  logger: Logger,
  limits: Readonly<Limits>,
): Promise<TcpServer> {
  const open = new Map<net.Socket, Connection>();
  const perIp = new Map<string, number>();

  // allowHalfOpen: a client may send its query and shut down its sending side; the answer
  // (possibly a long AXFR) must still be written in full before we close ours.
  // noDelay: each answer is written in one piece, so Nagle would only delay pipelined answers.
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    const ip = socket.remoteAddress;
    if (ip === undefined) {
      socket.destroy(); // already gone
      return;
    }
    const fromIp = perIp.get(ip) ?? 0;
    // RFC 7766 §6.2.2 lets a server limit concurrent connections per client, and §10 asks for
    // protection against exhaustion of connections; over a limit the newcomer is closed at
    // once, the established connections are kept.
    if (open.size >= limits.tcpMaxConnections || fromIp >= limits.tcpMaxConnectionsPerIp) {
      logger.debug(
        { peer: ip, open: open.size, fromPeer: fromIp },
        "tcp connection refused: too many open connections",
      );
      socket.on("error", ignore);
      socket.destroy();
      return;
    }
    perIp.set(ip, fromIp + 1);
    socket.once("close", () => {
      open.delete(socket);
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n === 0) perIp.delete(ip);
      else perIp.set(ip, n);
    });
    const ctx: RequestContext = {
      transport: "tcp",
      remoteAddress: ip,
      remotePort: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? host,
      localPort: socket.localPort ?? port,
    };
    open.set(socket, new Connection(socket, ctx, handler, logger, limits));
  });

  return new Promise((resolve, reject) => {
    const onBindError = (err: NodeJS.ErrnoException) => {
      server.close();
      reject(listenError(err, host, port, "tcp"));
    };
    server.once("error", onBindError);
    server.listen({ host, port }, () => {
      server.off("error", onBindError);
      server.on("error", (err) => logger.error({ err }, "tcp server error"));
      let closed: Promise<void> | undefined;
      resolve({
        server,
        get connectionCount() {
          return open.size;
        },
        get streamingCount() {
          let n = 0;
          for (const c of open.values()) if (c.streaming) n++;
          return n;
        },
        close(graceMs = limits.shutdownMs) {
          closed ??= new Promise<void>((done) => {
            // The listener first, so no new work starts; 'close' fires once every
            // connection has closed too.
            const streaming = [...open.values()].filter((c) => c.streaming).length;
            if (streaming > 0)
              logger.info({ streaming, graceMs }, "tcp closing: waiting for answers in progress");
            const cut = setTimeout(() => {
              const left = [...open.values()].filter((c) => c.streaming).length;
              if (open.size > 0)
                logger.warn(
                  { connections: open.size, streaming: left, graceMs },
                  "tcp closing: answers still in progress after the grace period; cut",
                );
              for (const s of open.keys()) s.destroy();
            }, graceMs);
            server.close(() => {
              clearTimeout(cut);
              done();
            });
            for (const c of open.values()) c.shutdown();
          });
          return closed;
        },
      });
    });
  });
}

function ignore(): void {}

/** One client connection: deframes queries, runs the handler, frames answers in order. */
class Connection {
  /** First octet of a length prefix that arrived alone at the end of a chunk, or -1. */
  private lenHi = -1;
  /** A message being assembled from several chunks, and how much of it has arrived. */
  private frame: Buffer | null = null;
  private filled = 0;
  /** Bytes received while paused, parsed once we resume. */
  private backlog: Buffer | null = null;
  /** Not parsing: a multi-message answer is being written, or the peer is not reading. */
  private paused = false;
  /** The peer has shut down its sending side. */
  private peerEnded = false;
  /** Closing or closed: parse and answer nothing more. */
  private done = false;
  /** The server is closing: answer nothing new, close once the answer in progress is out. */
  private closing = false;
  /** A multi-message answer is being written. */
  streaming = false;
  /** The answer in progress was told to stall: nothing more is written until the close. */
  private stalled = false;
  /** Runs from the first octet of a message until the message is complete. */
  private messageTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: net.Socket,
    private readonly ctx: RequestContext,
    private readonly handler: DnsHandler,
    private readonly logger: Logger,
    private readonly limits: Readonly<Limits>,
  ) {
    // RFC 7766 §6.2.3: close idle connections after some seconds. Node restarts the timer on
    // every read and write, so this also closes a peer that sent a length prefix and stalled,
    // and one that stopped reading a long answer.
    socket.setTimeout(limits.tcpIdleMs);
    socket.on("timeout", this.onTimeout);
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("error", this.onError);
    socket.once("close", this.onClose);
  }

  private readonly onTimeout = (): void => {
    this.logger.debug({ peer: this.ctx.remoteAddress }, "tcp connection idle; closed");
    this.done = true;
    this.socket.destroy();
  };

  private readonly onError = (err: Error): void => {
    // Resets and broken pipes are the peer's business; 'close' follows.
    this.logger.debug({ err, peer: this.ctx.remoteAddress }, "tcp connection error");
  };

  /** The server is closing: close now if nothing is in progress, else after it. */
  shutdown(): void {
    this.closing = true;
    // A stalled answer will never finish: no grace for it.
    if (!this.streaming || this.stalled) this.finish();
  }

  private readonly onMessageTimeout = (): void => {
    this.messageTimer = null;
    this.logger.debug(
      { peer: this.ctx.remoteAddress, ms: this.limits.tcpMessageMs },
      "tcp message not received in full in time; connection closed",
    );
    this.done = true;
    this.socket.destroy();
  };

  private clearMessageTimer(): void {
    if (this.messageTimer !== null) {
      clearTimeout(this.messageTimer);
      this.messageTimer = null;
    }
  }

  private readonly onClose = (): void => {
    this.clearMessageTimer();
    this.done = true;
    this.frame = null;
    this.backlog = null;
  };

  private readonly onEnd = (): void => {
    this.peerEnded = true;
    // A partial frame can never complete now; otherwise close once pending answers are out.
    if (!this.paused) this.finish();
  };

  private readonly onData = (chunk: Buffer): void => {
    if (this.done) return;
    if (this.paused) {
      this.backlog = this.backlog === null ? chunk : Buffer.concat([this.backlog, chunk]);
      return;
    }
    this.socket.cork(); // answers to pipelined queries leave in as few segments as possible
    try {
      this.parse(chunk);
    } finally {
      this.socket.uncork();
    }
    // A message is partly here: it must be complete before its deadline.
    if (!this.done && (this.lenHi >= 0 || this.frame !== null) && this.messageTimer === null) {
      this.messageTimer = setTimeout(this.onMessageTimeout, this.limits.tcpMessageMs);
      this.messageTimer.unref();
    }
  };

  private readonly onDrain = (): void => {
    this.resume();
  };

  /** Take complete frames out of `chunk`; copy only messages that span chunks. */
  private parse(chunk: Buffer): void {
    const n = chunk.length;
    let off = 0;
    while (off < n) {
      if (this.done) return;
      if (this.paused) {
        this.backlog = chunk.subarray(off);
        return;
      }
      const frame = this.frame;
      if (frame === null) {
        let len: number;
        if (this.lenHi >= 0) {
          len = (this.lenHi << 8) | chunk[off++];
          this.lenHi = -1;
        } else if (n - off >= 2) {
          len = chunk.readUInt16BE(off);
          off += 2;
        } else {
          this.lenHi = chunk[off++];
          return;
        }
        if (len < HEADER_LEN) {
          this.reject(len === 0 ? "zero-length frame" : "frame shorter than a DNS header");
          return;
        }
        if (n - off >= len) {
          const msg = chunk.subarray(off, off + len);
          off += len;
          this.dispatch(msg);
        } else {
          this.frame = Buffer.allocUnsafe(len);
          this.filled = chunk.copy(this.frame, 0, off);
          off = n;
        }
      } else {
        const copied = chunk.copy(frame, this.filled, off, off + (frame.length - this.filled));
        this.filled += copied;
        off += copied;
        if (this.filled === frame.length) {
          this.frame = null;
          this.dispatch(frame);
        }
      }
    }
  }

  private dispatch(msg: Buffer): void {
    this.clearMessageTimer();
    if (this.closing) {
      this.finish();
      return;
    }
    let res: ReturnType<DnsHandler["handle"]>;
    try {
      res = this.handler.handle(msg, this.ctx);
    } catch (err) {
      // A bug in the handler (it answers FORMERR/SERVFAIL itself): drop this connection only.
      this.logger.error(
        { err, peer: this.ctx.remoteAddress },
        "tcp handler threw; connection closed",
      );
      this.finish();
      return;
    }
    if (res === null) {
      // Not something we answer (garbage, a stray response): on a stream there is no way to
      // resynchronise with this peer, so close the connection.
      this.reject("message not answered");
      return;
    }
    if (Buffer.isBuffer(res)) {
      if (!this.checkSize(res)) return;
      // RFC 7766 §8: length and message in a single write, so they share a segment.
      const out = Buffer.allocUnsafe(res.length + 2);
      out.writeUInt16BE(res.length, 0);
      res.copy(out, 2);
      if (!this.socket.write(out)) {
        // The peer is not reading: stop reading its queries until it catches up, so pipelined
        // queries cannot pile up answers in our memory.
        this.pause();
        this.socket.once("drain", this.onDrain);
      }
      return;
    }
    this.pause();
    void this.stream(res).then(() => this.resume());
  }

  /**
   * Write a multi-message answer one message at a time, waiting for 'drain' whenever the
   * socket's buffer is full. The messages are written without copying, so the handler must
   * not reuse a buffer after yielding it.
   */
  private async stream(messages: AsyncIterable<StreamItem>): Promise<void> {
    const socket = this.socket;
    this.streaming = true;
    /** Set by a `pace` instruction: what follows is written at this rate. */
    let pace: Pacer | undefined;
    const started = Date.now();
    const deadline = setTimeout(() => {
      this.logger.warn(
        { peer: this.ctx.remoteAddress, ms: Date.now() - started },
        "tcp multi-message answer not finished in time; connection closed",
      );
      this.done = true;
      socket.destroy();
    }, this.limits.transferMs);
    deadline.unref();
    try {
      for await (const msg of messages) {
        if (this.done) return; // leaving the loop calls the iterator's return()
        if (!Buffer.isBuffer(msg)) {
          if (msg.control === "pace") pace = new Pacer(msg.bytesPerSecond);
          else if (!(await this.control(msg))) return;
          continue;
        }
        if (!this.checkSize(msg)) return;
        if (pace !== undefined) {
          if (!(await this.writePaced(msg, pace))) return;
          continue;
        }
        const prefix = Buffer.allocUnsafe(2);
        prefix.writeUInt16BE(msg.length, 0);
        socket.cork();
        socket.write(prefix);
        const more = socket.write(msg);
        socket.uncork();
        if (!more) {
          await drainOrClose(socket);
          if (this.done) return;
        }
      }
    } catch (err) {
      this.logger.error(
        { err, peer: this.ctx.remoteAddress },
        "tcp multi-message answer failed; connection closed",
      );
      this.finish();
    } finally {
      clearTimeout(deadline);
      this.streaming = false;
    }
  }

  /**
   * Carry out an instruction of the answer (all but `pace`, which is the writer's); false
   * when the answer ends there.
   */
  private async control(c: Exclude<StreamControl, { control: "pace" }>): Promise<boolean> {
    const socket = this.socket;
    switch (c.control) {
      case "delay":
        // Our own wait, not the peer's silence: the idle timer is off meanwhile (the
        // transfer deadline still runs).
        socket.setTimeout(0);
        await sleepOrClose(socket, c.ms);
        socket.setTimeout(this.limits.tcpIdleMs);
        return !this.done && !socket.destroyed;
      case "close":
        // A FIN once what was written is flushed; nothing more is read or answered.
        this.finish();
        return false;
      case "reset":
        // What was written goes to the system first, and the peer gets a moment to read it:
        // an RST that arrives before the peer read the data can make its system drop them.
        await flushed(socket);
        await sleepOrClose(socket, RESET_GRACE_MS);
        this.done = true;
        if (!socket.destroyed) socket.resetAndDestroy();
        return false;
      case "stall":
        // Nothing more is written or read; the idle timer (no traffic either way) or the
        // transfer deadline closes the connection, and the answer ends with it.
        this.stalled = true;
        if (this.closing) this.finish();
        await closed(socket);
        return false;
    }
  }

  /** One message written in slices at the pacer's rate; false when the connection went. */
  private async writePaced(msg: Buffer, pace: Pacer): Promise<boolean> {
    const socket = this.socket;
    const frame = Buffer.allocUnsafe(msg.length + 2);
    frame.writeUInt16BE(msg.length, 0);
    msg.copy(frame, 2);
    for (let off = 0; off < frame.length; off += pace.slice) {
      const part = frame.subarray(off, off + pace.slice);
      const wait = pace.wait(part.length);
      if (wait > 0) await sleepOrClose(socket, wait);
      if (this.done || socket.destroyed) return false;
      if (!socket.write(part)) await drainOrClose(socket);
      if (this.done || socket.destroyed) return false;
    }
    return true;
  }

  /** A TCP message cannot exceed 65535 octets (RFC 1035 §4.2.2); a bigger one is a bug. */
  private checkSize(msg: Buffer): boolean {
    if (msg.length <= MAX_MESSAGE) return true;
    this.logger.error(
      { peer: this.ctx.remoteAddress, bytes: msg.length },
      "tcp answer larger than 65535 octets; connection closed",
    );
    this.done = true;
    this.socket.destroy();
    return false;
  }

  private pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  private resume(): void {
    if (this.done) return;
    if (this.closing) {
      this.finish();
      return;
    }
    this.paused = false;
    const backlog = this.backlog;
    if (backlog !== null) {
      this.backlog = null;
      this.onData(backlog);
      if (this.paused || this.done) return;
    }
    if (this.peerEnded) this.finish();
    else this.socket.resume();
  }

  /** The peer sent something we cannot answer: close the connection. */
  private reject(reason: string): void {
    this.logger.debug({ peer: this.ctx.remoteAddress }, `tcp connection closed: ${reason}`);
    this.finish();
  }

  /** Close after the answers already written have been flushed. */
  private finish(): void {
    this.done = true;
    if (this.socket.writableEnded || this.socket.destroyed) return;
    this.socket.end(() => this.socket.destroy());
  }
}

/**
 * A rate in bytes per second, kept over the whole answer: slices of a twentieth of a second
 * (one octet at least), each sent when the bytes before it are due.
 */
class Pacer {
  readonly slice: number;
  private readonly started = Date.now();
  private sent = 0;

  constructor(private readonly bytesPerSecond: number) {
    this.slice = Math.max(1, Math.floor(bytesPerSecond / 20));
  }

  /** Milliseconds to wait before sending `n` more octets. */
  wait(n: number): number {
    const due = this.started + (this.sent * 1000) / this.bytesPerSecond;
    this.sent += n;
    return Math.max(0, due - Date.now());
  }
}

/** Resolves after `ms`, or at once when the socket closes. */
function sleepOrClose(socket: net.Socket, ms: number): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.on("close", done);
  });
}

/** Resolves when the socket has closed. */
function closed(socket: net.Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => socket.once("close", () => resolve()));
}

/** Resolves once what was written has been handed to the system (or the socket is gone). */
function flushed(socket: net.Socket): Promise<void> {
  if (socket.destroyed || socket.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
}

function drainOrClose(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}
