// A zone's secondaries tab, polled every 2 s: each secondary's last NOTIFY, SOA check and
// transfer (with the faults that acted on them, issue 14), the recent refusals, and the
// ready-to-paste configuration for a linked peer's secondary software.

import { EXT, get } from "./api.js";
import {
  ago,
  badge,
  card,
  clearErrors,
  copyButton,
  dataTable,
  field,
  h,
  muted,
  replaceKeepingFocus,
  showError,
  when,
} from "./dom.js";
import { POLL_MS, poller } from "./live.js";

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

/** Resolves once the first poll is drawn (the page's readiness waits for it). */
export async function secondariesTab(box, { zoneId, head }) {
  const incoming = h("span", { class: "muted" });
  const tableWrap = h("div", { class: "table-wrap", id: "secondaries" });
  const refWrap = h("div", { class: "table-wrap", id: "refusals" });
  const listErr = h("p", { class: "err list-err", "aria-live": "polite" });
  const config = configPanel(zoneId);
  const live = poller({
    url: `${EXT}/zones/${zoneId}/secondaries`,
    listErr,
    draw(v) {
      head.show(v.zone);
      renderSecondaries(tableWrap, v.secondaries, config.choose);
      renderRefusals(refWrap, v.recent_refusals);
      incoming.textContent = incomingText(v.incoming_notify);
      config.setPeers(
        v.secondaries.filter((s) => s.via === "peer" && s.peer_name).map((s) => s.peer_name),
      );
    },
  });
  box.replaceChildren(
    h("div", { class: "toolbar" }, live.status, live.pause, h("span", { class: "grow" }), incoming),
    listErr,
    card({ class: "card flush", headingId: "sec-h", title: "Secondaries" }, tableWrap),
    card({ class: "card flush", headingId: "ref-h", title: "Recent refusals" }, refWrap),
    config.el,
  );
  await live.refresh();
  return live.every(POLL_MS);
}

/** NOTIFY sent to this server (a primary answers it NOTIMP), when any came. */
function incomingText(inc) {
  return inc.count
    ? `${inc.count} NOTIFY received (answered NOTIMP), last ${ago(inc.last?.at)}`
    : "";
}

/**
 * The configuration for the selected peer's secondary software (`GET .../secondary-config`),
 * with the peer list following the linked peers the poll sees; `choose(name)` shows a peer's.
 */
