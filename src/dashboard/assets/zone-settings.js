// A zone's settings tab: outgoing zone transfers and force NOTIFY (the setup guide's step 6),
// multi-provider DNS with the apex NS records (step 5), and the peers linked to the zone
// (step 3).

import { ApiError, EXT, get, patch, post, put, V4 } from "./api.js";
import {
  badge,
  card,
  clearErrors,
  errText,
  h,
  setToggle,
  showError,
  toggle,
  when,
  whileBusy,
} from "./dom.js";

const MAX_LINKED_PEERS = 30;
/** The API's code for a zone not enabled for outgoing zone transfers (cloudflare/errors.ts). */
const NOT_ENTITLED = 89105;

/**
 * The outgoing status as a badge: "Enabled", "Disabled", or none configured (undefined);
 * "not entitled" first when the zone is not enabled for outgoing zone transfers.
 */
export function outgoingBadge(status, entitled = true) {
  if (!entitled) return badge("not entitled", "warn");
  if (status === "Enabled") return badge("Enabled", "ok");
  if (status === "Disabled") return badge("Disabled", "warn");
  return badge("not configured");
}

export async function settingsTab(box, { app, zone, zoneId, head }) {
  const acc = `${V4}/accounts/${app.account.id}/secondary_dns`;
  const [settings, peers, tsigs, apexNs] = await Promise.all([
    get(`${V4}/zones/${zoneId}/dns_settings`),
    get(`${acc}/peers`),
    get(`${acc}/tsigs`),
    get(
      `${V4}/zones/${zoneId}/dns_records?type=NS&name=${encodeURIComponent(zone.name)}&per_page=100`,
    ),
  ]);
  const out = outgoing(`${V4}/zones/${zoneId}/secondary_dns/outgoing`, zone.name);
  try {
    await out.reload();
  } catch (err) {
    if (!(err instanceof ApiError && err.code === NOT_ENTITLED)) throw err;
    const again = async () => {
      await settingsTab(box, { app, zone, zoneId, head });
      head.refresh();
    };
    box.replaceChildren(
      h(
        "div",
        { class: "grid" },
        notEntitledCard(zoneId, err, again),
        multiProviderCard({ settings, apexNs, zone, zoneId, head }),
      ),
    );
    return;
  }
  const outCard = outgoingCard(out, zoneId, head);
  const linked = linkedPeersForm(out, peers, tsigs, zone.name, () => {
    outCard.show();
    head.refresh();
  });
  box.replaceChildren(
    h(
      "div",
      { class: "grid" },
      outCard.el,
      multiProviderCard({ settings, apexNs, zone, zoneId, head }),
      card(
        { class: "card span2", headingId: "linked-h", title: "Manage linked peers" },
        linked.form,
      ),
    ),
  );
  linked.count();
}

/**
 * The zone's outgoing configuration: `config` is null while there is none, else what GET
 * returns plus its status (which GET leaves out).
 */
function outgoing(path, zoneName) {
  const out = {
    path,
    config: null,
    async reload() {
      try {
        const [cfg, status] = await Promise.all([get(path), get(`${path}/status`)]);
        out.config = { ...cfg, status };
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) throw err;
        out.config = null;
      }
    },
    /** Turning transfers on or off needs a configuration: one with no peers yet. */
    async ensure() {
      if (out.config === null) out.config = await post(path, { name: zoneName, peers: [] });
    },
    async linkPeers(ids) {
      if (out.config === null) await post(path, { name: zoneName, peers: ids });
      else await put(path, { name: out.config.name, peers: ids });
      await out.reload();
    },
  };
  return out;
}

