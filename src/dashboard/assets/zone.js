// One zone: its records (step 5's NS records among them), its DNS settings and outgoing
// transfers (steps 3, 5 and 6), and the live view of its secondaries with the ready-to-paste
// configuration for each.

import { ApiError, call, EXT, get, patch, post, put, V4 } from "./api.js";
import { fieldFrom } from "./crud.js";
import {
  ago,
  badge,
  clearErrors,
  copyButton,
  field,
  h,
  setToggle,
  showError,
  toggle,
  when,
} from "./dom.js";

const TYPES = [
  "A",
  "AAAA",
  "CNAME",
  "MX",
  "NS",
  "TXT",
  "CAA",
  "SRV",
  "PTR",
  "HTTPS",
  "SVCB",
  "DS",
  "TLSA",
  "SSHFP",
  "NAPTR",
  "URI",
  "LOC",
  "CERT",
  "DNSKEY",
  "SMIMEA",
];
const PROXIABLE = new Set(["A", "AAAA", "CNAME"]);
const PRIORITY = new Set(["MX", "SRV", "URI"]);
const MAX_LINKED_PEERS = 30;
const KINDS = [
  ["bind", "BIND 9"],
  ["knot", "Knot DNS"],
  ["nsd", "NSD"],
  ["powerdns", "PowerDNS"],
];

const SECONDARY_COLUMNS = [
  "Secondary",
  "Last NOTIFY",
  "Last SOA check",
  "Last transfer",
  "Counts",
  "Last refusal",
];
const REFUSAL_COLUMNS = ["When", "Source", "Matched", "Key", "Query", "Reason", "RCODE"];
const RECORD_COLUMNS = ["Type", "Name", "Content", "Proxy status", "TTL"];

/** Each cell names its column (data-label), for the stacked layout of narrow windows. */
function labelled(tr, columns) {
  [...tr.children].forEach((td, i) => {
    if (columns[i]) td.setAttribute("data-label", columns[i]);
  });
  return tr;
}

const errText = (err) => `${err.message}${err.code ? ` (${err.code})` : ""}`;

