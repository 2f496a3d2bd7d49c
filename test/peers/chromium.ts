/**
 * What the dashboard's browser tests share: Debian's Chromium driven by playwright-core (which
 * downloads no browser), the flags it needs on this closed network, a skip (or, under
 * CI=true, a failure) when it is not installed, and screenshots to test-results/dashboard/
 * (git-ignored).
 */

import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import type { Test } from "tap";

export const CHROMIUM = "/usr/bin/chromium";
/** What Chromium needs on this closed network (no background calls to Google's hosts). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SHOTS = fileURLToPath(new URL("../../test-results/dashboard/", import.meta.url));

export function requireChromium(t: Test): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `${CHROMIUM} not installed: apt-get install chromium`;
  if (process.env.CI === "true") t.fail(message);
  else t.pass(message, { skip: message });
  return false;
}

/** A screenshot of the whole page (or of the window, `fullPage: false`). */
export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}