/** Outgoing zone transfers: the on/off switch, the facts, force NOTIFY. */
function outgoingCard(out, zoneId, head) {
  const outErr = h("p", { class: "err", id: "outgoing-err", "aria-live": "polite" });
  const facts = h("dl", { class: "facts" });
  const notifyMsg = h("p", { class: "note", id: "notify-result", "aria-live": "polite" });
  const forceBtn = h("button", { type: "button", id: "force-notify" }, "Force NOTIFY");
  const show = () => {
    facts.replaceChildren(...outgoingFacts(out.config));
    forceBtn.disabled = out.config === null;
  };
  const onOff = toggle({
    id: "outgoing-toggle",
    checked: out.config?.status === "Enabled",
    onchange: (on, b) =>
      whileBusy(b, outErr, async () => {
        await out.ensure();
        await post(`${out.path}/${on ? "enable" : "disable"}`);
        await out.reload();
        setToggle(b, out.config.status === "Enabled");
        show();
        head.refresh();
      }),
  });
  onOff.setAttribute("aria-labelledby", "outgoing-h");
  forceBtn.addEventListener("click", () => forceNotify(out, notifyMsg, outErr));
  show();
  const el = card(
    { headingId: "outgoing-h", title: "Outgoing zone transfers", aside: onOff },
    outErr,
    h(
      "p",
      { class: "intro" },
      "When on, linked peers and ACL ranges may transfer the zone (AXFR/IXFR) and linked peers get NOTIFY for every change.",
    ),
    facts,
    h(
      "div",
      { class: "actions" },
      forceBtn,
      h("a", { href: `#/zones/${zoneId}/secondaries`, class: "button" }, "Watch secondaries →"),
    ),
    notifyMsg,
  );
  return { el, show };
}

/**
 * The zone lacks the entitlement the setup guide's first step asks the account team for: what
 * that means, and the emulator's switch standing in for the account team.
 */
function notEntitledCard(zoneId, err, granted) {
  const grantErr = h("p", { class: "err", id: "entitlement-err", "aria-live": "polite" });
  const grant = h("button", { type: "button", id: "grant-entitlement" }, "Grant the entitlement");
  grant.addEventListener("click", () =>
    whileBusy(grant, grantErr, async () => {
      await put(`${EXT}/zones/${zoneId}/entitlements`, { outgoing_zone_transfers: true });
      await granted();
    }),
  );
  return card(
    { headingId: "outgoing-h", title: "Outgoing zone transfers" },
    h("p", { class: "err", id: "not-entitled" }, errText(err)),
    h(
      "p",
      { class: "intro" },
      'On Cloudflare, outgoing zone transfers are an entitlement: the setup guide begins with "make sure your account team has enabled your zone for outgoing zone transfers". Until then the zone\'s outgoing-transfer routes answer 403 (code 89105), secondaries asking for the zone are refused, and none is notified. Its outgoing configuration is kept for when the entitlement is granted.',
    ),
    h(
      "p",
      { class: "note" },
      "Here the account team is the emulator: grant it below, with PUT /dns-primary/v1/zones/{zone_id}/entitlements, or with the config file's outgoing_entitled.",
    ),
    h("div", { class: "actions" }, grant),
    grantErr,
  );
}

function outgoingFacts(config) {
  const dd = (k, v) => [h("dt", {}, k), h("dd", {}, v)];
  return [
    ...dd("Status", outgoingBadge(config?.status)),
    ...dd("SOA serial", h("code", {}, String(config?.soa_serial ?? "—"))),
    ...dd("Linked peers", String(config?.peers.length ?? 0)),
    ...dd("Last SOA check", when(config?.checked_time)),
    ...dd("Last transfer", when(config?.last_transferred_time)),
  ];
}

async function forceNotify(out, notifyMsg, outErr) {
  notifyMsg.textContent = "";
  try {
    const r = await post(`${out.path}/force_notify`);
    notifyMsg.textContent = `${typeof r === "string" ? r : "NOTIFY queued"} · serial ${out.config?.soa_serial ?? ""}`;
  } catch (err) {
    notifyMsg.textContent = "";
    outErr.textContent = errText(err);
  }
}