export async function zoneView(main, app, zoneId, tab) {
  const zone = await get(`${V4}/zones/${zoneId}`);
  const facts = h("div", { class: "zone-facts" });
  const tabs = [
    ["records", "DNS records"],
    ["settings", "Settings & transfers"],
    ["secondaries", "Secondaries"],
  ];
  const nav = h(
    "nav",
    { class: "tabs", "aria-label": "Zone" },
    tabs.map(([k, label]) =>
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
  const box = h("div", { class: "tab-body" });
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1", class: "mono" }, zone.name), facts),
    nav,
    box,
  );
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
          z.outgoing_status === "Enabled"
            ? badge("Enabled", "ok")
            : z.outgoing_status === "Disabled"
              ? badge("Disabled", "warn")
              : badge("not configured"),
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
  await head.refresh();
  const ctx = { app, zone, zoneId, head };
  if (tab === "settings") return settingsTab(box, ctx);
  if (tab === "secondaries") return secondariesTab(box, ctx);
  return recordsTab(box, ctx);
}

// ---- records ----

/** Resolves once the first page of records is drawn (the page's readiness waits for it). */
async function recordsTab(box, { zone, zoneId, head }) {
  const path = `${V4}/zones/${zoneId}/dns_records`;
  const state = { page: 1, per: 25, search: "", type: "" };
  const search = h("input", {
    type: "search",
    id: "record-search",
    placeholder: "name, content, comment",
    autocomplete: "off",
    spellcheck: "false",
  });
  const typeSel = h(
    "select",
    { id: "record-type-filter" },
    h("option", { value: "" }, "All types"),
    TYPES.map((t) => h("option", { value: t }, t)),
  );
  const perSel = h(
    "select",
    { id: "record-per-page" },
    [25, 50, 100].map((n) => h("option", { value: String(n) }, String(n))),
  );
  const addBtn = h(
    "button",
    { type: "button", class: "primary small", id: "add-record" },
    "Add record",
  );
  const formSlot = h("div", { class: "form-slot" });
  const listErr = h("p", { class: "err list-err", "aria-live": "polite" });
  const wrap = h("div", { class: "table-wrap" });
  const pageInfo = h("span", { class: "page-info", "aria-live": "polite" });
  const prev = h("button", { type: "button", class: "small" }, "‹ Previous");
  const next = h("button", { type: "button", class: "small" }, "Next ›");
  box.replaceChildren(
    h(
      "div",
      { class: "toolbar", role: "search" },
      h("label", { for: "record-search" }, "Search"),
      search,
      h("label", { for: "record-type-filter" }, "Type"),
      typeSel,
      h("label", { for: "record-per-page" }, "Per page"),
      perSel,
      h("span", { class: "grow" }),
      addBtn,
    ),
    formSlot,
    listErr,
    wrap,
    h("div", { class: "pager" }, prev, pageInfo, next),
  );

  /** Record id → its rendering, for records served with another TTL than configured. */
  let servedTtl = new Map();

  async function load() {
    const q = new URLSearchParams({
      page: String(state.page),
      per_page: String(state.per),
      order: "name",
    });
    if (state.search) q.set("search", state.search);
    if (state.type) q.set("type", state.type);
    try {
      // The apex's configured-versus-served view says which records are served with another
      // TTL than configured (apex NS take the zone's ns_ttl), so the TTL column tells both.
      const [{ result, info }, apex] = await Promise.all([
        call("GET", `${path}?${q}`),
        get(`${EXT}/zones/${zoneId}/rendering?name=${encodeURIComponent(zone.name)}`).catch(
          () => null,
        ),
      ]);
      servedTtl = new Map(
        (apex?.records ?? []).filter((r) => r.served_ttl !== undefined).map((r) => [r.id, r]),
      );
      listErr.textContent = "";
      render(result, info);
    } catch (err) {
      listErr.textContent = errText(err);
    }
  }

  function render(rows, info) {
    const pages = Math.max(1, info?.total_pages ?? 1);
    pageInfo.textContent = `Page ${info?.page ?? 1} of ${pages} · ${info?.total_count ?? rows.length} records`;
    prev.disabled = state.page <= 1;
    next.disabled = state.page >= pages;
    if (rows.length === 0) {
      wrap.replaceChildren(h("p", { class: "empty" }, "No records match."));
      return;
    }
    wrap.replaceChildren(
      h(
        "table",
        { class: "records stack-narrow", id: "records-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            RECORD_COLUMNS.map((c) => h("th", { scope: "col" }, c)),
            h(
              "th",
              { scope: "col", class: "act" },
              h("span", { class: "visually-hidden" }, "Actions"),
            ),
          ),
        ),
        h(
          "tbody",
          {},
          rows.map((r) => labelled(row(r), RECORD_COLUMNS)),
        ),
      ),
    );
  }

  /** "served 3600" under a TTL that DNS does not serve, with the reason on hover. */
  function servedAs(r) {
    const x = servedTtl.get(r.id);
    if (x === undefined) return null;
    return h("div", { class: "served-ttl", title: x.reason ?? "" }, `served ${x.served_ttl}`);
  }

  function row(r) {
    const rowErr = h("p", { class: "err", "aria-live": "polite" });
    const proxy = PROXIABLE.has(r.type)
      ? toggle({
          label: r.proxied ? "Proxied" : "DNS only",
          checked: r.proxied,
          onchange: async (on, b) => {
            rowErr.textContent = "";
            b.disabled = true;
            try {
              const saved = await patch(`${path}/${r.id}`, { proxied: on });
              r.proxied = saved.proxied;
              r.ttl = saved.ttl;
              setToggle(b, saved.proxied, saved.proxied ? "Proxied" : "DNS only");
              head.refresh();
            } catch (err) {
              rowErr.textContent = errText(err);
            } finally {
              b.disabled = false;
            }
          },
        })
      : h("span", { class: "muted" }, "—");
    if (PROXIABLE.has(r.type)) proxy.setAttribute("aria-label", `Proxied: ${r.name} ${r.type}`);
    return h(
      "tr",
      { "data-id": r.id },
      h("td", { class: "mono" }, h("span", { class: "rtype" }, r.type)),
      h("td", { class: "mono name" }, r.name),
      h(
        "td",
        { class: "mono content" },
        r.priority !== undefined && PRIORITY.has(r.type)
          ? h("span", { class: "prio" }, `${r.priority} `)
          : null,
        r.content,
        r.comment ? h("div", { class: "comment" }, r.comment) : null,
      ),
      h("td", { class: PROXIABLE.has(r.type) ? "" : "no-proxy" }, proxy, rowErr),
      h("td", { class: "mono ttl" }, r.ttl === 1 ? "Auto" : String(r.ttl), servedAs(r)),
      h(
        "td",
        { class: "act" },
        h(
          "button",
          {
            type: "button",
            class: "small",
            "aria-label": `Edit ${r.type} ${r.name}`,
            onclick: () => openForm(r),
          },
          "Edit",
        ),
        h(
          "button",
          {
            type: "button",
            class: "small danger",
            "aria-label": `Delete ${r.type} ${r.name}`,
            onclick: async () => {
              if (!window.confirm(`Delete ${r.type} ${r.name} ${r.content}?`)) return;
              try {
                await call("DELETE", `${path}/${r.id}`);
                await load();
                head.refresh();
              } catch (err) {
                rowErr.textContent = errText(err);
              }
            },
          },
          "Delete",
        ),
      ),
    );
  }

  function openForm(r) {
    const type = h(
      "select",
      { id: "record-type", disabled: Boolean(r) },
      TYPES.map((t) => h("option", { value: t, selected: (r?.type ?? "A") === t }, t)),
    );
    const name = h("input", {
      id: "record-name",
      type: "text",
      class: "mono",
      value: r ? r.name : "",
      placeholder: `@ or www (in ${zone.name})`,
      autocomplete: "off",
      spellcheck: "false",
    });
    const content = h("input", {
      id: "record-content",
      type: "text",
      class: "mono",
      value: r?.content ?? "",
      autocomplete: "off",
      spellcheck: "false",
    });
    const ttl = h("input", {
      id: "record-ttl",
      type: "text",
      class: "mono",
      inputmode: "numeric",
      value: String(r?.ttl ?? 1),
    });
    const prio = h("input", {
      id: "record-priority",
      type: "text",
      class: "mono",
      inputmode: "numeric",
      value: r?.priority !== undefined ? String(r.priority) : "10",
    });
    const proxied = h("input", {
      id: "record-proxied",
      type: "checkbox",
      checked: r?.proxied ?? false,
    });
    const comment = h("input", { id: "record-comment", type: "text", value: r?.comment ?? "" });
    const prioField = field({ name: "priority", label: "Priority", input: prio });
    const proxField = field({
      name: "proxied",
      label: "Proxied",
      input: proxied,
      hint: "A, AAAA and CNAME only: transfers carry Cloudflare's anycast addresses instead",
    });
    const sync = () => {
      prioField.hidden = !PRIORITY.has(type.value);
      proxied.disabled = !PROXIABLE.has(type.value);
      if (proxied.disabled) proxied.checked = false;
    };
    type.addEventListener("change", sync);
    sync();
    const submit = h("button", { type: "submit", class: "primary" }, r ? "Save" : "Add record");
    const close = () => {
      formSlot.replaceChildren();
      addBtn.hidden = false;
    };
    const form = h(
      "form",
      {
        class: "edit-form",
        id: "record-form",
        "aria-label": r ? `Edit record ${r.name}` : "Add record",
        novalidate: true,
      },
      h("h3", {}, r ? "Edit record" : "Add record"),
      h(
        "div",
        { class: "fields" },
        field({ name: "type", label: "Type", input: type }),
        field({ name: "name", label: "Name", input: name }),
        field({ name: "content", label: "Content", input: content, wide: true }),
        prioField,
        field({ name: "ttl", label: "TTL", input: ttl, hint: "1 = Auto; else 30–86400" }),
        proxField,
        field({ name: "comment", label: "Comment", input: comment, wide: true }),
      ),
      h("p", { class: "err form-err", "aria-live": "polite" }),
      h(
        "div",
        { class: "actions" },
        submit,
        h("button", { type: "button", onclick: close }, "Cancel"),
      ),
    );
    form.addEventListener("keydown", (e) => {
      if (e.key === "Escape") close();
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const t = ttl.value.trim();
      const body = {
        type: type.value,
        name: name.value.trim() === "" ? "@" : name.value.trim(),
        content: content.value.trim(),
        ttl: /^\d+$/.test(t) ? Number(t) : t,
      };
      if (PROXIABLE.has(type.value)) body.proxied = proxied.checked;
      if (PRIORITY.has(type.value)) {
        const p = prio.value.trim();
        body.priority = /^\d+$/.test(p) ? Number(p) : p;
      }
      if (comment.value.trim() !== "" || r?.comment) body.comment = comment.value.trim();
      submit.disabled = true;
      try {
        if (r) await patch(`${path}/${r.id}`, body);
        else await post(path, body);
        close();
        await load();
        head.refresh();
      } catch (err) {
        showError(form, recordField(err), err);
      } finally {
        submit.disabled = false;
      }
    });
    formSlot.replaceChildren(form);
    addBtn.hidden = true;
    (r ? name : type).focus();
  }

  let timer;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      state.search = search.value.trim();
      state.page = 1;
      load();
    }, 200);
  });
  typeSel.addEventListener("change", () => {
    state.type = typeSel.value;
    state.page = 1;
    load();
  });
  perSel.addEventListener("change", () => {
    state.per = Number(perSel.value);
    state.page = 1;
    load();
  });
  prev.addEventListener("click", () => {
    state.page -= 1;
    load();
  });
  next.addEventListener("click", () => {
    state.page += 1;
    load();
  });
  addBtn.addEventListener("click", () => openForm(undefined));
  await load();
  return () => clearTimeout(timer);
}

