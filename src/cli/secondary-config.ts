/**
 * `dns-primary secondary-config --for bind|knot|nsd|powerdns --zone NAME [--peer NAME]`:
 * a ready configuration snippet for a secondary of one zone: the TSIG key in the
 * secondary's syntax, the zone as a secondary of dns-primary's address and port, and NOTIFY
 * accepted from the address dns-primary notifies from.
 *
 * The facts come from a running dns-primary (`--api`: its zone-transfer objects and its own
 * addresses, from `/dns-primary/v1/server`) or from a config file (`--config`, with `--dns`
 * and `--notify-source` saying where the server listens). The interop tests configure BIND
 * and Knot with these snippets, so what is printed is what was proven to work.
 */

import { loadConfig } from "../config/load.js";
import type { TransferSettings } from "../transfer/settings.js";
import { DEFAULT_DNS_HOST, DEFAULT_DNS_PORT } from "../transport/listen.js";
import { canonicalName, withoutTrailingDot } from "../wire/name.js";
import type { HostPort, SecondaryConfigCommand } from "./args.js";
import type { CliIO } from "./io.js";

export const SECONDARY_KINDS = ["bind", "knot", "nsd", "powerdns"] as const;
export type SecondaryKind = (typeof SECONDARY_KINDS)[number];

export interface SecondaryFacts {
  /** The zone, absolute ("example.com."). */
  zone: string;
  /** Where the secondary asks for the SOA and transfers. */
  primary: HostPort;
  /** The address (or addresses) NOTIFY comes from. */
  notifyFrom: string | readonly string[];
  /** The TSIG the zone's peers share, when they use one. */
  key?: { name: string; algorithm: string; secret: string };
  /** The peer this snippet is for, for the comment line. */
  peerName?: string;
}

/** "hmac-sha256." or "hmac-md5.sig-alg.reg.int." → the short name every secondary takes. */
export function algorithmName(algo: string): string {
  const a = algo.toLowerCase().replace(/\.$/, "");
  return a === "hmac-md5.sig-alg.reg.int" ? "hmac-md5" : a;
}

/** The snippet for one kind of secondary. */
export function secondaryConfig(kind: SecondaryKind, f: SecondaryFacts): string {
  const zone = withoutTrailingDot(f.zone);
  const key = f.key ? { ...f.key, algorithm: algorithmName(f.key.algorithm) } : undefined;
  const { host, port } = f.primary;
  const from = typeof f.notifyFrom === "string" ? [f.notifyFrom] : [...f.notifyFrom];
  const who = `dns-primary ${host} port ${port}${f.peerName ? `, peer "${f.peerName}"` : ""}`;
  switch (kind) {
    case "bind":
      return [
        `# BIND 9 (named.conf): ${zone} as a secondary of ${who}`,
        ...(key
          ? [
              `key "${key.name}" {`,
              `    algorithm ${key.algorithm};`,
              `    secret "${key.secret}";`,
              "};",
            ]
          : []),
        `zone "${zone}" {`,
        "    type secondary;",
        `    primaries { ${host} port ${port}${key ? ` key "${key.name}"` : ""}; };`,
        // BIND accepts NOTIFY from its primaries' addresses; the NOTIFY source may differ.
        `    allow-notify { ${from.map((a) => `${a};`).join(" ")} };`,
        `    file "${zone}.db";`,
        "};",
        "",
      ].join("\n");
    case "knot":
      return [
        `# Knot DNS (knot.conf): ${zone} as a secondary of ${who}`,
        ...(key
          ? [
              "key:",
              `  - id: ${key.name}`,
              `    algorithm: ${key.algorithm}`,
              `    secret: ${key.secret}`,
            ]
          : []),
        "remote:",
        "  - id: dns-primary",
        `    address: ${host}@${port}`,
        ...(key ? [`    key: ${key.name}`] : []),
        "acl:",
        "  - id: dns-primary-notify",
        `    address: ${from.length === 1 ? from[0] : `[${from.join(", ")}]`}`,
        ...(key ? [`    key: ${key.name}`] : []),
        "    action: notify",
        "zone:",
        `  - domain: ${zone}`,
        // `master` is the spelling Knot 3.0–3.2 know (Debian bookworm ships 3.2); later
        // versions also take `primary`.
        "    master: dns-primary",
        "    acl: dns-primary-notify",
        "",
      ].join("\n");
    case "nsd":
      return [
        `# NSD (nsd.conf): ${zone} as a secondary of ${who}`,
        ...(key
          ? [
              "key:",
              `    name: "${key.name}"`,
              `    algorithm: ${key.algorithm}`,
              `    secret: "${key.secret}"`,
            ]
          : []),
        "zone:",
        `    name: "${zone}"`,
        `    request-xfr: ${host}@${port} ${key ? key.name : "NOKEY"}`,
        ...from.map((a) => `    allow-notify: ${a} ${key ? key.name : "NOKEY"}`),
        "",
      ].join("\n");
    case "powerdns":
      return [
        `# PowerDNS Authoritative 4.5+: ${zone} as a secondary of ${who}`,
        "# pdns.conf:",
        "#   secondary=yes",
        `#   allow-notify-from=${from.join(",")}`,
        "# then:",
        `pdnsutil create-secondary-zone ${zone} ${host}:${port}`,
        ...(key
          ? [
              `pdnsutil import-tsig-key ${key.name} ${key.algorithm} '${key.secret}'`,
              `pdnsutil set-meta ${zone} AXFR-MASTER-TSIG ${key.name}`,
            ]
          : []),
        "",
      ].join("\n");
  }
}