/** Multi-provider DNS: the switch, the apex NS records it serves, the assigned nameservers. */
function multiProviderCard({ settings, apexNs, zone, zoneId, head }) {
  const mpErr = h("p", { class: "err", id: "multi-provider-err", "aria-live": "polite" });
  const onOff = toggle({
    id: "multi-provider-toggle",
    checked: settings.multi_provider === true,
    onchange: (on, b) =>
      whileBusy(b, mpErr, async () => {
        const s = await patch(`${V4}/zones/${zoneId}/dns_settings`, { multi_provider: on });
        setToggle(b, s.multi_provider === true);
        head.refresh();
      }),
  });
  onOff.setAttribute("aria-labelledby", "multi-provider-h");
  const nsList = apexNs.length
    ? h(
        "ul",
        { class: "ns-list mono", id: "apex-ns" },
        apexNs.map((r) => h("li", {}, r.content)),
      )
    : h("p", { class: "muted", id: "apex-ns" }, "No NS records at the apex yet.");
  return card(
    { headingId: "multi-provider-h", title: "Multi-provider DNS", aside: onOff },
    mpErr,
    h(
      "p",
      { class: "intro" },
      "Off: NS records you add at the apex are ignored and only the assigned nameservers are served. On: your secondary provider's NS records are served and transferred too.",
    ),
    h("h3", {}, "Your NS records at the apex"),
    nsList,
    h(
      "p",
      { class: "note" },
      h("a", { href: `#/zones/${zoneId}/records` }, "Add NS records"),
      " with the secondary's nameservers before turning this on.",
    ),
    h("h3", {}, "Assigned nameservers"),
    h(
      "ul",
      { class: "ns-list mono" },
      (zone.name_servers ?? []).map((n) => h("li", {}, n)),
    ),
  );
}

/**
 * The peers linked to the zone: a checkbox per account peer and a live count against the
 * limit; the API's refusals (too many, mixed TSIGs) show under the list. `saved()` runs
 * after a save.
 */
function linkedPeersForm(out, peers, tsigs, zoneName, saved) {
  const linked = new Set(out.config?.peers ?? []);
  const counter = h("span", { class: "count", id: "linked-count" });
  const save = h("button", { type: "submit", class: "primary", id: "save-linked-peers" }, "Save");
  const form = h(
    "form",
    { id: "linked-peers-form", novalidate: true },
    h(
      "fieldset",
      { "data-field": "peers", "aria-describedby": "linked-peers-rule linked-peers-err" },
      h("legend", {}, "Peers linked to ", h("code", {}, zoneName), " ", counter),
      peers.length
        ? peers.map((p) => peerCheck(p, linked.has(p.id), tsigs, count))
        : h(
            "p",
            { class: "empty" },
            "No peers yet: ",
            h("a", { href: "#/transfers" }, "create one"),
            ".",
          ),
      h("p", { class: "err", id: "linked-peers-err", "aria-live": "polite" }),
    ),
    h(
      "p",
      { class: "note", id: "linked-peers-rule" },
      `At most ${MAX_LINKED_PEERS} peers per zone. If one linked peer uses a TSIG, all linked peers must use that same TSIG.`,
    ),
    h("div", { class: "actions" }, save),
  );
  function selected() {
    return [...form.querySelectorAll('.peer-check input[type="checkbox"]')]
      .filter((c) => c.checked)
      .map((c) => c.value);
  }
  function count() {
    const n = selected().length;
    counter.textContent = `${n} / ${MAX_LINKED_PEERS}`;
    counter.classList.toggle("over", n > MAX_LINKED_PEERS);
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    save.disabled = true;
    try {
      await out.linkPeers(selected());
      form.querySelector(".err").textContent = "";
      saved();
      save.textContent = "Saved ✓";
      setTimeout(() => {
        save.textContent = "Save";
      }, 1500);
    } catch (err) {
      showError(form, "peers", err);
    } finally {
      save.disabled = false;
    }
  });
  return { form, count };
}

/** One peer's checkbox, labelled with its name, address and TSIG. */
function peerCheck(p, checked, tsigs, onchange) {
  const tsigName = (id) => tsigs.find((t) => t.id === id)?.name ?? id;
  const c = h("input", {
    type: "checkbox",
    id: `link-${p.id}`,
    value: p.id,
    checked,
    "aria-describedby": "linked-peers-err",
  });
  c.addEventListener("change", onchange);
  return h(
    "div",
    { class: "peer-check" },
    c,
    h(
      "label",
      { for: `link-${p.id}` },
      h("span", { class: "peer-name" }, p.name),
      h("span", { class: "mono muted" }, p.ip ? `${p.ip}:${p.port}` : "no IP"),
      h("span", { class: "mono muted" }, p.tsig_id ? `TSIG ${tsigName(p.tsig_id)}` : "no TSIG"),
    ),
  );
}
