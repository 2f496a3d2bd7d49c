/**
 * `dns-primary lab check ZONE`: the multi-provider consistency check (lab/check.ts) against
 * a running dns-primary with a registrar. The API tells where the registrar answers, its
 * trust anchor, and the questions (every owner name and type the zone transfers, and one name
 * that does not exist); the check follows the delegation from there to every nameserver.
 * Exit 0 when every server gave the same answers and, when the zone is signed, each validated.
 */

import { type LabCheckReport, labCheck } from "../lab/check.js";
import { LabError } from "../lab/client.js";
import { withoutTrailingDot } from "../wire/name.js";
import { ApiCallError, apiGet } from "./api-client.js";
import type { LabCheckCommand } from "./args.js";
import type { CliIO } from "./io.js";
import { fetchRendering } from "./rendering.js";

/** Types that differ by signer, or say nothing of the zone's data: not compared. */
const NOT_ASKED = new Set([
  "SOA",
  "DNSKEY",
  "RRSIG",
  "NSEC",
  "NSEC3",
  "NSEC3PARAM",
  "CDS",
  "CDNSKEY",
]);

interface RegistrarInfo {
  origin: string;
  trust_anchor: { ds: string };
  dns: { host: string; port: number } | null;
}

export async function labCheckCommand(cmd: LabCheckCommand, io: CliIO): Promise<number> {
  try {
    return await checkLab(cmd, io);
  } catch (err) {
    if (!(err instanceof ApiCallError || err instanceof LabError)) throw err;
    io.stderr(`dns-primary: ${err.message}\n`);
    return 1;
  }
}

async function checkLab(cmd: LabCheckCommand, io: CliIO): Promise<number> {
  let registrar: RegistrarInfo;
  try {
    registrar = (await apiGet<RegistrarInfo>(cmd.api, "/dns-primary/v1/registrar", cmd.apiToken))
      .result as RegistrarInfo;
  } catch (err) {
    if (err instanceof ApiCallError && err.code === 7003)
      throw new ApiCallError(
        "this dns-primary serves no registrar: start it with --registrar HOST:PORT",
      );
    throw err;
  }
  const rendering = await fetchRendering({
    kind: "rendering",
    zone: cmd.zone,
    api: cmd.api,
    ...(cmd.apiToken ? { apiToken: cmd.apiToken } : {}),
    json: false,
  });
  const zone = `${withoutTrailingDot(rendering.zone.name)}.`;
  const questions = cmd.questions ?? [
    ...new Map(
      rendering.transferred
        .filter((s) => !NOT_ASKED.has(s.type))
        .map((s) => [`${s.name}\0${s.type}`, { name: s.name, type: s.type }]),
    ).values(),
    // A name that does not exist: each provider's denial must say so.
    { name: `dns-primary-lab-check.${zone}`, type: "A" },
  ];
  const parent = cmd.parent ?? registrar.dns ?? undefined;
  if (parent === undefined)
    throw new ApiCallError("the registrar's address is unknown: give --parent HOST:PORT");
  const report = await labCheck({
    zone,
    parent,
    questions,
    ...(cmd.port !== undefined ? { port: cmd.port } : {}),
    ...(cmd.servers ? { servers: cmd.servers } : {}),
    trustAnchor: [registrar.trust_anchor.ds],
  });
  io.stdout(cmd.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.ok ? 0 : 1;
}

export function formatReport(r: LabCheckReport): string {
  const lines = [
    `${r.zone} from the parent at ${r.parent}: ${r.delegation.nameservers.length} nameservers, ${r.delegation.ds.length} DS, delegation ${r.delegation.dnssec ?? "not validated"}`,
  ];
  for (const ns of r.nameservers) {
    const state = ns.error ?? `serial ${ns.serial}${ns.dnssec ? `, keys ${ns.dnssec}` : ""}`;
    lines.push(`  ${ns.name} ${ns.server || "(no address)"}: ${state}`);
  }
  // Reported, not a problem: a secondary that signs its copy may number it its own way.
  const bySerial = new Map<number, string[]>();
  for (const n of r.nameservers)
    if (n.serial !== null) bySerial.set(n.serial, [...(bySerial.get(n.serial) ?? []), n.server]);
  if (bySerial.size > 1) {
    const where = [...bySerial].map(([serial, at]) => `${serial} at ${at.join(", ")}`);
    lines.push(`  serials differ: ${where.join("; ")}`);
  }
  for (const a of r.answers) {
    const verdicts = new Set(Object.values(a.by_server).map((x) => x.dnssec ?? "not validated"));
    const dnssec =
      verdicts.size === 0 ? "no server asked" : verdicts.size === 1 ? [...verdicts][0] : "differs";
    lines.push(`  ${a.same ? "same" : "DIFFERS"}  ${a.name} ${a.type}  (${dnssec})`);
    if (!a.same || !/^(secure|insecure)$/.test(dnssec))
      for (const [server, x] of Object.entries(a.by_server))
        lines.push(
          `      ${server}: ${x.rcode} ${x.answer.join(" | ")}${x.dnssec ? ` [${x.dnssec}]` : ""}`,
        );
  }
  lines.push(r.ok ? "ok: every server gave the same answers" : `${r.problems.length} problem(s):`);
  for (const p of r.problems) lines.push(`  ${p}`);
  return `${lines.join("\n")}\n`;
}
