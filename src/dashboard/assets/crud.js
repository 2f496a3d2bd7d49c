// One account-level resource (TSIGs, peers, ACLs): a table, a create/edit form whose API
// errors land next to their field, and delete.

import { del, get, post, put } from "./api.js";
import { card, clearErrors, dataTable, h, showError } from "./dom.js";

/**
 * spec: { id, title, noun, intro, path, columns: [{ label, cell(row), mono }],
 *   fields(row) -> { nodes, read() -> body }, fieldOf(err) -> field name,
 *   saved(result, body, notice, created), changed() }
 */
export function crudSection(spec) {
  const notice = h("div", { class: "notice-slot" });
  const formBox = h("div", { class: "form-slot" });
  const listErr = h("p", { class: "err list-err", "aria-live": "polite" });
  const wrap = h("div", { class: "table-wrap" });
  const count = h("span", { class: "count" });
  const createBtn = h(
    "button",
    { type: "button", class: "small", id: `${spec.id}-create` },
    `Create ${spec.noun}`,
  );
  const section = card(
    { id: spec.id, headingId: `${spec.id}-h`, title: spec.title, aside: [count, createBtn] },
    spec.intro ? h("p", { class: "intro" }, spec.intro) : null,
    notice,
    formBox,
    listErr,
    wrap,
  );
  let rows = [];

  async function refresh() {
    try {
      rows = await get(spec.path);
      listErr.textContent = "";
    } catch (err) {
      listErr.textContent = `${err.message} (${err.code})`;
    }
    render();
  }

  function render() {
    count.textContent = String(rows.length);
    if (rows.length === 0) {
      wrap.replaceChildren(h("p", { class: "empty" }, `No ${spec.noun}s yet.`));
      return;
    }
    const labels = spec.columns.map((c) => c.label);
    wrap.replaceChildren(dataTable({ class: "stack-narrow" }, labels, rows.map(row), "Actions"));
  }

  function row(r) {
    return h(
      "tr",
      { "data-id": r.id },
      spec.columns.map((c) => h("td", { class: c.mono ? "mono" : "" }, c.cell(r))),
      h(
        "td",
        { class: "act" },
        rowButton(`Edit ${spec.noun} ${r.name}`, "Edit", () => openForm(r)),
        rowButton(`Delete ${spec.noun} ${r.name}`, "Delete", () => remove(r), "danger"),
      ),
    );
  }

  async function remove(r) {
    if (!window.confirm(`Delete ${spec.noun} "${r.name}"?`)) return;
    listErr.textContent = "";
    try {
      await del(`${spec.path}/${r.id}`);
      await refresh();
      spec.changed?.();
    } catch (err) {
      listErr.textContent = `Delete ${spec.noun} "${r.name}": ${err.message} (${err.code})`;
    }
  }

  function openForm(row) {
    const f = spec.fields(row);
    const form = editForm({
      slot: formBox,
      opener: createBtn,
      id: `${spec.id}-form`,
      label: row ? `Edit ${spec.noun} ${row.name}` : `Create ${spec.noun}`,
      title: [row ? `Edit ${spec.noun} ` : `New ${spec.noun}`, row ? h("code", {}, row.name) : ""],
      nodes: f.nodes,
      submitLabel: row ? "Save" : "Create",
      read: f.read,
      save: (body) => (row ? put(`${spec.path}/${row.id}`, body) : post(spec.path, body)),
      done: async (saved, body) => {
        await refresh();
        spec.saved?.(saved, body, notice, !row);
        spec.changed?.();
      },
      fieldOf: spec.fieldOf,
    });
    form.querySelector("input, select")?.focus();
  }

  createBtn.addEventListener("click", () => openForm(undefined));
  return { el: section, refresh, render, rows: () => rows };
}

/** A small button in a table row's actions, named for screen readers by what it acts on. */
export function rowButton(ariaLabel, text, onclick, kind) {
  return h(
    "button",
    { type: "button", class: kind ? `small ${kind}` : "small", "aria-label": ariaLabel, onclick },
    text,
  );
}

/**
 * A create or edit form shown in `slot` while the button that opened it (`opener`) hides.
 * Submit: `save(read())`, then the form closes and `done(saved, body)` runs; an API error
 * lands next to the field `fieldOf(err)` names, else on the form's own line. Escape or
 * Cancel closes it. Returns the form (for the caller to focus a field).
 */
export function editForm({
  slot,
  opener,
  id,
  label,
  title,
  nodes,
  submitLabel,
  read,
  save,
  done,
  fieldOf,
}) {
  const close = () => {
    slot.replaceChildren();
    opener.hidden = false;
  };
  const submit = h("button", { type: "submit", class: "primary" }, submitLabel);
  const form = h(
    "form",
    { class: "edit-form", id, "aria-label": label, novalidate: true },
    h("h3", {}, title),
    h("div", { class: "fields" }, nodes),
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
    const body = read();
    submit.disabled = true;
    try {
      const saved = await save(body);
      close();
      await done(saved, body);
    } catch (err) {
      showError(form, fieldOf(err), err);
    } finally {
      submit.disabled = false;
    }
  });
  slot.replaceChildren(form);
  opener.hidden = true;
  return form;
}

/** Which field an error concerns: by code, else by the field name its message starts with. */
export function fieldFrom(byCode, names) {
  return (err) => {
    if (byCode[err.code]) return byCode[err.code];
    const m = err.message.toLowerCase();
    return names.find((n) => m.startsWith(n) || m.includes(` ${n} `) || m.includes(`${n}:`));
  };
}
