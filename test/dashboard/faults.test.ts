/**
 * The zone's Faults tab (issue 14) in headless Chromium, against a dns-primary started
 * in-process with one peer at 127.0.0.1, no TSIG, linked and enabled: the add form drawn
 * from `GET /dns-primary/v1/fault-kinds` (every kind of the server's table, defaults filled,
 * each parameter's doc as its hint, a required parameter and a bad value refused next to
 * their field with the API's code), an `axfr-soa-mismatch` fault for that peer, once, added
 * through the form and listed; then a real AXFR by kdig from the peer's address, which
 * receives a closing SOA with another serial than the opening one, while the tab's applied
 * count moves to 1 and the fault is used up without a reload; the Secondaries view naming the
 * fault on that transfer; the next AXFR clean; a notify-drop fault named on the NOTIFY that
 * Force NOTIFY did not send; remove and clear all. A fault declared at
 * start (`--fault`, the config file) shows as such.
 */

import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import t from "tap";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { FAULT_KIND_NAMES, FAULT_KINDS } from "../../src/faults/kinds.js";
import { type PrimaryServer, startServer } from "../../src/primary.js";
import { CHROMIUM, CHROMIUM_FLAGS, requireChromium, shot } from "../peers/chromium.js";
import { freePort, makeTempDir, removeTempDir, requireTool } from "../peers/tools.js";

const ORIGIN = "faults.example.";
const NAME = "faults.example";
const SERIAL = 2024060101;
const ZONE = `$ORIGIN ${ORIGIN}
$TTL 3600
@     IN SOA ns1 hostmaster ${SERIAL} 86400 7200 1209600 300
@     IN NS  ns1
ns1   IN A   192.0.2.1
www   IN A   192.0.2.80
`;

interface FaultJson {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  peer_id: string | null;
  times: number | null;
  applied: number;
  active: boolean;
  origin: string;
}

/**
 * An AXFR by kdig, kept whatever kdig made of it: its exit status (0 when it took the
 * transfer as complete) and what it printed. A short timeout: a stream kdig finds
 * unfinished ends in 2 s.
 */
function kdigAxfr(kdig: string, port: number): Promise<{ ok: boolean; text: string }> {
  const args = ["@127.0.0.1", "-p", String(port), "+tcp", "+timeout=2", "+retry=0", "AXFR", ORIGIN];
  return new Promise((resolve) => {
    execFile(kdig, args, { timeout: 10000 }, (err, stdout, stderr) =>
      resolve({ ok: err === null, text: `${stdout}${stderr}` }),
    );
  });
}

/** The SOA serials of an AXFR as kdig printed it, in order (opening and closing). */
function soaSerials(text: string): number[] {
  return [...text.matchAll(/^\S+\s+\d+\s+IN\s+SOA\s+\S+\s+\S+\s+(\d+)\s/gm)].map((m) =>
    Number(m[1]),
  );
}

