/**
 * The zone's Settings tab in headless Chromium when the zone is not enabled for outgoing
 * zone transfers: the API's refusal and what it means are shown instead of the switch,
 * "Grant the entitlement" grants it through the emulator's route, and the tab then shows
 * the zone's outgoing configuration as it was kept (Enabled).
 */

import { writeFileSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import t from "tap";
import { TransferSettings } from "../../src/cloudflare/transfer/settings.js";
import { startServer } from "../../src/primary.js";
import { CHROMIUM, CHROMIUM_FLAGS, requireChromium, shot } from "../peers/chromium.js";
import { makeTempDir, removeTempDir } from "../peers/tools.js";

const ORIGIN = "entitled.example.";
const ZONE = `$ORIGIN ${ORIGIN}
$TTL 3600
@   IN SOA ns1 hostmaster 1 86400 7200 1209600 300
@   IN NS  ns1
ns1 IN A   192.0.2.1
`;

t.test("Settings tab: not entitled, explained, then granted", async (t) => {
  if (!requireChromium(t)) return;
  const dir = makeTempDir("dns-primary-dashboard-entitlement-");
  t.teardown(() => removeTempDir(dir));
  writeFileSync(path.join(dir, "entitled.example.zone"), ZONE);
  const transfers = new TransferSettings();
  transfers.createOutgoing(ORIGIN, { status: "Enabled" });
  transfers.setEntitled(ORIGIN, false);
  const primary = await startServer({
    zonesDir: dir,
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: 0 },
    transfers,
    notify: false,
  });
  t.teardown(() => primary.close());
  const root = `http://127.0.0.1:${primary.api!.port}`;
  const zones = (await (await fetch(`${root}/client/v4/zones?name=entitled.example`)).json()) as {
    result: { id: string }[];
  };
  const id = zones.result[0].id;

  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_FLAGS,
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  t.teardown(async () => {
    if (!t.passing()) await shot(page, "entitlement-failure").catch(() => {});
    await browser.close();
  });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.setDefaultTimeout(10000);

  await page.goto(`${root}/#/zones/${id}/settings`);
  await page.locator("#not-entitled").waitFor();
  t.match(
    await page.locator("#not-entitled").textContent(),
    /Outgoing zone transfers are not enabled for zone entitled\.example/,
    "the API's refusal is shown",
  );
  t.match(
    await page.locator("main").textContent(),
    /make sure your account team has enabled your zone for outgoing zone transfers/,
    "what it means, in the guide's words",
  );
  t.equal(await page.locator("#outgoing-toggle").count(), 0, "no switch while not entitled");
  await page.locator(".fact", { hasText: "not entitled" }).waitFor();
  t.equal(await page.locator("#multi-provider-toggle").count(), 1, "the other settings stay");
  await shot(page, "30-not-entitled");

  await page.click("#grant-entitlement");
  await page.locator('#outgoing-toggle[aria-checked="true"]').waitFor();
  t.equal(transfers.entitled(ORIGIN), true, "granted on the server");
  await page.locator(".fact", { hasText: "Enabled" }).waitFor();
  t.equal(transfers.outgoing(ORIGIN)?.status, "Enabled", "the kept configuration shows");
  t.same(problems, [], "no page errors");
});

t.test("account view: enforce DNS-only and the multi-provider zone default", async (t) => {
  if (!requireChromium(t)) return;
  const dir = makeTempDir("dns-primary-dashboard-account-");
  t.teardown(() => removeTempDir(dir));
  writeFileSync(path.join(dir, "entitled.example.zone"), ZONE);
  const primary = await startServer({
    zonesDir: dir,
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: 0 },
    notify: false,
  });
  t.teardown(() => primary.close());
  const root = `http://127.0.0.1:${primary.api!.port}`;
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_FLAGS,
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  t.teardown(async () => {
    if (!t.passing()) await shot(page, "account-dns-failure").catch(() => {});
    await browser.close();
  });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.setDefaultTimeout(10000);
  await page.goto(`${root}/#/transfers`);
  await page.locator("#enforce-dns-only").waitFor();
  t.equal(await page.locator("#enforce-dns-only").getAttribute("aria-checked"), "false");
  await page.click("#enforce-dns-only");
  await page.locator('#enforce-dns-only[aria-checked="true"]:not([disabled])').waitFor();
  t.equal(primary.cloudflare.accountSettings().enforce_dns_only, true, "the server follows");
  await page.click("#default-multi-provider");
  await page.locator('#default-multi-provider[aria-checked="true"]:not([disabled])').waitFor();
  t.equal(primary.cloudflare.accountSettings().zone_defaults.multi_provider, true);
  await shot(page, "31-account-dns-settings");
  t.same(problems, [], "no page errors");
});
