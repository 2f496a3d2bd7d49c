// Small DOM helpers: elements built with textContent (never HTML from data), form fields
// with their label and error line, relative times, copy to the clipboard.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

let uid = 0;
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/**
 * A labelled field: `{ name, label, input, hint }`. The input gets an id, the error line an
 * id the input names in aria-describedby; `data-field` lets errors find it.
 */
export function field({ name, label, input, hint, wide }) {
  const id = input.id || nextId(`f-${name}`);
  input.id = id;
  input.name = name;
  const errId = `${id}-err`;
  const hintId = hint ? `${id}-hint` : undefined;
  input.setAttribute("aria-describedby", [hintId, errId].filter(Boolean).join(" "));
  const isCheck = input.type === "checkbox";
  return h(
    "div",
    { class: `field${isCheck ? " check" : ""}${wide ? " wide" : ""}`, "data-field": name },
    isCheck ? [input, h("label", { for: id }, label)] : [h("label", { for: id }, label), input],
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h("p", { class: "err", id: errId, "aria-live": "polite" }),
  );
}

/** Clear the form's error lines. */
export function clearErrors(root) {
  for (const p of root.querySelectorAll(".err")) p.textContent = "";
  for (const i of root.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
}

/** An API error as one line: its message, and its code when it has one. */
export function errText(err) {
  return `${err.message}${err.code ? ` (${err.code})` : ""}`;
}

/** Show an API error next to the field it concerns (`field`), or on the form's own line. */
export function showError(root, fieldName, err) {
  const text = errText(err);
  const box = fieldName ? root.querySelector(`[data-field="${fieldName}"]`) : null;
  const line = box ? box.querySelector(".err") : root.querySelector(".form-err");
  if (line) line.textContent = text;
  const input = box?.querySelector("input, select, textarea, fieldset");
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

/** A one-line text input for names and data: no autocompletion, no spelling marks. */
export function textInput(attrs) {
  return h("input", { type: "text", autocomplete: "off", spellcheck: "false", ...attrs });
}

/** Grey text, e.g. "—" where a value is missing. */
export function muted(text) {
  return h("span", { class: "muted" }, text);
}

/**
 * Run `work` for a button (a switch, a submit): disabled meanwhile, its error line cleared
 * first and given the API's error when the work fails.
 */
export async function whileBusy(button, errLine, work) {
  errLine.textContent = "";
  button.disabled = true;
  try {
    await work();
  } catch (err) {
    errLine.textContent = errText(err);
  } finally {
    button.disabled = false;
  }
}

/**
 * A card: a section named by its h2 (aria-labelledby), with `aside` (a count, a switch, a
 * button) beside the heading, then the body.
 */
export function card({ class: cls = "card", id, headingId, title, aside }, ...body) {
  return h(
    "section",
    { class: cls, id, "aria-labelledby": headingId },
    h("div", { class: "card-head" }, h("h2", { id: headingId }, title), aside),
    body,
  );
}

/**
 * A table with a header row of `columns` (and, when `actions` names it, a last column for
 * row buttons whose heading only screen readers read). Each row's cells are given their
 * column's name (data-label) for the stacked layout of narrow windows (style.css).
 */
export function dataTable(attrs, columns, rows, actions) {
  const head = h(
    "tr",
    {},
    columns.map((c) => h("th", { scope: "col" }, c)),
    actions
      ? h("th", { scope: "col", class: "act" }, h("span", { class: "visually-hidden" }, actions))
      : null,
  );
  for (const tr of rows) {
    [...tr.children].forEach((td, i) => {
      if (columns[i]) td.setAttribute("data-label", columns[i]);
    });
  }
  return h("table", attrs, h("thead", {}, head), h("tbody", {}, rows));
}

/**
 * Redraw `wrap` with `nodes`, keeping the keyboard focus on the redrawn twin of the element
 * that had it (the one with the same `data-focus-key`): a live view redraws under the user.
 */
export function replaceKeepingFocus(wrap, ...nodes) {
  const focusKey = document.activeElement?.dataset?.focusKey;
  wrap.replaceChildren(...nodes);
  if (focusKey) wrap.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
}

export function ago(iso) {
  if (!iso) return "—";
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (s < 2) return "just now";
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)}m ago`;
  if (s < 129600) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function when(iso) {
  return iso ? h("time", { datetime: iso, title: iso }, ago(iso)) : muted("—");
}

/** Copy text; falls back to a selected textarea where the Clipboard API is unavailable. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = h("textarea", { class: "visually-hidden", "aria-hidden": "true" });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

/** A "Copy" button for `getText()` that says "Copied" for a moment. */
export function copyButton(getText, label = "Copy") {
  const b = h("button", { type: "button", class: "small" }, label);
  b.addEventListener("click", async () => {
    const ok = await copyText(getText());
    b.textContent = ok ? "Copied ✓" : "Select and copy";
    setTimeout(() => {
      b.textContent = label;
    }, 1500);
  });
  return b;
}

/** A switch: a real button with role=switch and aria-checked. */
export function toggle({ label, checked, onchange, id }) {
  const b = h(
    "button",
    { type: "button", role: "switch", class: "switch", "aria-checked": String(checked), id },
    h("span", { class: "knob", "aria-hidden": "true" }),
    h("span", { class: "switch-label" }, label ?? (checked ? "On" : "Off")),
  );
  b.addEventListener("click", () => onchange(b.getAttribute("aria-checked") !== "true", b));
  return b;
}

export function setToggle(b, on, label) {
  b.setAttribute("aria-checked", String(on));
  b.querySelector(".switch-label").textContent = label ?? (on ? "On" : "Off");
}

export function badge(text, kind) {
  return h("span", { class: `badge ${kind ?? ""}` }, text);
}
