// A zone's faults tab (issue 14): the faults that make this primary misbehave on purpose
// towards the zone's secondaries, polled like the secondaries tab so that the applied counts
// move while it is open; add one, remove one, or clear all.
//
// The add form is drawn from `GET /dns-primary/v1/fault-kinds` (each kind's doc and its
// parameters by name: type, default or required, bounds, values and doc), so a kind added to
// the server's table shows here without a change to this file. The scope's peer is one of the
// account's peers. Remove acts at once (a fault is added again in a few clicks); Clear all
// asks first.

import { del, EXT, get, post, V4 } from "./api.js";
import { editForm, fieldFrom, rowButton } from "./crud.js";
import {
  badge,
  card,
  dataTable,
  errText,
  field,
  h,
  muted,
  replaceKeepingFocus,
  textInput,
  when,
} from "./dom.js";
import { POLL_MS, poller } from "./live.js";

const COLUMNS = ["Kind", "Parameters", "Scope", "Times left", "Applied", "Last applied", "State"];

/** Resolves once the first list is drawn (the page's readiness waits for it). */
export async function faultsTab(box, { app, zoneId }) {
  const path = `${EXT}/zones/${zoneId}/faults`;
  const peersPath = `${V4}/accounts/${app.account.id}/secondary_dns/peers`;
  const [kinds, peers] = await Promise.all([get(`${EXT}/fault-kinds`), get(peersPath)]);
  const view = { path, peersPath, kinds, peers, faults: [] };

  const listErr = h("p", { class: "err list-err", id: "faults-err", "aria-live": "polite" });
  const wrap = h("div", { class: "table-wrap", id: "faults" });
  const count = h("span", { class: "count", id: "faults-count" });
  const formSlot = h("div", { class: "form-slot" });
  const addBtn = h(
    "button",
    { type: "button", class: "primary small", id: "add-fault" },
    "Add fault",
  );
  const clearBtn = h(
    "button",
    { type: "button", class: "small danger", id: "clear-faults" },
    "Clear all",
  );
  const live = poller({
    url: path,
    listErr,
    draw(list) {
      view.faults = list;
      count.textContent = String(list.length);
      clearBtn.disabled = list.length === 0;
      renderFaults(wrap, view, remove);
    },
  });

  async function remove(f) {
    listErr.textContent = "";
    try {
      await del(`${path}/${f.id}`);
    } catch (err) {
      listErr.textContent = `Remove fault ${f.kind}: ${errText(err)}`;
    }
    await live.refresh();
  }
  clearBtn.addEventListener("click", async () => {
    const n = view.faults.length;
    if (!window.confirm(`Remove all ${n} fault${n === 1 ? "" : "s"} of this zone?`)) return;
    listErr.textContent = "";
    try {
      await del(path);
    } catch (err) {
      listErr.textContent = `Clear all: ${errText(err)}`;
    }
    await live.refresh();
  });
  addBtn.addEventListener("click", () =>
    openFaultForm(view, { formSlot, addBtn, live }).catch((err) => {
      listErr.textContent = errText(err);
    }),
  );

  box.replaceChildren(
    h("div", { class: "toolbar" }, live.status, live.pause, h("span", { class: "grow" }), addBtn),
    formSlot,
    listErr,
    card(
      {
        class: "card flush",
        headingId: "faults-h",
        title: "Faults",
        aside: [count, clearBtn],
      },
      h(
        "p",
        { class: "intro" },
        "A fault makes this primary misbehave on purpose towards the zone's secondaries: it changes only what goes on the wire, never the zone's records, serial or journal, so removing it lets the secondaries recover by themselves. Faults are kept in memory: a restart keeps only those of the configuration file and --fault.",
      ),
      wrap,
    ),
  );
  await live.refresh();
  return live.every(POLL_MS);
}

/** The table of the zone's faults, redrawn on each poll with the focus kept on its button. */
function renderFaults(wrap, view, remove) {
  if (view.faults.length === 0) {
    replaceKeepingFocus(wrap, h("p", { class: "empty" }, "No faults: this primary behaves."));
    return;
  }
  replaceKeepingFocus(
    wrap,
    dataTable(
      { class: "faults stack-narrow" },
      COLUMNS,
      view.faults.map((f) => faultRow(view, f, remove)),
      "Actions",
    ),
  );
}

function faultRow(view, f, remove) {
  const params = Object.entries(f.params);
  const removeBtn = rowButton(`Remove fault ${f.kind}`, "Remove", () => remove(f), "danger");
  removeBtn.dataset.focusKey = `rm:${f.id}`;
  return h(
    "tr",
    { "data-id": f.id, "data-kind": f.kind },
    h(
      "td",
      {},
      h("code", { class: "fault-kind" }, f.kind),
      f.origin === "config" ? [" ", badge("config", "info")] : null,
    ),
    h(
      "td",
      { class: "mono small params" },
      params.length ? params.map(([k, v], i) => [i ? h("br") : null, `${k}=${v}`]) : muted("—"),
    ),
    h("td", { class: "scope" }, scopeText(view, f)),
    h("td", { class: "mono times" }, f.times === null ? muted("until removed") : String(f.times)),
    h("td", { class: "mono applied" }, String(f.applied)),
    h("td", { class: "last-applied" }, when(f.last_applied)),
    h("td", { class: "state" }, f.active ? badge("active", "warn") : badge("used up")),
    h("td", { class: "act" }, removeBtn),
  );
}

/** Who the fault is for: a peer (by name), a source address, both, or every secondary. */
function scopeText(view, f) {
  const parts = [];
  if (f.peer_id !== null) {
    const p = view.peers.find((x) => x.id === f.peer_id);
    parts.push(h("div", {}, "peer ", h("strong", {}, p?.name ?? f.peer_id)));
  }
  if (f.source !== null) parts.push(h("div", { class: "mono" }, `from ${f.source}`));
  return parts.length ? parts : muted("any");
}

