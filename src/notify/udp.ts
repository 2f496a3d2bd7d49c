/**
 * The datagram side of the NOTIFY sender: UDP sockets bound to a chosen source address, so
 * NOTIFY may leave from an address other than the one secondaries transfer from (Cloudflare
 * does that, and a secondary that accepts NOTIFY only from its configured primary refuses it).
 *
 * One socket per address family, created on first use. The family of the configured host gets
 * a socket bound to it; the other family, if a peer ever needs it, a socket bound to its
 * wildcard address on the same port.
 *
 * A send may also name another source address (the notify-from fault, faults/kinds.ts): it
 * gets a socket of its own on an ephemeral port, reused by the sends that name it and closed
 * once none has for `lingerMs` (by then no answer to them is awaited), or with the transport.
 */

import { createSocket, type Socket } from "node:dgram";
import { isIP } from "node:net";
import { widenReceiveBuffer } from "../transport/udp.js";

export interface Rinfo {
  address: string;
  port: number;
}

/** What the Notifier needs from the network: tests give it a fake one. */
export interface NotifyTransport {
  /**
   * Send one datagram, from `from` (an address of this host) instead of the configured source
   * when given; rejects when it cannot be sent (bind failure, unreachable...).
   */
  send(message: Buffer, host: string, port: number, from?: string): Promise<void>;
  /** The one handler for every datagram received. */
  onMessage(handler: (message: Buffer, rinfo: Rinfo) => void): void;
  close(): Promise<void>;
}

export interface NotifySource {
  /** An IPv4 or IPv6 address of this host, or a wildcard ("0.0.0.0", "::"). */
  host: string;
  /** 0 (the default): an ephemeral port. */
  port?: number;
}

type Family = 4 | 6;

interface SourceSocket {
  socket: Promise<Socket>;
  timer?: NodeJS.Timeout;
}

