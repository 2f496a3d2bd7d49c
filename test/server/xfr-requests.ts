/**
 * What the transfer tests of this folder send: an AXFR or IXFR request, built with dns-packet
 * (not the server's own writer), and the connection it arrives on.
 */

import packet from "dns-packet";
import type { RequestContext } from "../../src/server/handler.js";

/**
 * An AXFR, or an IXFR from `serial` (its SOA in the authority section, RFC 1995 §3);
 * `authority: "A"` puts an A record where that SOA goes, for the malformed case.
 */
export function xfrRequest(
  zone: string,
  qtype: "AXFR" | "IXFR",
  opts: { serial?: number; id?: number; authority?: "SOA" | "A" } = {},
): Buffer {
  const { serial, id = 99, authority = "SOA" } = opts;
  const record =
    authority === "A"
      ? { name: zone, type: "A", ttl: 0, class: "IN", data: "192.0.2.1" }
      : {
          name: zone,
          type: "SOA",
          ttl: 0,
          class: "IN",
          data: { mname: "ns", rname: "h", serial, refresh: 1, retry: 1, expire: 1, minimum: 1 },
        };
  return packet.encode({
    id,
    type: "query",
    flags: 0,
    questions: [{ name: zone, type: qtype, class: "IN" }],
    authorities: serial === undefined ? [] : [record],
  } as packet.Packet);
}

/** A request from `ip` over `transport` to 127.0.0.1:53. */
export const requestContext = (
  ip = "127.0.0.1",
  transport: "tcp" | "udp" = "tcp",
): RequestContext => ({
  transport,
  remoteAddress: ip,
  remotePort: 40000,
  localAddress: "127.0.0.1",
  localPort: 53,
});
