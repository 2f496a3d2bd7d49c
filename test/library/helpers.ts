/** A DNS question over UDP for the library tests: the answer decoded by dns-packet. */
export type Answer = dnsPacket.Packet & { rcode?: string };

import dgram from "node:dgram";
import dnsPacket from "dns-packet";

export async function ask(
  port: number,
  name: string,
  type: dnsPacket.RecordType = "A",
  timeoutMs = 2000,
): Promise<Answer> {
  const sock = dgram.createSocket("udp4");
  const id = Math.floor(Math.random() * 65535);
  try {
    return await new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer from 127.0.0.1:${port} for ${name} ${type}`)),
        timeoutMs,
      );
      sock.on("message", (m) => {
        clearTimeout(timer);
        resolve(dnsPacket.decode(m));
      });
      sock.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.send(
        dnsPacket.encode({ type: "query", id, flags: 0, questions: [{ type, name, class: "IN" }] }),
        port,
        "127.0.0.1",
      );
    });
  } finally {
    sock.close();
  }
}

/** The data of the answers of one type, as dns-packet gives it (addresses, names...). */
export function answers(p: dnsPacket.Packet, type = "A"): unknown[] {
  return (p.answers ?? []).filter((a) => a.type === type).map((a) => (a as { data: unknown }).data);
}

export function serialOf(p: dnsPacket.Packet): number {
  const soa = (p.answers ?? []).find((a) => a.type === "SOA") as
    | { data: { serial: number } }
    | undefined;
  if (!soa) throw new Error("no SOA in the answer");
  return soa.data.serial;
}