function configPanel(zoneId) {
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
  const form = h(
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

  const load = () => showConfig(zoneId, { form, peerSel, kindSel, pre, copy });
  peerSel.addEventListener("change", load);
  kindSel.addEventListener("change", load);

  let peerNames = [];
  const el = card(
    { headingId: "cfg-h", title: "Secondary configuration", aside: copy },
    h(
      "p",
      { class: "intro" },
      "Ready to paste into the selected peer's secondary: the TSIG key, this zone as a secondary of this dns-primary, and NOTIFY allowed from where it is sent.",
    ),
    form,
    pre,
  );
  return {
    el,
    setPeers(names) {
      if (names.join("\n") === peerNames.join("\n")) return;
      const keep = peerSel.value;
      peerNames = names;
      peerSel.replaceChildren(
        ...(names.length
          ? names.map((n) => h("option", { value: n, selected: n === keep }, n))
          : [h("option", { value: "" }, "(no linked peer)")]),
      );
      load();
    },
    choose(name) {
      peerSel.value = name;
      load();
      pre.focus();
    },
  };
}

/** Fetch and show the selected peer's configuration; an API error shows by its field. */
async function showConfig(zoneId, { form, peerSel, kindSel, pre, copy }) {
  clearErrors(form);
  const q = new URLSearchParams({ for: kindSel.value });
  if (peerSel.value) q.set("peer", peerSel.value);
  try {
    const r = await get(`${EXT}/zones/${zoneId}/secondary-config?${q}`);
    pre.textContent = r.config;
    copy.disabled = false;
  } catch (err) {
    pre.textContent = "";
    copy.disabled = true;
    showError(form, /peer/.test(err.message) ? "peer" : err.code === 7003 ? "peer" : "for", err);
  }
}

/** The secondaries table, redrawn on each poll with the keyboard focus kept on its button. */
function renderSecondaries(wrap, list, choose) {
  if (list.length === 0) {
    wrap.replaceChildren(h("p", { class: "empty" }, "No linked peer and no transfer request yet."));
    return;
  }
  replaceKeepingFocus(
    wrap,
    dataTable(
      { class: "secondaries stack-narrow" },
      SECONDARY_COLUMNS,
      list.map((s) => secondaryRow(s, choose)),
      "Configuration",
    ),
  );
}

function secondaryRow(s, choose) {
  return h(
    "tr",
    { "data-peer": s.peer_name ?? "" },
    whoCell(s),
    h("td", { class: "notify" }, s.last_notify ? notifyCell(s.last_notify) : muted("—")),
    h("td", {}, s.last_check ? checkCell(s.last_check) : muted("—")),
    h("td", { class: "transfer" }, s.last_transfer ? transferCell(s.last_transfer) : muted("—")),
    countsCell(s.counts),
    h("td", {}, s.last_refusal ? lastRefusalCell(s.last_refusal) : muted("—")),
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

/** Who the secondary is (a linked peer, an ACL, or neither) and its address. */
function whoCell(s) {
  const via =
    s.via === "peer"
      ? badge("peer", "info")
      : s.via === "acl"
        ? badge("ACL", "info")
        : badge("unlisted", "bad");
  return h(
    "td",
    {},
    h("div", { class: "who" }, s.peer_name ?? s.acl_name ?? "unknown source", " ", via),
    h(
      "div",
      { class: "mono muted" },
      s.address ? `${s.address}${s.port ? `:${s.port}` : ""}` : "no IP",
    ),
  );
}

/** The last NOTIFY sent: serial, outcome, tries and time, and why when not answered. */
function notifyCell(n) {
  // A NOTIFY a fault acted on (dropped, sent unsigned or from elsewhere) did what was asked.
  const kind = n.faults?.length
    ? "warn"
    : n.outcome === "answered"
      ? "ok"
      : n.outcome === "replaced"
        ? ""
        : "bad";
  return [
    h("div", {}, h("code", {}, String(n.serial)), " ", badge(n.outcome, kind)),
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
    faultHits(n.faults),
  ];
}

function checkCell(c) {
  return [when(c.at), h("div", { class: "mono muted small" }, `from ${c.address}`)];
}

/** The last transfer: its type and serials, size and time, key, and how it ended. */
function transferCell(x) {
  return [
    h(
      "div",
      {},
      // A transfer a fault acted on finished on our side, but not as a good primary's would.
      badge(x.type, x.outcome !== "finished" ? "bad" : x.faults?.length ? "warn" : "ok"),
      " ",
      h("code", {}, x.from_serial !== null ? `${x.from_serial}→${x.serial}` : String(x.serial)),
    ),
    h("div", { class: "muted small" }, `${x.records} records · ${x.ms} ms · `, when(x.at)),
    x.key ? h("div", { class: "mono muted small" }, `key ${x.key}`) : null,
    x.outcome !== "finished" ? h("div", { class: "detail" }, x.outcome) : null,
    x.why ? h("div", { class: "detail" }, x.why) : null,
    faultHits(x.faults),
  ];
}

/**
 * The faults that acted on a transfer or NOTIFY (issue 14): each one's kind and what it did,
 * so that what the secondary did next is read against what it was sent.
 */
function faultHits(faults) {
  if (!faults?.length) return null;
  return h(
    "ul",
    { class: "fault-hits", "aria-label": "Faults applied" },
    faults.map((f) =>
      h(
        "li",
        { "data-fault-id": f.id },
        badge("fault", "warn"),
        " ",
        h("code", { class: "fault-kind" }, f.kind),
        h("span", { class: "fault-action" }, f.action),
      ),
    ),
  );
}

function countsCell(counts) {
  return h(
    "td",
    { class: "mono small counts" },
    `${counts.checks} checks`,
    h("br"),
    `${counts.transfers} transfers`,
    h("br"),
    `${counts.notifies} notifies`,
    counts.refusals
      ? [h("br"), h("span", { class: "badtext" }, `${counts.refusals} refused`)]
      : null,
  );
}

function lastRefusalCell(r) {
  return [
    h("div", { class: "badtext" }, r.reason),
    h("div", { class: "muted small" }, `${r.qtype} · `, when(r.at)),
  ];
}

function renderRefusals(wrap, list) {
  if (list.length === 0) {
    wrap.replaceChildren(h("p", { class: "empty" }, "No refused transfer requests."));
    return;
  }
  wrap.replaceChildren(
    dataTable({ class: "refusals stack-narrow" }, REFUSAL_COLUMNS, list.map(refusalRow)),
  );
}

/** A refused request: when, from where, what it matched, its key and query, why, the RCODE. */
function refusalRow(r) {
  const matched = r.peer_name
    ? `peer ${r.peer_name}`
    : r.acl_name
      ? `ACL ${r.acl_name}`
      : muted("nothing");
  return h(
    "tr",
    {},
    h("td", {}, when(r.at)),
    h("td", { class: "mono" }, `${r.address}:${r.port}`),
    h("td", {}, matched),
    h("td", { class: "mono" }, r.key ?? muted("none")),
    h("td", { class: "mono" }, r.qtype),
    h("td", { class: "badtext" }, r.reason),
    h("td", { class: "mono" }, r.rcode_name),
  );
}
