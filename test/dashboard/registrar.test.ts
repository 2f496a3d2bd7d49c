/**
 * The zone's Registrar tab (the setup guide's step 7) in headless Chromium, against a
 * dns-primary started in-process with a registrar: the delegation as the parent serves it
 * (Cloudflare's nameservers with the DNS listener's address as glue, the trust anchor), the
 * secondary's nameserver, its glue and another signer's DS added through the form and then
 * asked of the registrar itself over DNS (the referral carries them), a bad address refused
 * next to the Glue field with the API's code, and the reset back to Cloudflare's. Without a
 * registrar the tab says how to start one.
 */

import { type Browser, chromium, type Page } from "playwright-core";
import t, { type Test } from "tap";
import { startServer } from "../../src/primary.js";
import { rdataToText } from "../../src/wire/rdata.js";
import { CHROMIUM, CHROMIUM_FLAGS, requireChromium, shot } from "../peers/chromium.js";
import { query } from "../peers/client.js";

const OTHER_DS = "2371 13 2 1F987CC6583E92DF0890718C42F8EA88DB65BBF9D7C1C4ED34F0DF8325DE49BD";

async function open(t: Test, url: string): Promise<Page> {
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_FLAGS,
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  t.teardown(async () => {
    if (!t.passing()) await shot(page, "registrar-failure").catch(() => {});
    await browser.close();
  });
  page.on("pageerror", (e) => t.fail(`page error: ${e.message}`));
  page.setDefaultTimeout(10000);
  await page.goto(url);
  await page.locator("html[data-ready]").waitFor({ state: "attached" });
  return page;
}

t.test("the Registrar tab: the delegation, the form, the registrar's own answer", async (t) => {
  if (!requireChromium(t)) return;
  const primary = await startServer({
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: 0 },
    registrar: { port: 0, origin: "lab" },
    notify: false,
    zones: [
      { origin: "example.lab", records: [{ name: "www", type: "A", content: "192.0.2.80" }] },
    ],
  });
  t.teardown(() => primary.close());
  const root = `http://127.0.0.1:${primary.api!.port}`;
  const zone = ((await (await fetch(`${root}/client/v4/zones?name=example.lab`)).json()) as any)
    .result[0];
  const assigned: string[] = zone.name_servers;
  const page = await open(t, `${root}/#/zones/${zone.id}/registrar`);
  t.equal(await page.locator("#tab-registrar").getAttribute("aria-current"), "page");
  const rows = page.locator("#registrar-ns tbody tr");
  t.equal(await rows.count(), 2, "Cloudflare's two nameservers");
  t.match(await rows.first().textContent(), new RegExp(assigned[0].replace(/\./g, "\\.")));
  t.match(
    await page.locator("#registrar-at").textContent(),
    new RegExp(`127\\.0\\.0\\.1:${primary.registrar!.dns.udp.port}`),
  );
  t.match(await page.locator("#trust-anchor").textContent(), /^lab\. 300 IN DS \d+ 13 2 /);
  t.match(await page.locator("#registrar-ds").textContent(), /none: the zone is unsigned/);

  // Step 7 through the form.
  const form = page.locator("#registrar-form");
  await form.getByLabel("Nameservers").fill([...assigned, "ns1.secondary.lab"].join("\n"));
  await form.getByLabel("Glue").fill("ns1.secondary.lab not-an-address");
  await form.getByLabel("DS records added").fill(OTHER_DS);
  await page.click("#registrar-save");
  const glueErr = form.locator('[data-field="glue"] .err');
  await glueErr.filter({ hasText: /89005/ }).waitFor();
  t.match(await glueErr.textContent(), /not an IPv4 or IPv6 address \(89005\)/, "refused at Glue");
  t.equal(await rows.count(), 2, "nothing changed");

  await form.getByLabel("Glue").fill("ns1.secondary.lab 127.0.0.3");
  await page.click("#registrar-save");
  await rows.nth(2).waitFor();
  t.match(await rows.nth(2).textContent(), /ns1\.secondary\.lab\..*127\.0\.0\.3/, "shown");
  t.match(await page.locator("#registrar-ds").textContent(), /2371 13 2 .*added/);

  // What the registrar itself now answers: the referral with the secondary and its glue.
  const at = { host: "127.0.0.1", port: primary.registrar!.dns.udp.port };
  const referral = await query(at, "www.example.lab", "A");
  t.ok(
    referral.parsed.authority.some((r) => r.type === 2 && r.rdataText === "ns1.secondary.lab."),
    "the registrar's referral names the secondary",
  );
  t.ok(
    referral.parsed.additional.some(
      (r) => r.name === "ns1.secondary.lab." && r.rdataText === "127.0.0.3",
    ),
    "with its glue",
  );
  const ds = await query(at, "example.lab", "DS");
  t.same(
    ds.parsed.answer.filter((r) => r.type === 43).map((r) => rdataToText(43, r.rdata)),
    [OTHER_DS],
    "and the DS added",
  );

  await page.click("#registrar-reset");
  await rows.nth(2).waitFor({ state: "detached" });
  t.equal(await rows.count(), 2, "reset: Cloudflare's nameservers again");
});

t.test("the Registrar tab without a registrar", async (t) => {
  if (!requireChromium(t)) return;
  const primary = await startServer({
    dns: { host: "127.0.0.1", port: 0 },
    api: { host: "127.0.0.1", port: 0 },
    notify: false,
    zones: [{ origin: "example.lab", records: [] }],
  });
  t.teardown(() => primary.close());
  const root = `http://127.0.0.1:${primary.api!.port}`;
  const zone = ((await (await fetch(`${root}/client/v4/zones?name=example.lab`)).json()) as any)
    .result[0];
  const page = await open(t, `${root}/#/zones/${zone.id}/registrar`);
  t.match(await page.locator("#no-registrar").textContent(), /--registrar HOST:PORT/);
});
