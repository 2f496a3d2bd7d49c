/**
 * Listen for DNS on one address and port over both UDP and TCP, as RFC 1035 §4.2 and
 * RFC 7766 §5 expect of every server (TCP is not optional: truncated answers and transfers
 * need it).
 */

import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { DnsHandler } from "../server/handler.js";
import { DnsListenError } from "./errors.js";
import { type Limits, resolveLimits } from "./limits.js";
import { bindTcp, type TcpServer } from "./tcp.js";
import { bindUdp, type UdpServer } from "./udp.js";

export interface ListenOptions {
  /** An IP address (IPv4 or IPv6, e.g. "127.0.0.1", "::1"). */
  host: string;
  /** 0 picks a free port, the same for UDP and TCP. */
  port: number;
  handler: DnsHandler;
  logger: Logger;
  limits?: Partial<Limits>;
}

export interface DnsListener {
  udp: AddressInfo;
  tcp: AddressInfo;
  close(): Promise<void>;
}

/** Where a primary serves DNS unless told otherwise: loopback, an unprivileged port. */
export const DEFAULT_DNS_HOST = "127.0.0.1";
export const DEFAULT_DNS_PORT = 5300;

/** How often to try another free port when TCP loses the race for the one UDP got. */
const PORT_RACE_ATTEMPTS = 8;

export async function listenDns(options: ListenOptions): Promise<DnsListener> {
  const { host, port, handler, logger } = options;
  const limits = resolveLimits(options.limits);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`DNS port must be an integer from 0 to 65535, got ${port}`);
  }

  let udp: UdpServer | undefined;
  let tcp: TcpServer | undefined;
  for (let attempt = 1; ; attempt++) {
    udp = await bindUdp(host, port, handler, logger);
    const udpPort = (udp.socket.address() as AddressInfo).port;
    try {
      tcp = await bindTcp(host, udpPort, handler, logger, limits);
      break;
    } catch (err) {
      await udp.close();
      // With port 0 the kernel chose a port free for UDP; TCP's may be taken (or taken in the
      // meantime). Pick another pair rather than fail.
      const raced = err instanceof DnsListenError && err.code === "EADDRINUSE";
      if (port !== 0 || !raced || attempt >= PORT_RACE_ATTEMPTS) throw err;
    }
  }

  const udpAddress = udp.socket.address() as AddressInfo;
  const tcpAddress = tcp.server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const u = udp;
  const t = tcp;
  return {
    udp: udpAddress,
    tcp: tcpAddress,
    close() {
      closed ??= Promise.all([u.close(), t.close()]).then(() => undefined);
      return closed;
    },
  };
}