const recordField = fieldFrom(
  {
    9000: "name",
    9004: "type",
    9005: "content",
    9006: "content",
    9007: "content",
    1004: "content",
    9021: "ttl",
    9041: "proxied",
    81053: "name",
    81054: "name",
    81056: "name",
    81057: "content",
  },
  ["priority", "comment", "ttl", "content", "name", "proxied"],
);

// ---- settings and outgoing transfers ----

async function settingsTab(box, { app, zone, zoneId, head }) {
  const acc = `${V4}/accounts/${app.account.id}/secondary_dns`;
  const outPath = `${V4}/zones/${zoneId}/secondary_dns/outgoing`;
  const [settings, peers, tsigs, apexNs] = await Promise.all([
    get(`${V4}/zones/${zoneId}/dns_settings`),
    get(`${acc}/peers`),
    get(`${acc}/tsigs`),
    get(
      `${V4}/zones/${zoneId}/dns_records?type=NS&name=${encodeURIComponent(zone.name)}&per_page=100`,
    ),
  ]);
  // The outgoing configuration (null: none yet) with its status, which GET leaves out.
  const loadOut = async () => {
    try {
      const [cfg, status] = await Promise.all([get(outPath), get(`${outPath}/status`)]);
      return { ...cfg, status };
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  };
  let out = await loadOut();
  const tsigName = (id) => tsigs.find((t) => t.id === id)?.name ?? id;

  // Outgoing zone transfers (step 6) and force NOTIFY.
  const outErr = h("p", { class: "err", id: "outgoing-err", "aria-live": "polite" });
  const outFacts = h("dl", { class: "facts" });
  const notifyMsg = h("p", { class: "note", id: "notify-result", "aria-live": "polite" });
  const outToggle = toggle({
    id: "outgoing-toggle",
    checked: out?.status === "Enabled",
    onchange: async (on, b) => {
      outErr.textContent = "";
      b.disabled = true;
      try {
        if (out === null) out = await post(outPath, { name: zone.name, peers: [] });
        await post(`${outPath}/${on ? "enable" : "disable"}`);
        out = await loadOut();
        setToggle(b, out.status === "Enabled");
        showOut();
        head.refresh();
      } catch (err) {
        outErr.textContent = errText(err);
      } finally {
        b.disabled = false;
      }
    },
  });
  outToggle.setAttribute("aria-labelledby", "outgoing-h");
  const forceBtn = h("button", { type: "button", id: "force-notify" }, "Force NOTIFY");
  forceBtn.addEventListener("click", async () => {
    notifyMsg.textContent = "";
    try {
      const r = await post(`${outPath}/force_notify`);
      notifyMsg.textContent = `${typeof r === "string" ? r : "NOTIFY queued"} · serial ${out?.soa_serial ?? ""}`;
    } catch (err) {
      notifyMsg.textContent = "";
      outErr.textContent = errText(err);
    }
  });
  function showOut() {
    const dd = (k, v) => [h("dt", {}, k), h("dd", {}, v)];
    outFacts.replaceChildren(
      ...dd(
        "Status",
        out
          ? out.status === "Enabled"
            ? badge("Enabled", "ok")
            : badge("Disabled", "warn")
          : badge("not configured"),
      ),
      ...dd("SOA serial", h("code", {}, String(out?.soa_serial ?? "—"))),
      ...dd("Linked peers", String(out?.peers.length ?? 0)),
      ...dd("Last SOA check", when(out?.checked_time)),
      ...dd("Last transfer", when(out?.last_transferred_time)),
    );
    forceBtn.disabled = out === null;
  }
  showOut();

  // Multi-provider DNS (step 5).
  const mpErr = h("p", { class: "err", id: "multi-provider-err", "aria-live": "polite" });
  const mpToggle = toggle({
    id: "multi-provider-toggle",
    checked: settings.multi_provider === true,
    onchange: async (on, b) => {
      mpErr.textContent = "";
      b.disabled = true;
      try {
        const s = await patch(`${V4}/zones/${zoneId}/dns_settings`, { multi_provider: on });
        setToggle(b, s.multi_provider === true);
        head.refresh();
      } catch (err) {
        mpErr.textContent = errText(err);
      } finally {
        b.disabled = false;
      }
    },
  });
  mpToggle.setAttribute("aria-labelledby", "multi-provider-h");

  // Manage linked peers (step 3).
  const linked = new Set(out?.peers ?? []);
  const counter = h("span", { class: "count", id: "linked-count" });
  const checks = peers.map((p) => {
    const c = h("input", {
      type: "checkbox",
      id: `link-${p.id}`,
      value: p.id,
      checked: linked.has(p.id),
      "aria-describedby": "linked-peers-err",
    });
    c.addEventListener("change", count);
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
  });
  function selected() {
    return [...box.querySelectorAll('.peer-check input[type="checkbox"]')]
      .filter((c) => c.checked)
      .map((c) => c.value);
  }
  function count() {
    const n = selected().length;
    counter.textContent = `${n} / ${MAX_LINKED_PEERS}`;
    counter.classList.toggle("over", n > MAX_LINKED_PEERS);
  }
  const save = h("button", { type: "submit", class: "primary", id: "save-linked-peers" }, "Save");
  const linkForm = h(
    "form",
    { id: "linked-peers-form", novalidate: true },
    h(
      "fieldset",
      { "data-field": "peers", "aria-describedby": "linked-peers-rule linked-peers-err" },
      h("legend", {}, "Peers linked to ", h("code", {}, zone.name), " ", counter),
      peers.length
        ? checks
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
  linkForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(linkForm);
    save.disabled = true;
    try {
      const ids = selected();
      if (out === null) await post(outPath, { name: zone.name, peers: ids });
      else await put(outPath, { name: out.name, peers: ids });
      out = await loadOut();
      const msg = linkForm.querySelector(".err");
      msg.textContent = "";
      showOut();
      head.refresh();
      save.textContent = "Saved ✓";
      setTimeout(() => {
        save.textContent = "Save";
      }, 1500);
    } catch (err) {
      showError(linkForm, "peers", err);
    } finally {
      save.disabled = false;
    }
  });

  const nsList = apexNs.length
    ? h(
        "ul",
        { class: "ns-list mono", id: "apex-ns" },
        apexNs.map((r) => h("li", {}, r.content)),
      )
    : h("p", { class: "muted", id: "apex-ns" }, "No NS records at the apex yet.");

  box.replaceChildren(
    h(
      "div",
      { class: "grid" },
      h(
        "section",
        { class: "card", "aria-labelledby": "outgoing-h" },
        h(
          "div",
          { class: "card-head" },
          h("h2", { id: "outgoing-h" }, "Outgoing zone transfers"),
          outToggle,
        ),
        outErr,
        h(
          "p",
          { class: "intro" },
          "When on, linked peers and ACL ranges may transfer the zone (AXFR/IXFR) and linked peers get NOTIFY for every change.",
        ),
        outFacts,
        h(
          "div",
          { class: "actions" },
          forceBtn,
          h("a", { href: `#/zones/${zoneId}/secondaries`, class: "button" }, "Watch secondaries →"),
        ),
        notifyMsg,
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "multi-provider-h" },
        h(
          "div",
          { class: "card-head" },
          h("h2", { id: "multi-provider-h" }, "Multi-provider DNS"),
          mpToggle,
        ),
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
      ),
      h(
        "section",
        { class: "card span2", "aria-labelledby": "linked-h" },
        h("div", { class: "card-head" }, h("h2", { id: "linked-h" }, "Manage linked peers")),
        linkForm,
      ),
    ),
  );
  count();
}