/** The facts from a config file: its peers and TSIGs; the addresses from the flags. */
function factsFromSettings(
  settings: TransferSettings,
  zone: string,
  peerName: string | undefined,
  primary: HostPort,
  notifyFrom: string,
): SecondaryFacts {
  const cfg = settings.outgoing(zone);
  if (cfg === undefined)
    throw new CommandError(`zone ${withoutTrailingDot(zone)} has no outgoing transfers configured`);
  const peers = cfg.peers.map((id) => settings.getPeer(id));
  const peer = pickPeer(peers, peerName, zone);
  const tsig = peer?.tsig_id === undefined ? undefined : settings.getTsig(peer.tsig_id);
  return {
    zone,
    primary,
    notifyFrom,
    ...(tsig ? { key: { name: tsig.name, algorithm: tsig.algo, secret: tsig.secret } } : {}),
    ...(peer ? { peerName: peer.name } : {}),
  };
}

function pickPeer<P extends { name: string }>(
  peers: P[],
  name: string | undefined,
  zone: string,
): P | undefined {
  if (name !== undefined) {
    const p = peers.find((x) => x.name === name);
    if (p === undefined)
      throw new CommandError(
        `no peer named "${name}" is linked to ${withoutTrailingDot(zone)} (linked: ${peers.map((x) => x.name).join(", ") || "none"})`,
      );
    return p;
  }
  if (peers.length > 1)
    throw new CommandError(
      `${withoutTrailingDot(zone)} has ${peers.length} linked peers; say which with --peer (${peers.map((x) => x.name).join(", ")})`,
    );
  return peers[0];
}

/** A failure the user can act on: one line, exit code 1. */
export class CommandError extends Error {
  override name = "CommandError";
}

interface Envelope<T> {
  success: boolean;
  errors: Array<{ code: number; message: string }>;
  result: T;
}

/** The facts from a running dns-primary's API. */
async function factsFromApi(cmd: SecondaryConfigCommand, zone: string): Promise<SecondaryFacts> {
  const base = `http://${cmd.api.host.includes(":") ? `[${cmd.api.host}]` : cmd.api.host}:${cmd.api.port}`;
  const get = async <T>(path: string): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        headers: cmd.apiToken ? { authorization: `Bearer ${cmd.apiToken}` } : {},
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CommandError(`cannot reach dns-primary at ${base}: ${cause}`);
    }
    const body = (await res.json().catch(() => undefined)) as Envelope<T> | undefined;
    if (!res.ok || !body?.success) {
      const why = body?.errors?.[0]?.message ?? `HTTP ${res.status}`;
      throw new CommandError(`${path}: ${why}`);
    }
    return body.result;
  };
  const server = await get<{ dns: HostPort; notify_source: { host: string } | null }>(
    "/dns-primary/v1/server",
  );
  const zones = await get<Array<{ id: string; name: string }>>(
    `/client/v4/zones?name=${encodeURIComponent(withoutTrailingDot(zone))}`,
  );
  if (zones.length === 0)
    throw new CommandError(`zone ${withoutTrailingDot(zone)} is not served there`);
  const out = await get<{ peers: string[] }>(
    `/client/v4/zones/${zones[0].id}/secondary_dns/outgoing`,
  ).catch((err: Error) => {
    throw new CommandError(
      `zone ${withoutTrailingDot(zone)} has no outgoing transfers configured (${err.message})`,
    );
  });
  const accounts = await get<Array<{ id: string }>>("/client/v4/accounts");
  const account = accounts[0].id;
  const peers = await Promise.all(
    out.peers.map((id) =>
      get<{ name: string; tsig_id?: string }>(
        `/client/v4/accounts/${account}/secondary_dns/peers/${id}`,
      ),
    ),
  );
  const peer = pickPeer(peers, cmd.peer, zone);
  const tsig =
    peer?.tsig_id === undefined
      ? undefined
      : await get<{ name: string; algo: string; secret: string }>(
          `/client/v4/accounts/${account}/secondary_dns/tsigs/${peer.tsig_id}`,
        );
  return {
    zone,
    primary: server.dns,
    notifyFrom: server.notify_source?.host ?? server.dns.host,
    ...(tsig ? { key: { name: tsig.name, algorithm: tsig.algo, secret: tsig.secret } } : {}),
    ...(peer ? { peerName: peer.name } : {}),
  };
}

export async function secondaryConfigCommand(
  cmd: SecondaryConfigCommand,
  io: CliIO,
): Promise<number> {
  const zone = canonicalName(cmd.zone.endsWith(".") ? cmd.zone : `${cmd.zone}.`);
  try {
    let facts: SecondaryFacts;
    if (cmd.config !== undefined) {
      const primary = cmd.dns ?? { host: DEFAULT_DNS_HOST, port: DEFAULT_DNS_PORT };
      facts = factsFromSettings(
        loadConfig(cmd.config).settings,
        zone,
        cmd.peer,
        primary,
        cmd.notifySource?.host ?? primary.host,
      );
    } else {
      facts = await factsFromApi(cmd, zone);
    }
    io.stdout(secondaryConfig(cmd.for, facts));
    return 0;
  } catch (err) {
    if (err instanceof CommandError) {
      io.stderr(`dns-primary: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