/**
 * The add form: the kind, its parameters (redrawn when the kind changes, defaults filled
 * in, each parameter's doc and bounds as its hint), how many times, and the scope. The
 * API's refusals land next to the field they name.
 */
async function openFaultForm(view, { formSlot, addBtn, live }) {
  // The peers may have changed since the tab opened (the account view, another client).
  view.peers = await get(view.peersPath).catch(() => view.peers);
  const kindSel = h(
    "select",
    { id: "fault-kind" },
    view.kinds.map((k) => h("option", { value: k.kind }, k.kind)),
  );
  const kindDoc = h("p", { class: "note fault-kind-doc", id: "fault-kind-doc" });
  const paramBox = h("div", { class: "fault-params" });
  const times = textInput({
    id: "fault-times",
    class: "mono",
    inputmode: "numeric",
    placeholder: "until removed",
  });
  const peerSel = h(
    "select",
    { id: "fault-peer" },
    h("option", { value: "" }, "Any"),
    view.peers.map((p) => h("option", { value: p.id }, `${p.name} (${p.ip || "no IP"})`)),
  );
  const source = textInput({ id: "fault-source", class: "mono", placeholder: "any address" });
  const sourceField = field({
    name: "source",
    label: "Source address",
    input: source,
    hint: "Only the exchanges with this address: a query's or transfer's client, a NOTIFY's target",
  });
  let inputs = {};
  const current = () => view.kinds.find((k) => k.kind === kindSel.value);
  const drawParams = () => {
    const k = current();
    kindDoc.textContent = `${k.doc} · acts on ${k.points.join(", ")}`;
    inputs = paramInputs(k);
    paramBox.replaceChildren(...Object.values(inputs).map((x) => x.node));
    // notify-from's `source` is the address NOTIFYs leave from, a parameter, not a scope.
    sourceField.hidden = Object.hasOwn(k.params, "source");
  };
  kindSel.addEventListener("change", drawParams);
  drawParams();

  editForm({
    slot: formSlot,
    opener: addBtn,
    id: "fault-form",
    label: "Add fault",
    title: "Add fault",
    nodes: [
      field({ name: "kind", label: "Kind", input: kindSel }),
      h("div", { class: "field wide" }, kindDoc),
      paramBox,
      field({
        name: "times",
        label: "Times",
        input: times,
        hint: "How many times it applies; blank: until removed",
      }),
      field({
        name: "peer_id",
        label: "Peer",
        input: peerSel,
        hint: "Only the exchanges with this peer (at its IP; the NOTIFYs sent to it)",
      }),
      sourceField,
    ],
    submitLabel: "Add fault",
    read: () => {
      const body = { kind: kindSel.value };
      for (const [name, x] of Object.entries(inputs)) {
        const v = x.read();
        if (v !== undefined) body[name] = v;
      }
      if (times.value.trim() !== "") body.times = numberOrText(times.value.trim());
      if (peerSel.value !== "") body.peer_id = peerSel.value;
      if (!sourceField.hidden && source.value.trim() !== "") body.source = source.value.trim();
      return body;
    },
    save: (body) => post(view.path, body),
    done: () => live.refresh(),
    // 89201 is an unknown kind; 89202's message names the parameter ("kind: name must …").
    fieldOf: (err) =>
      fieldFrom({ 89201: "kind" }, [
        ...Object.keys(current().params),
        "times",
        "peer_id",
        "source",
      ])(err),
  });
  kindSel.focus();
}

/**
 * One input per parameter of kind `k`: `{ name: { node, read() } }`; `read()` is undefined
 * for a blank field (the server's default applies, or it says the parameter is required).
 */
function paramInputs(k) {
  const out = {};
  for (const [name, p] of Object.entries(k.params)) {
    const id = `fault-param-${name}`;
    if (p.type === "bool") {
      const input = h("input", { type: "checkbox", id, checked: p.default === true });
      out[name] = {
        node: field({ name, label: name, input, hint: p.doc }),
        read: () => input.checked,
      };
      continue;
    }
    if (p.values) {
      // An RCODE: the mnemonics the server takes, its default selected.
      const input = h(
        "select",
        { id, class: "mono" },
        p.values.map((v) => h("option", { value: v, selected: v === p.default }, v)),
      );
      out[name] = {
        node: field({ name, label: name, input, hint: p.doc }),
        read: () => input.value,
      };
      continue;
    }
    const input = textInput({
      id,
      class: "mono",
      value: p.required ? "" : String(p.default),
      placeholder: p.required ? "required" : undefined,
      inputmode: p.type === "int" || p.type === "number" ? "decimal" : undefined,
    });
    out[name] = {
      node: field({ name, label: name, input, hint: paramHint(p) }),
      read: () => {
        const v = input.value.trim();
        if (v === "") return undefined;
        // Numbers go as numbers; anything else as typed, for the API to name the mistake.
        return p.type === "int" || p.type === "number" || p.type === "message"
          ? numberOrText(v)
          : v;
      },
    };
  }
  return out;
}

/** A parameter's doc, with its bounds or the form it takes. */
function paramHint(p) {
  if (p.min !== undefined && p.max !== undefined) return `${p.doc} (${p.min}–${p.max})`;
  if (p.type === "message") return `${p.doc}; or "last"`;
  return p.doc;
}

function numberOrText(v) {
  const n = Number(v);
  return /^-?[0-9.]+$/.test(v) && Number.isFinite(n) ? n : v;
}
