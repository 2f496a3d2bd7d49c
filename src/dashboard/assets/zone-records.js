// A zone's DNS records tab: the table with search, type filter and paging, each row's proxied
// switch and delete, and the add/edit form whose API errors land next to their field.

import { call, EXT, get, patch, post, V4 } from "./api.js";
import { editForm, fieldFrom, rowButton } from "./crud.js";
import {
  dataTable,
  errText,
  field,
  h,
  muted,
  setToggle,
  textInput,
  toggle,
  whileBusy,
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
const RECORD_COLUMNS = ["Type", "Name", "Content", "Proxy status", "TTL"];

/** Which form field an API error concerns (the record errors of Cloudflare's v4 API). */
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

/** Resolves once the first page of records is drawn (the page's readiness waits for it). */
export async function recordsTab(box, { zone, zoneId, head }) {
  const view = {
    zone,
    head,
    path: `${V4}/zones/${zoneId}/dns_records`,
    apexPath: `${EXT}/zones/${zoneId}/rendering?name=${encodeURIComponent(zone.name)}`,
    state: { page: 1, per: 25, search: "", type: "" },
    ui: recordsControls(),
    /** Record id → its rendering, for records served with another TTL than configured. */
    servedTtl: new Map(),
  };
  view.load = () => loadRecords(view);
  view.openForm = (r) => openRecordForm(view, r);
  box.replaceChildren(...view.ui.nodes);
  const stop = wireControls(view);
  await view.load();
  return stop;
}

/** The toolbar (search, type, page size, add), the form's slot, the table and the pager. */
function recordsControls() {
  const ui = {
    search: h("input", {
      type: "search",
      id: "record-search",
      placeholder: "name, content, comment",
      autocomplete: "off",
      spellcheck: "false",
    }),
    typeSel: h(
      "select",
      { id: "record-type-filter" },
      h("option", { value: "" }, "All types"),
      TYPES.map((t) => h("option", { value: t }, t)),
    ),
    perSel: h(
      "select",
      { id: "record-per-page" },
      [25, 50, 100].map((n) => h("option", { value: String(n) }, String(n))),
    ),
    addBtn: h("button", { type: "button", class: "primary small", id: "add-record" }, "Add record"),
    formSlot: h("div", { class: "form-slot" }),
    listErr: h("p", { class: "err list-err", "aria-live": "polite" }),
    wrap: h("div", { class: "table-wrap" }),
    pageInfo: h("span", { class: "page-info", "aria-live": "polite" }),
    prev: h("button", { type: "button", class: "small" }, "‹ Previous"),
    next: h("button", { type: "button", class: "small" }, "Next ›"),
  };
  ui.nodes = [
    h(
      "div",
      { class: "toolbar", role: "search" },
      h("label", { for: "record-search" }, "Search"),
      ui.search,
      h("label", { for: "record-type-filter" }, "Type"),
      ui.typeSel,
      h("label", { for: "record-per-page" }, "Per page"),
      ui.perSel,
      h("span", { class: "grow" }),
      ui.addBtn,
    ),
    ui.formSlot,
    ui.listErr,
    ui.wrap,
    h("div", { class: "pager" }, ui.prev, ui.pageInfo, ui.next),
  ];
  return ui;
}

/** Search (debounced), filter, page size and paging reload; returns the tab's cleanup. */
function wireControls(view) {
  const { ui, state } = view;
  // A new search, filter or page size starts again from the first page.
  const refilter = (change) => {
    Object.assign(state, change, { page: 1 });
    view.load();
  };
  const turn = (by) => {
    state.page += by;
    view.load();
  };
  let timer;
  ui.search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => refilter({ search: ui.search.value.trim() }), 200);
  });
  ui.typeSel.addEventListener("change", () => refilter({ type: ui.typeSel.value }));
  ui.perSel.addEventListener("change", () => refilter({ per: Number(ui.perSel.value) }));
  ui.prev.addEventListener("click", () => turn(-1));
  ui.next.addEventListener("click", () => turn(1));
  ui.addBtn.addEventListener("click", () => view.openForm(undefined));
  return () => clearTimeout(timer);
}

async function loadRecords(view) {
  const { state, ui } = view;
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
      call("GET", `${view.path}?${q}`),
      get(view.apexPath).catch(() => null),
    ]);
    view.servedTtl = new Map(
      (apex?.records ?? []).filter((r) => r.served_ttl !== undefined).map((r) => [r.id, r]),
    );
    ui.listErr.textContent = "";
    renderRecords(view, result, info);
  } catch (err) {
    ui.listErr.textContent = errText(err);
  }
}

function renderRecords(view, rows, info) {
  const { state, ui } = view;
  const pages = Math.max(1, info?.total_pages ?? 1);
  ui.pageInfo.textContent = `Page ${info?.page ?? 1} of ${pages} · ${info?.total_count ?? rows.length} records`;
  ui.prev.disabled = state.page <= 1;
  ui.next.disabled = state.page >= pages;
  if (rows.length === 0) {
    ui.wrap.replaceChildren(h("p", { class: "empty" }, "No records match."));
    return;
  }
  const table = dataTable(
    { class: "records stack-narrow", id: "records-table" },
    RECORD_COLUMNS,
    rows.map((r) => recordRow(view, r)),
    "Actions",
  );
  ui.wrap.replaceChildren(table);
}