/** An IPv4-mapped IPv6 address as its IPv4 form; IPv6 text lowercased. */
export function normalizeAddress(address: string): string {
  const a = address.toLowerCase();
  return a.startsWith("::ffff:") && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

export class UdpTransport implements NotifyTransport {
  private readonly sockets = new Map<Family, Promise<Socket>>();
  private readonly bound = new Map<Family, Socket>();
  /** Sockets on other source addresses, by normalized address. */
  private readonly others = new Map<string, SourceSocket>();
  private handler: (message: Buffer, rinfo: Rinfo) => void = () => {};
  private closed = false;
  private readonly family: Family;
  private readonly port: number;

  constructor(
    readonly source: NotifySource,
    /** Errors on a bound socket (it is then closed and made again on the next send). */
    private readonly onError: (e: Error) => void = () => {},
    /**
     * How long a socket on another source address (`send`'s `from`) stays open after its last
     * send, in ms: at least as long as an answer to that send is awaited.
     */
    private readonly lingerMs = 60_000,
  ) {
    const family = isIP(source.host);
    if (family === 0) {
      throw new Error(`NOTIFY source "${source.host}" is not an IPv4 or IPv6 address`);
    }
    const port = source.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`NOTIFY source port ${port} is not a port number`);
    }
    this.family = family as Family;
    this.port = port;
  }

  onMessage(handler: (message: Buffer, rinfo: Rinfo) => void): void {
    this.handler = handler;
  }

  /** The address and port the socket for `family` is bound to (binding it if need be). */
  async address(family: Family = this.family): Promise<Rinfo> {
    const s = await this.socket(family);
    const a = s.address();
    return { address: a.address, port: a.port };
  }

  async send(message: Buffer, host: string, port: number, from?: string): Promise<void> {
    const family = isIP(host);
    if (family === 0) throw new Error(`"${host}" is not an IPv4 or IPv6 address`);
    let s: Socket;
    if (from === undefined) s = await this.socket(family as Family);
    else {
      const address = normalizeAddress(from);
      const fromFamily = isIP(address);
      if (fromFamily === 0) throw new Error(`"${from}" is not an IPv4 or IPv6 address`);
      if (fromFamily !== family) {
        throw new Error(`cannot send from ${address} to ${host}: not the same address family`);
      }
      s = await this.sourceSocket(address, fromFamily as Family);
    }
    await new Promise<void>((resolve, reject) => {
      s.send(message, port, host, (e) => (e ? reject(e) : resolve()));
    });
  }

  private socket(family: Family): Promise<Socket> {
    if (this.closed) return Promise.reject(new Error("the NOTIFY transport is closed"));
    let p = this.sockets.get(family);
    if (!p) {
      p = this.bind(family);
      this.sockets.set(family, p);
      // A failed bind is tried again on the next send (the address may appear later).
      p.catch(() => {
        if (this.sockets.get(family) === p) this.sockets.delete(family);
      });
    }
    return p;
  }

  private bind(family: Family): Promise<Socket> {
    const host = family === this.family ? this.source.host : family === 4 ? "0.0.0.0" : "::";
    return this.open(host, this.port, family, (s) => {
      if (this.bound.get(family) === s) {
        this.bound.delete(family);
        this.sockets.delete(family);
      }
    }).then((s) => {
      this.bound.set(family, s);
      return s;
    });
  }

  /**
   * The socket bound to `address` (another source than the configured one), bound on first
   * use; each use keeps it open `lingerMs` longer. A failed bind is tried again next time.
   */
  private sourceSocket(address: string, family: Family): Promise<Socket> {
    if (this.closed) return Promise.reject(new Error("the NOTIFY transport is closed"));
    let entry = this.others.get(address);
    if (entry === undefined) {
      const e: SourceSocket = {
        socket: this.open(address, 0, family, () => this.dropSource(address, e)),
      };
      e.socket.catch(() => this.dropSource(address, e));
      this.others.set(address, e);
      entry = e;
    }
    const e = entry;
    if (e.timer !== undefined) clearTimeout(e.timer);
    e.timer = setTimeout(() => this.dropSource(address, e), this.lingerMs);
    e.timer.unref();
    return e.socket;
  }

  /** Forget (and close) the socket on another source address, if it is still that one. */
  private dropSource(address: string, e: SourceSocket): void {
    if (this.others.get(address) !== e) return;
    this.others.delete(address);
    if (e.timer !== undefined) clearTimeout(e.timer);
    e.socket.then(closeQuietly, () => {});
  }

  /** A socket bound to host:port; `lost` is told when an error closes it later. */
  private open(
    host: string,
    port: number,
    family: Family,
    lost: (s: Socket) => void,
  ): Promise<Socket> {
    const s = createSocket({ type: family === 4 ? "udp4" : "udp6", ipv6Only: family === 6 });
    return new Promise<Socket>((resolve, reject) => {
      const failed = (e: Error) => {
        closeQuietly(s);
        reject(new Error(`cannot bind the NOTIFY source ${fmt(host, port)}: ${e.message}`));
      };
      s.once("error", failed);
      s.bind({ address: host, port, exclusive: true }, () => {
        s.off("error", failed);
        widenReceiveBuffer(s);
        s.on("error", (e) => {
          this.onError(e);
          lost(s);
          closeQuietly(s);
        });
        s.on("message", (msg, rinfo) =>
          this.handler(msg, { address: normalizeAddress(rinfo.address), port: rinfo.port }),
        );
        resolve(s);
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.sockets.values()];
    for (const e of this.others.values()) {
      if (e.timer !== undefined) clearTimeout(e.timer);
      all.push(e.socket);
    }
    this.sockets.clear();
    this.bound.clear();
    this.others.clear();
    await Promise.all(all.map((p) => p.then(closeQuietly, () => {})));
  }
}

/** Close a socket that may already be closed; resolves once it is. */
function closeQuietly(s: Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

function fmt(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
