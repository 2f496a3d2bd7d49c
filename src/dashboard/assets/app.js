// The dashboard: a hash router over the account view and the zone views, a sidebar of the
// served zones, and the server's facts in the top bar. Every call goes to the REST API.
//
// Readiness, for people and for tools that screenshot or test the page: index.html paints a
// loading state at once; <main> is aria-busy while a view loads its data, and <html> gets
// data-ready="true" once the first view has rendered its data (data-ready="error" when the
// API could not be reached), so a tool waits for `html[data-ready]` instead of sleeping.

import { accountView } from "./account.js";
import { EXT, forgetToken, get, onToken, token, V4 } from "./api.js";
import { errText, h } from "./dom.js";
import { zoneView } from "./zone.js";

const app = { account: null, zones: [], cleanup: null, zoneSerial };

/** A zone's serial changed (seen by a view): the sidebar follows. */
function zoneSerial(id, serial) {
  const z = app.zones.find((x) => x.id === id);
  if (z && z.serial !== serial) {
    z.serial = serial;
    renderZones();
  }
}
const main = document.getElementById("main");
const zoneList = document.getElementById("zone-list");
const zoneFilter = document.getElementById("zone-filter");
const tokenButton = document.getElementById("token-button");

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  if (parts[0] === "zones" && parts[1])
    return { view: "zone", id: parts[1], tab: parts[2] || "records" };
  return { view: "transfers" };
}

function renderZones() {
  const f = zoneFilter.value.trim().toLowerCase();
  const r = route();
  const shown = app.zones.filter((z) => z.name.includes(f));
  zoneList.replaceChildren(
    ...shown.map((z) =>
      h(
        "li",
        {},
        h(
          "a",
          {
            href: `#/zones/${z.id}/${r.view === "zone" ? r.tab : "settings"}`,
            "aria-current": r.view === "zone" && r.id === z.id ? "page" : undefined,
          },
          h("span", { class: "zname" }, z.name),
          h("span", { class: "zserial" }, String(z.serial)),
        ),
      ),
    ),
  );
  if (shown.length === 0) zoneList.append(h("li", { class: "muted" }, "No zones"));
  document
    .getElementById("nav-transfers")
    .setAttribute("aria-current", r.view === "transfers" ? "page" : "false");
}

async function loadZones() {
  try {
    app.zones = await get(`${EXT}/zones?per_page=1000`);
  } catch {
    app.zones = [];
  }
  renderZones();
}

let shown = 0;
async function show() {
  app.cleanup?.();
  app.cleanup = null;
  const r = route();
  const seq = ++shown;
  renderZones();
  main.setAttribute("aria-busy", "true");
  try {
    if (r.view === "zone") {
      document.title = "dns-primary · zone";
      // A view resolves once its first data is drawn; if another view was asked for
      // meanwhile, this one's timers stop at once instead of polling for a view gone.
      const cleanup = await zoneView(main, app, r.id, r.tab);
      if (seq !== shown) {
        cleanup?.();
        return;
      }
      app.cleanup = cleanup;
      const z = app.zones.find((x) => x.id === r.id);
      if (z) document.title = `${z.name} · dns-primary`;
    } else {
      document.title = "DNS Zone Transfers · dns-primary";
      await accountView(main, app);
    }
  } catch (err) {
    main.replaceChildren(
      h("h1", { tabindex: "-1" }, "Could not load this view"),
      h("p", { class: "err" }, errText(err)),
    );
  } finally {
    if (seq === shown) main.setAttribute("aria-busy", "false");
  }
}

function showTokenButton() {
  tokenButton.hidden = token() === "";
}

async function start() {
  const [accounts, server] = await Promise.all([get(`${V4}/accounts`), get(`${EXT}/server`)]);
  showTokenButton();
  app.account = accounts[0];
  document.getElementById("account-name").textContent = app.account.name;
  const facts = document.getElementById("server-facts");
  const hp = (x) => (x.host.includes(":") ? `[${x.host}]:${x.port}` : `${x.host}:${x.port}`);
  facts.replaceChildren(
    h("span", {}, "DNS ", h("code", {}, hp(server.dns))),
    h(
      "span",
      {},
      "NOTIFY from ",
      h("code", {}, server.notify_source ? server.notify_source.host : "off"),
    ),
  );
  await loadZones();
  window.addEventListener("hashchange", async () => {
    await show();
    main.querySelector("h1")?.focus();
    loadZones();
  });
  await show();
  document.documentElement.dataset.ready = "true";
}

zoneFilter.addEventListener("input", renderZones);
tokenButton.addEventListener("click", () => {
  forgetToken();
  location.reload();
});
onToken(showTokenButton);
start().catch((err) => {
  main.replaceChildren(
    h("h1", {}, "dns-primary is not reachable"),
    h("p", { class: "err" }, err.message),
  );
  main.setAttribute("aria-busy", "false");
  document.documentElement.dataset.ready = "error";
});