function recordRow(view, r) {
  const rowErr = h("p", { class: "err", "aria-live": "polite" });
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
    h(
      "td",
      { class: PROXIABLE.has(r.type) ? "" : "no-proxy" },
      proxySwitch(view, r, rowErr),
      rowErr,
    ),
    h(
      "td",
      { class: "mono ttl" },
      r.ttl === 1 ? "Auto" : String(r.ttl),
      servedAs(view.servedTtl.get(r.id)),
    ),
    h(
      "td",
      { class: "act" },
      rowButton(`Edit ${r.type} ${r.name}`, "Edit", () => view.openForm(r)),
      rowButton(
        `Delete ${r.type} ${r.name}`,
        "Delete",
        () => deleteRecord(view, r, rowErr),
        "danger",
      ),
    ),
  );
}

/** "served 3600" under a TTL that DNS does not serve, with the reason on hover. */
function servedAs(x) {
  if (x === undefined) return null;
  return h("div", { class: "served-ttl", title: x.reason ?? "" }, `served ${x.served_ttl}`);
}

/** The proxied switch of an A, AAAA or CNAME record (saved at once); "—" for the others. */
function proxySwitch(view, r, rowErr) {
  if (!PROXIABLE.has(r.type)) return muted("—");
  const label = (on) => (on ? "Proxied" : "DNS only");
  const b = toggle({
    label: label(r.proxied),
    checked: r.proxied,
    onchange: (on, b) =>
      whileBusy(b, rowErr, async () => {
        const saved = await patch(`${view.path}/${r.id}`, { proxied: on });
        r.proxied = saved.proxied;
        r.ttl = saved.ttl;
        setToggle(b, saved.proxied, label(saved.proxied));
        view.head.refresh();
      }),
  });
  b.setAttribute("aria-label", `Proxied: ${r.name} ${r.type}`);
  return b;
}

async function deleteRecord(view, r, rowErr) {
  if (!window.confirm(`Delete ${r.type} ${r.name} ${r.content}?`)) return;
  try {
    await call("DELETE", `${view.path}/${r.id}`);
    await view.load();
    view.head.refresh();
  } catch (err) {
    rowErr.textContent = errText(err);
  }
}

/** The add form (`r` undefined) or the edit form of record `r`, in place of "Add record". */
function openRecordForm(view, r) {
  const inputs = recordInputs(r, view.zone);
  editForm({
    slot: view.ui.formSlot,
    opener: view.ui.addBtn,
    id: "record-form",
    label: r ? `Edit record ${r.name}` : "Add record",
    title: r ? "Edit record" : "Add record",
    nodes: recordFields(inputs),
    submitLabel: r ? "Save" : "Add record",
    read: () => recordBody(inputs, r),
    save: (body) => (r ? patch(`${view.path}/${r.id}`, body) : post(view.path, body)),
    done: async () => {
      await view.load();
      view.head.refresh();
    },
    fieldOf: recordField,
  });
  (r ? inputs.name : inputs.type).focus();
}

/** The form's inputs, filled from record `r` (a new A record when undefined). */
function recordInputs(r, zone) {
  const number = (id, value) =>
    h("input", { id, type: "text", class: "mono", inputmode: "numeric", value });
  return {
    type: h(
      "select",
      { id: "record-type", disabled: Boolean(r) },
      TYPES.map((t) => h("option", { value: t, selected: (r?.type ?? "A") === t }, t)),
    ),
    name: textInput({
      id: "record-name",
      class: "mono",
      value: r ? r.name : "",
      placeholder: `@ or www (in ${zone.name})`,
    }),
    content: textInput({ id: "record-content", class: "mono", value: r?.content ?? "" }),
    ttl: number("record-ttl", String(r?.ttl ?? 1)),
    prio: number("record-priority", r?.priority !== undefined ? String(r.priority) : "10"),
    proxied: h("input", { id: "record-proxied", type: "checkbox", checked: r?.proxied ?? false }),
    comment: h("input", { id: "record-comment", type: "text", value: r?.comment ?? "" }),
  };
}

/** The labelled fields; priority shows for MX, SRV and URI, proxied is only for A/AAAA/CNAME. */
function recordFields(i) {
  const prioField = field({ name: "priority", label: "Priority", input: i.prio });
  const proxField = field({
    name: "proxied",
    label: "Proxied",
    input: i.proxied,
    hint: "A, AAAA and CNAME only: transfers carry Cloudflare's anycast addresses instead",
  });
  const sync = () => {
    prioField.hidden = !PRIORITY.has(i.type.value);
    i.proxied.disabled = !PROXIABLE.has(i.type.value);
    if (i.proxied.disabled) i.proxied.checked = false;
  };
  i.type.addEventListener("change", sync);
  sync();
  return [
    field({ name: "type", label: "Type", input: i.type }),
    field({ name: "name", label: "Name", input: i.name }),
    field({ name: "content", label: "Content", input: i.content, wide: true }),
    prioField,
    field({ name: "ttl", label: "TTL", input: i.ttl, hint: "1 = Auto; else 30–86400" }),
    proxField,
    field({ name: "comment", label: "Comment", input: i.comment, wide: true }),
  ];
}

/**
 * The request body: digits become numbers, anything else is sent as typed so that the API
 * names the mistake; a blank name is the apex; a comment is sent when given or cleared.
 */
function recordBody(i, r) {
  const numberOrText = (v) => (/^\d+$/.test(v) ? Number(v) : v);
  const type = i.type.value;
  const name = i.name.value.trim();
  const body = {
    type,
    name: name === "" ? "@" : name,
    content: i.content.value.trim(),
    ttl: numberOrText(i.ttl.value.trim()),
  };
  if (PROXIABLE.has(type)) body.proxied = i.proxied.checked;
  if (PRIORITY.has(type)) body.priority = numberOrText(i.prio.value.trim());
  if (i.comment.value.trim() !== "" || r?.comment) body.comment = i.comment.value.trim();
  return body;
}
