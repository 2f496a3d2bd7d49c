/**
 * The two error tables of src/cloudflare/errors.ts answer as one: a code means one thing
 * whichever table raises it, and every code sits in its block (Cloudflare's own numbers, 890xx
 * for the settings, 891xx and 892xx for the rest of dns-primary's own).
 */

import t from "tap";
import { API_ERRORS, SETTINGS_ERRORS } from "../../src/cloudflare/errors.js";

const rows = [
  ...Object.entries(API_ERRORS).map(([name, r]) => ({ table: "API", name, ...r })),
  ...Object.entries(SETTINGS_ERRORS).map(([name, r]) => ({ table: "SETTINGS", name, ...r })),
];

t.test("a code shared by both tables has one name and one status", async (t) => {
  const byCode = new Map<number, (typeof rows)[number]>();
  for (const row of rows) {
    const seen = byCode.get(row.code);
    if (seen) {
      t.equal(row.name, seen.name, `code ${row.code}: one name`);
      t.equal(row.status, seen.status, `code ${row.code}: one status`);
    } else byCode.set(row.code, row);
  }
  t.ok(byCode.size >= 40, "both tables were read");
});

t.test("dns-primary's own codes stay in their blocks; none answers 409", async (t) => {
  for (const row of rows) {
    if (row.code >= 89000) {
      const block = row.table === "SETTINGS" ? [890] : [891, 892];
      t.ok(block.includes(Math.floor(row.code / 100)), `${row.table}.${row.name} (${row.code})`);
    }
    t.not(row.status, 409, `${row.name}: the official SDK retries 409`);
  }
});
