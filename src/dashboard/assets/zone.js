// One zone: the page head (its name, SOA serial, outgoing status and id) and the tab bar over
// its five tabs, each a module of its own: the records (step 5's NS records among them), the
// DNS settings and outgoing transfers (steps 3, 5 and 6), the live view of its secondaries
// with the ready-to-paste configuration for each, the faults that make this primary
// misbehave towards them (issue 14), and the registrar's delegation of the zone (step 7).

import { EXT, get, V4 } from "./api.js";
import { h } from "./dom.js";
import { faultsTab } from "./zone-faults.js";
import { recordsTab } from "./zone-records.js";
import { registrarTab } from "./zone-registrar.js";
import { secondariesTab } from "./zone-secondaries.js";
import { outgoingBadge, settingsTab } from "./zone-settings.js";

/** The tabs: the URL's last part, the tab's label, its view (records when none matches). */
const TABS = [
  ["records", "DNS records", recordsTab],
  ["settings", "Settings & transfers", settingsTab],
  ["secondaries", "Secondaries", secondariesTab],
  ["faults", "Faults", faultsTab],
  ["registrar", "Registrar", registrarTab],
];

/**
 * Draws the zone's page with tab `tab`; resolves, once its first data is drawn, to the tab's
 * cleanup (its timers), if any.
 */
export async function zoneView(main, app, zoneId, tab) {
  const zone = await get(`${V4}/zones/${zoneId}`);
  const facts = h("div", { class: "zone-facts" });
  const box = h("div", { class: "tab-body" });
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1", class: "mono" }, zone.name), facts),
    tabBar(zoneId, tab),
    box,
  );
  const head = zoneHead(app, zoneId, facts);
  await head.refresh();
  const view = TABS.find(([k]) => k === tab)?.[2] ?? recordsTab;
  return view(box, { app, zone, zoneId, head });
}

function tabBar(zoneId, tab) {
  return h(
    "nav",
    { class: "tabs", "aria-label": "Zone" },
    TABS.map(([k, label]) =>
      h(
        "a",
        {
          href: `#/zones/${zoneId}/${k}`,
          id: `tab-${k}`,
          "aria-current": k === tab ? "page" : undefined,
        },
        label,
      ),
    ),
  );
}

/**
 * The facts under the zone's name. The tabs call `show(zone)` with a zone summary they have
 * (the secondaries poll) or `refresh()` after a change (a record, a switch); the sidebar's
 * serial follows.
 */
function zoneHead(app, zoneId, facts) {
  const head = {
    show(z) {
      app.zoneSerial?.(zoneId, z.serial);
      facts.replaceChildren(
        h(
          "span",
          { class: "fact" },
          "SOA serial ",
          h("code", { id: "soa-serial" }, String(z.serial)),
        ),
        h(
          "span",
          { class: "fact" },
          "Outgoing ",
          outgoingBadge(z.outgoing_status, z.outgoing_entitled !== false),
        ),
        h("span", { class: "fact" }, "ID ", h("code", { class: "id" }, zoneId)),
      );
    },
    async refresh() {
      try {
        const s = await get(`${EXT}/zones/${zoneId}/secondaries`);
        head.show(s.zone);
      } catch {
        // the tab shows its own errors
      }
    },
  };
  return head;
}
