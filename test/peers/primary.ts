/**
 * Start dns-primary in-process for the interop tests. The import is dynamic so that these
 * tests type-check and skip cleanly while src/primary.ts does not exist yet.
 */
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { PeerServer } from "./tools.js";

interface RunningPrimary {
  dns: { udp: AddressInfo; tcp: AddressInfo };
  close(): Promise<void>;
}

type StartPrimary = (opts: {
  zonesDir: string;
  dns: { host: string; port: number };
}) => Promise<RunningPrimary>;

/** The `startServer` export, or null with the reason it is unavailable. */
export async function loadStartPrimary(): Promise<{ start: StartPrimary | null; reason: string }> {
  const specifier = "../../src/primary.js";
  const source = fileURLToPath(new URL("../../src/primary.ts", import.meta.url));
  if (!existsSync(source))
    return { start: null, reason: "dns-primary's src/primary.ts has not landed yet" };
  const mod = (await import(specifier)) as { startServer?: StartPrimary };
  if (typeof mod.startServer !== "function") {
    return { start: null, reason: "src/primary.ts does not export startServer yet" };
  }
  return { start: mod.startServer, reason: "" };
}

/** Start dns-primary on 127.0.0.1, port 0 (UDP and TCP may get different ports). */
export async function startPrimaryPeer(
  start: StartPrimary,
  zonesDir: string,
): Promise<PeerServer & { tcpPort: number }> {
  const p = await start({ zonesDir, dns: { host: "127.0.0.1", port: 0 } });
  return {
    name: "dns-primary",
    host: "127.0.0.1",
    port: p.dns.udp.port,
    tcpPort: p.dns.tcp.port,
    pid: process.pid,
    dir: zonesDir,
    log: () => "",
    stop: () => p.close(),
  };
}
