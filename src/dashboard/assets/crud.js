// One account-level resource (TSIGs, peers, ACLs): a table, a create/edit form whose API
// errors land next to their field, and delete.

import { del, get, post, put } from "./api.js";
import { clearErrors, h, showError } from "./dom.js";

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
  const section = h(
    "section",
    { class: "card", id: spec.id, "aria-labelledby": `${spec.id}-h` },
    h("div", { class: "card-head" }, h("h2", { id: `${spec.id}-h` }, spec.title), count, createBtn),
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
    const head = h(
      "tr",
      {},
      spec.columns.map((c) => h("th", { scope: "col" }, c.label)),
      h("th", { scope: "col", class: "act" }, h("span", { class: "visually-hidden" }, "Actions")),
    );
    const body = rows.map((r) =>
      h(
        "tr",
        { "data-id": r.id },
        spec.columns.map((c) =>
          h("td", { class: c.mono ? "mono" : "", "data-label": c.label }, c.cell(r)),
        ),
        h(
          "td",
          { class: "act" },
          h(
            "button",
            {
              type: "button",
              class: "small",
              "aria-label": `Edit ${spec.noun} ${r.name}`,
              onclick: () => openForm(r),
            },
            "Edit",
          ),
          h(
            "button",
            {
              type: "button",
              class: "small danger",
              "aria-label": `Delete ${spec.noun} ${r.name}`,
              onclick: () => remove(r),
            },
            "Delete",
          ),
        ),
      ),
    );
    wrap.replaceChildren(
      h("table", { class: "stack-narrow" }, h("thead", {}, head), h("tbody", {}, body)),
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

  function close() {
    formBox.replaceChildren();
    createBtn.hidden = false;
  }

  function openForm(row) {
    const f = spec.fields(row);
    const submit = h("button", { type: "submit", class: "primary" }, row ? "Save" : "Create");
    const cancel = h("button", { type: "button", onclick: close }, "Cancel");
    const form = h(
      "form",
      {
        class: "edit-form",
        id: `${spec.id}-form`,
        "aria-label": row ? `Edit ${spec.noun} ${row.name}` : `Create ${spec.noun}`,
        novalidate: true,
      },
      h(
        "h3",
        {},
        row ? `Edit ${spec.noun} ` : `New ${spec.noun}`,
        row ? h("code", {}, row.name) : "",
      ),
      h("div", { class: "fields" }, f.nodes),
      h("p", { class: "err form-err", "aria-live": "polite" }),
      h("div", { class: "actions" }, submit, cancel),
    );
    form.addEventListener("keydown", (e) => {
      if (e.key === "Escape") close();
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const body = f.read();
      submit.disabled = true;
      try {
        const saved = row ? await put(`${spec.path}/${row.id}`, body) : await post(spec.path, body);
        close();
        await refresh();
        spec.saved?.(saved, body, notice, !row);
        spec.changed?.();
      } catch (err) {
        showError(form, spec.fieldOf(err), err);
      } finally {
        submit.disabled = false;
      }
    });
    formBox.replaceChildren(form);
    createBtn.hidden = true;
    form.querySelector("input, select")?.focus();
  }

  createBtn.addEventListener("click", () => openForm(undefined));
  return { el: section, refresh, render, rows: () => rows };
}

/** Which field an error concerns: by code, else by the field name its message starts with. */
export function fieldFrom(byCode, names) {
  return (err) => {
    if (byCode[err.code]) return byCode[err.code];
    const m = err.message.toLowerCase();
    return names.find((n) => m.startsWith(n) || m.includes(` ${n} `) || m.includes(`${n}:`));
  };
}