t.test(
  "the Faults tab: add, watch it apply to an AXFR, see it in Secondaries, remove",
  async (t) => {
    if (!requireChromium(t)) return;
    const kdig = requireTool(t, "kdig");
    if (kdig === undefined) return;

    const dir = makeTempDir("dns-primary-dashboard-faults-");
    t.teardown(() => removeTempDir(dir));
    writeFileSync(path.join(dir, `${NAME}.zone`), ZONE);
    const transfers = new TransferSettings();
    // The peer is kdig's address; nothing listens at its port (the enable's NOTIFY goes unanswered).
    const peer = transfers.createPeer({ name: "lab", ip: "127.0.0.1", port: await freePort() });
    transfers.createOutgoing(ORIGIN, { peers: [peer.id] });
    transfers.enable(ORIGIN);
    const primary: PrimaryServer = await startServer({
      zonesDir: dir,
      dns: { host: "127.0.0.1", port: 0 },
      api: { host: "127.0.0.1", port: 0 },
      transfers,
      notify: { retrySchedule: [1000] },
      // Declared at start: shown as such; scoped to an address that never asks, so it never acts.
      faults: [{ zone: NAME, spec: { kind: "soa-rcode", source: "127.0.0.9" } }],
    });
    t.teardown(() => primary.close());
    const root = `http://127.0.0.1:${primary.api!.port}`;
    const api = async <R>(p: string): Promise<R> => {
      const res = await fetch(`${root}${p}`);
      return ((await res.json()) as { result: R }).result;
    };
    const zoneId = (await api<{ id: string }[]>(`/client/v4/zones?name=${NAME}`))[0].id;
    const faultsPath = `/dns-primary/v1/zones/${zoneId}/faults`;
    const axfr = () => kdigAxfr(kdig, primary.dns.tcp.port);

    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_FLAGS,
    });
    const page: Page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    t.teardown(async () => {
      if (!t.passing()) await shot(page, "faults-failure").catch(() => {});
      await browser.close();
    });
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.setDefaultTimeout(10000);

    await page.goto(`${root}/#/zones/${zoneId}/faults`);
    await page.locator("html[data-ready]").waitFor({ state: "attached" });
    t.equal(await page.locator("html").getAttribute("data-ready"), "true", "the tab is ready");
    t.equal(
      await page.locator("#tab-faults").getAttribute("aria-current"),
      "page",
      "the Faults tab is current",
    );
    const declared = page.locator("#faults tbody tr", { hasText: "soa-rcode" });
    t.match(await declared.textContent(), /config/, "the declared fault is listed as config");
    t.match(await declared.locator(".scope").textContent(), /127\.0\.0\.9/);

    // The form: every kind of the server's table; the kind's parameters with their defaults.
    await page.click("#add-fault");
    const form = page.locator("#fault-form");
    await form.waitFor();
    const kinds = await form
      .locator("#fault-kind option")
      .evaluateAll((os) => os.map((o) => o.getAttribute("value") ?? ""));
    t.same([...kinds].sort(), [...FAULT_KIND_NAMES].sort(), "every kind is offered");
    await form.getByLabel("Kind").selectOption("notify-from");
    t.ok(
      await form.locator("#fault-param-source").isVisible(),
      "notify-from: its source parameter",
    );
    t.notOk(
      await form.locator("#fault-source").isVisible(),
      "and no source scope, which would mean the same word twice",
    );
    await form.getByLabel("Kind").selectOption("latency");
    t.equal(await form.locator("#fault-param-ms").inputValue(), "", "latency's ms has no default");
    await form.getByRole("button", { name: "Add fault" }).click();
    await form.locator('[data-field="ms"] .err').filter({ hasText: "89202" }).waitFor();
    t.match(
      await form.locator('[data-field="ms"] .err').textContent(),
      /required/,
      "a required parameter left blank: the API's refusal at its field",
    );
    await form.getByLabel("Kind").selectOption("axfr-soa-mismatch");
    const delta = form.getByLabel("serial_delta");
    t.equal(
      await delta.inputValue(),
      String(FAULT_KINDS["axfr-soa-mismatch"].params.serial_delta.default),
      "serial_delta prefilled with its default",
    );
    t.match(
      await form.locator('[data-field="serial_delta"] .hint').textContent(),
      FAULT_KINDS["axfr-soa-mismatch"].params.serial_delta.doc,
      "its doc is the hint",
    );
    t.match(
      await form.locator("#fault-kind-doc").textContent(),
      FAULT_KINDS["axfr-soa-mismatch"].doc,
      "the kind's doc under the kind",
    );
    await delta.fill("0");
    await form.getByRole("button", { name: "Add fault" }).click();
    await form.locator('[data-field="serial_delta"] .err').filter({ hasText: "89202" }).waitFor();
    t.equal(await delta.getAttribute("aria-invalid"), "true", "0 is refused at serial_delta");
    await delta.fill("5");
    await form.getByLabel("Times").fill("1");
    await form.getByLabel("Peer").selectOption({ label: "lab (127.0.0.1)" });
    await shot(page, "30-faults-form-1280", false);
    await form.getByRole("button", { name: "Add fault" }).click();

    const row = page.locator("#faults tbody tr", { hasText: "axfr-soa-mismatch" });
    await row.waitFor();
    t.equal(await page.locator("#fault-form").count(), 0, "the form closed");
    t.equal(await row.locator(".params").textContent(), "serial_delta=5");
    t.match(await row.locator(".scope").textContent(), /peer lab/);
    t.equal(await row.locator(".times").textContent(), "1");
    t.equal(await row.locator(".applied").textContent(), "0");
    t.match(await row.locator(".state").textContent(), /active/);
    const stored = (await api<FaultJson[]>(faultsPath)).find((f) => f.kind === "axfr-soa-mismatch");
    t.match(
      stored,
      { params: { serial_delta: 5 }, peer_id: peer.id, times: 1, applied: 0, origin: "runtime" },
      "the API holds the fault the form described",
    );

    // A real AXFR from the peer's address: the fault acts once, the tab follows by itself.
    const first = await axfr();
    t.same(
      soaSerials(first.text),
      [SERIAL, SERIAL + 5],
      "kdig got a closing SOA 5 above the opening",
    );
    t.notOk(first.ok, "and did not take the transfer as complete");
    t.match(
      first.text,
      /ERROR/,
      first.text
        .split("\n")
        .filter((l) => /ERROR|WARNING/.test(l))
        .join("; "),
    );
    await row.locator(".applied", { hasText: "1" }).waitFor();
    t.equal(await row.locator(".times").textContent(), "0", "its one time is used up");
    t.match(await row.locator(".state").textContent(), /used up/);
    t.notMatch(await row.locator(".last-applied").textContent(), /—/, "with when it was applied");
    await shot(page, "31-faults-applied-1280");

    // The Secondaries view names the fault on that transfer.
    await page.locator("#tab-secondaries").click();
    const secondary = page.locator('table.secondaries tr[data-peer="lab"]');
    const hit = secondary.locator(".transfer .fault-hits li");
    await hit.waitFor();
    t.equal(await hit.getAttribute("data-fault-id"), stored?.id, "the fault that acted, by id");
    t.equal(await hit.locator(".fault-kind").textContent(), "axfr-soa-mismatch", "its kind");
    t.ok(((await hit.locator(".fault-action").textContent()) ?? "").trim() !== "", "what it did");
    await shot(page, "32-secondaries-fault-1280");

    // Used up: the next AXFR is a good one, and the Secondaries view says no fault acted.
    const second = await axfr();
    t.same(
      soaSerials(second.text),
      [SERIAL, SERIAL],
      "the next AXFR closes with the opening serial",
    );
    t.ok(second.ok, "and kdig takes it");
    await secondary.locator(".transfer:not(:has(.fault-hits))").waitFor();
    t.pass("the Secondaries view shows the clean transfer without a fault");

    // Remove the one, then add another and clear all.
    await page.locator("#tab-faults").click();
    await row.waitFor();
    t.equal(await row.locator(".applied").textContent(), "1", "the count stays after it is spent");
    await row.getByRole("button", { name: "Remove fault axfr-soa-mismatch" }).click();
    await row.waitFor({ state: "detached" });
    t.notOk(
      (await api<FaultJson[]>(faultsPath)).some((f) => f.kind === "axfr-soa-mismatch"),
      "removed from the server",
    );
    await page.click("#add-fault");
    await form.getByLabel("Kind").selectOption("xfr-truncate");
    await form.getByRole("button", { name: "Add fault" }).click();
    await page.locator("#faults tbody tr", { hasText: "xfr-truncate" }).waitFor();
    // A NOTIFY fault: Force NOTIFY's NOTIFY to the peer is not sent, and Secondaries says why.
    await page.click("#add-fault");
    await form.getByLabel("Kind").selectOption("notify-drop");
    await form.getByLabel("Times").fill("1");
    await form.getByRole("button", { name: "Add fault" }).click();
    const drop = page.locator("#faults tbody tr", { hasText: "notify-drop" });
    await drop.waitFor();
    await page.locator("#tab-settings").click();
    await page.locator("#force-notify").click();
    await page.locator("#notify-result:not(:empty)").waitFor();
    await page.locator("#tab-secondaries").click();
    const notifyHit = secondary.locator(".notify .fault-hits li");
    await notifyHit.waitFor();
    t.equal(await notifyHit.locator(".fault-kind").textContent(), "notify-drop");
    t.match(
      await secondary.locator(".notify").textContent(),
      /dropped/,
      "the Secondaries view shows the NOTIFY dropped, by the fault it names",
    );
    await shot(page, "34-secondaries-notify-fault-1280");
    await page.locator("#tab-faults").click();
    await drop.locator(".applied", { hasText: "1" }).waitFor();
    t.equal(await page.locator("#faults-count").textContent(), "3");
    page.once("dialog", (d) => d.accept());
    await page.click("#clear-faults");
    await page.locator("#faults .empty").waitFor();
    t.same(await api<FaultJson[]>(faultsPath), [], "clear all left none");
    const third = await axfr();
    t.ok(third.ok, "and an AXFR is whole again");
    t.same(soaSerials(third.text), [SERIAL, SERIAL]);

    await page.setViewportSize({ width: 420, height: 800 });
    await shot(page, "33-faults-420", false);
    t.same(problems, [], "no page errors");
  },
);