// ---- live secondaries ----

/** Resolves once the first poll is drawn (the page's readiness waits for it). */
async function secondariesTab(box, { zoneId, head }) {
  const status = h("span", { class: "live", id: "live-status", "aria-live": "off" }, "connecting…");
  const pause = h("button", { type: "button", class: "small", "aria-pressed": "false" }, "Pause");
  const incoming = h("span", { class: "muted" });
  const tableWrap = h("div", { class: "table-wrap", id: "secondaries" });
  const refWrap = h("div", { class: "table-wrap", id: "refusals" });
  const listErr = h("p", { class: "err list-err", "aria-live": "polite" });

  // The configuration for the selected peer's secondary software.
  const peerSel = h("select", { id: "config-peer" });
  const kindSel = h(
    "select",
    { id: "config-kind" },
    KINDS.map(([v, l]) => h("option", { value: v }, l)),
  );
  const pre = h("pre", {
    class: "config",
    id: "config-text",
    tabindex: "0",
    "aria-label": "Secondary configuration",
  });
  const cfgForm = h(
    "div",
    { class: "config-form" },
    h(
      "div",
      { class: "fields" },
      field({ name: "peer", label: "Peer", input: peerSel }),
      field({ name: "for", label: "Secondary software", input: kindSel }),
    ),
    h("p", { class: "err form-err", "aria-live": "polite" }),
  );
  const copy = copyButton(() => pre.textContent, "Copy configuration");
  copy.id = "config-copy";
  let peerNames = [];
  async function loadConfig() {
    clearErrors(cfgForm);
    const q = new URLSearchParams({ for: kindSel.value });
    if (peerSel.value) q.set("peer", peerSel.value);
    try {
      const r = await get(`${EXT}/zones/${zoneId}/secondary-config?${q}`);
      pre.textContent = r.config;
      copy.disabled = false;
    } catch (err) {
      pre.textContent = "";
      copy.disabled = true;
      showError(
        cfgForm,
        /peer/.test(err.message) ? "peer" : err.code === 7003 ? "peer" : "for",
        err,
      );
    }
  }
  peerSel.addEventListener("change", loadConfig);
  kindSel.addEventListener("change", loadConfig);
  function setPeers(names) {
    if (names.join("\n") === peerNames.join("\n")) return;
    const keep = peerSel.value;
    peerNames = names;
    peerSel.replaceChildren(
      ...(names.length
        ? names.map((n) => h("option", { value: n, selected: n === keep }, n))
        : [h("option", { value: "" }, "(no linked peer)")]),
    );
    loadConfig();
  }
  const choose = (name) => {
    peerSel.value = name;
    loadConfig();
    pre.focus();
  };

  box.replaceChildren(
    h("div", { class: "toolbar" }, status, pause, h("span", { class: "grow" }), incoming),
    listErr,
    h(
      "section",
      { class: "card flush", "aria-labelledby": "sec-h" },
      h("div", { class: "card-head" }, h("h2", { id: "sec-h" }, "Secondaries")),
      tableWrap,
    ),
    h(
      "section",
      { class: "card flush", "aria-labelledby": "ref-h" },
      h("div", { class: "card-head" }, h("h2", { id: "ref-h" }, "Recent refusals")),
      refWrap,
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "cfg-h" },
      h("div", { class: "card-head" }, h("h2", { id: "cfg-h" }, "Secondary configuration"), copy),
      h(
        "p",
        { class: "intro" },
        "Ready to paste into the selected peer's secondary: the TSIG key, this zone as a secondary of this dns-primary, and NOTIFY allowed from where it is sent.",
      ),
      cfgForm,
      pre,
    ),
  );

  function renderSecondaries(list) {
    if (list.length === 0) {
      tableWrap.replaceChildren(
        h("p", { class: "empty" }, "No linked peer and no transfer request yet."),
      );
      return;
    }
    const focusKey = document.activeElement?.dataset?.focusKey;
    tableWrap.replaceChildren(
      h(
        "table",
        { class: "secondaries stack-narrow" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            SECONDARY_COLUMNS.map((c) => h("th", { scope: "col" }, c)),
            h(
              "th",
              { scope: "col", class: "act" },
              h("span", { class: "visually-hidden" }, "Configuration"),
            ),
          ),
        ),
        h("tbody", {}, list.map(secondaryRow)),
      ),
    );
    if (focusKey) tableWrap.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
  }

  function secondaryRow(s) {
    return labelled(secondaryCells(s), SECONDARY_COLUMNS);
  }

  function secondaryCells(s) {
    const n = s.last_notify;
    const c = s.last_check;
    const x = s.last_transfer;
    const r = s.last_refusal;
    const who = s.peer_name ?? s.acl_name ?? "unknown source";
    return h(
      "tr",
      { "data-peer": s.peer_name ?? "" },
      h(
        "td",
        {},
        h(
          "div",
          { class: "who" },
          who,
          " ",
          s.via === "peer"
            ? badge("peer", "info")
            : s.via === "acl"
              ? badge("ACL", "info")
              : badge("unlisted", "bad"),
        ),
        h(
          "div",
          { class: "mono muted" },
          s.address ? `${s.address}${s.port ? `:${s.port}` : ""}` : "no IP",
        ),
      ),
      h(
        "td",
        { class: "notify" },
        n
          ? [
              h(
                "div",
                {},
                h("code", {}, String(n.serial)),
                " ",
                badge(
                  n.outcome,
                  n.outcome === "answered" ? "ok" : n.outcome === "replaced" ? "" : "bad",
                ),
              ),
              h(
                "div",
                { class: "muted small" },
                `${n.tries} ${n.tries === 1 ? "try" : "tries"} · ${n.ms} ms · `,
                when(n.at),
              ),
              n.rcode_name && n.outcome !== "answered"
                ? h("div", { class: "mono small" }, n.rcode_name)
                : null,
              n.detail ? h("div", { class: "detail" }, n.detail) : null,
            ]
          : h("span", { class: "muted" }, "—"),
      ),
      h(
        "td",
        {},
        c
          ? [when(c.at), h("div", { class: "mono muted small" }, `from ${c.address}`)]
          : h("span", { class: "muted" }, "—"),
      ),
      h(
        "td",
        { class: "transfer" },
        x
          ? [
              h(
                "div",
                {},
                badge(x.type, x.outcome === "finished" ? "ok" : "bad"),
                " ",
                h(
                  "code",
                  {},
                  x.from_serial !== null ? `${x.from_serial}→${x.serial}` : String(x.serial),
                ),
              ),
              h(
                "div",
                { class: "muted small" },
                `${x.records} records · ${x.ms} ms · `,
                when(x.at),
              ),
              x.key ? h("div", { class: "mono muted small" }, `key ${x.key}`) : null,
              x.outcome !== "finished" ? h("div", { class: "detail" }, x.outcome) : null,
              x.why ? h("div", { class: "detail" }, x.why) : null,
            ]
          : h("span", { class: "muted" }, "—"),
      ),
      h(
        "td",
        { class: "mono small counts" },
        `${s.counts.checks} checks`,
        h("br"),
        `${s.counts.transfers} transfers`,
        h("br"),
        `${s.counts.notifies} notifies`,
        s.counts.refusals
          ? [h("br"), h("span", { class: "badtext" }, `${s.counts.refusals} refused`)]
          : null,
      ),
      h(
        "td",
        {},
        r
          ? [
              h("div", { class: "badtext" }, r.reason),
              h("div", { class: "muted small" }, `${r.qtype} · `, when(r.at)),
            ]
          : h("span", { class: "muted" }, "—"),
      ),
      h(
        "td",
        { class: "act" },
        s.via === "peer" && s.peer_name
          ? h(
              "button",
              {
                type: "button",
                class: "small",
                "data-focus-key": `cfg:${s.peer_name}`,
                "aria-label": `Configuration for ${s.peer_name}`,
                onclick: () => choose(s.peer_name),
              },
              "Config",
            )
          : null,
      ),
    );
  }

  function renderRefusals(list) {
    if (list.length === 0) {
      refWrap.replaceChildren(h("p", { class: "empty" }, "No refused transfer requests."));
      return;
    }
    refWrap.replaceChildren(
      h(
        "table",
        { class: "refusals stack-narrow" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            REFUSAL_COLUMNS.map((c) => h("th", { scope: "col" }, c)),
          ),
        ),
        h(
          "tbody",
          {},
          list.map((r) =>
            labelled(
              h(
                "tr",
                {},
                h("td", {}, when(r.at)),
                h("td", { class: "mono" }, `${r.address}:${r.port}`),
                h(
                  "td",
                  {},
                  r.peer_name
                    ? `peer ${r.peer_name}`
                    : r.acl_name
                      ? `ACL ${r.acl_name}`
                      : h("span", { class: "muted" }, "nothing"),
                ),
                h("td", { class: "mono" }, r.key ?? h("span", { class: "muted" }, "none")),
                h("td", { class: "mono" }, r.qtype),
                h("td", { class: "badtext" }, r.reason),
                h("td", { class: "mono" }, r.rcode_name),
              ),
              REFUSAL_COLUMNS,
            ),
          ),
        ),
      ),
    );
  }

  let busy = false;
  let paused = false;
  async function tick() {
    if (busy || paused) return;
    busy = true;
    try {
      const v = await get(`${EXT}/zones/${zoneId}/secondaries`);
      listErr.textContent = "";
      head.show(v.zone);
      renderSecondaries(v.secondaries);
      renderRefusals(v.recent_refusals);
      const inc = v.incoming_notify;
      incoming.textContent = inc.count
        ? `${inc.count} NOTIFY received (answered NOTIMP), last ${ago(inc.last?.at)}`
        : "";
      setPeers(
        v.secondaries.filter((s) => s.via === "peer" && s.peer_name).map((s) => s.peer_name),
      );
      status.textContent = `Live · updated ${new Date().toLocaleTimeString()}`;
      status.classList.remove("stale");
    } catch (err) {
      listErr.textContent = errText(err);
      status.textContent = "Live · update failed";
      status.classList.add("stale");
    } finally {
      busy = false;
    }
  }
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume" : "Pause";
    status.textContent = paused ? "Paused" : status.textContent;
    if (!paused) tick();
  });
  await tick();
  const interval = setInterval(tick, 2000);
  return () => clearInterval(interval);
}
