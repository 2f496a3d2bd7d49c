// A zone's Registrar tab: the setup guide's step 7, "At your registrar, add the nameservers
// of your secondary DNS provider", at the registrar dns-primary serves (docs/registrar.md).
// What the parent zone holds for the zone (its NS set with their addresses, the DS set, the
// lab's trust anchor) and the registrar's form: the nameservers, their glue and the DS
// records added for other signers, saved as one PUT; reset goes back to Cloudflare's.

import { ApiError, del, EXT, get, put } from "./api.js";
import {
  badge,
  card,
  clearErrors,
  copyButton,
  dataTable,
  errText,
  field,
  h,
  muted,
  showError,
  whileBusy,
} from "./dom.js";

/** The API's code when no registrar is served, or the zone is not delegated (errors.ts). */
const NOT_FOUND = 7003;

export async function registrarTab(box, { zone }) {
  let registrar;
  try {
    registrar = await get(`${EXT}/registrar`);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === NOT_FOUND)) throw err;
    box.replaceChildren(
      card(
        { headingId: "registrar-h", title: "At the registrar" },
        h(
          "p",
          { id: "no-registrar" },
          "This dns-primary serves no registrar. Start it with ",
          h("code", {}, "--registrar HOST:PORT"),
          " (or the config file's ",
          h("code", {}, "registrar:"),
          ") to serve the parent zone that delegates this zone to its nameservers.",
        ),
      ),
    );
    return;
  }
  const path = `${EXT}/registrar/domains/${encodeURIComponent(zone.name)}`;
  const view = h("div", { class: "grid" });
  box.replaceChildren(view);
  const draw = async () => {
    let domain;
    try {
      domain = await get(path);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === NOT_FOUND)) throw err;
      view.replaceChildren(
        card(
          { headingId: "registrar-h", title: "At the registrar" },
          h("p", { id: "not-delegated" }, errText(err)),
        ),
      );
      return;
    }
    view.replaceChildren(delegationCard(registrar, domain), formCard(domain, path, draw));
  };
  await draw();
}

/** What the parent serves for the zone, and where a resolver starts. */
function delegationCard(registrar, d) {
  const rows = d.nameservers.map((ns) =>
    h(
      "tr",
      {},
      h("td", { class: "mono" }, ns),
      h("td", { class: "mono" }, (d.glue[ns] ?? []).join(", ") || muted("—")),
    ),
  );
  const ds = d.ds.map((text) =>
    h(
      "li",
      { class: "mono" },
      text,
      " ",
      d.ds_added.includes(text) ? badge("added") : badge("the zone's own", "ok"),
    ),
  );
  const at = registrar.dns ? `${registrar.dns.host}:${registrar.dns.port}` : "—";
  return card(
    {
      headingId: "registrar-h",
      title: "At the registrar",
      aside: badge(d.nameservers_source === "registrar" ? "set at the registrar" : "Cloudflare's"),
    },
    h(
      "p",
      {},
      "The parent zone ",
      h("code", {}, registrar.origin),
      " answers at ",
      h("code", { id: "registrar-at" }, at),
      " and delegates ",
      h("code", {}, d.name),
      " to:",
    ),
    dataTable({ id: "registrar-ns" }, ["Nameserver", "Address (glue)"], rows),
    h("h3", {}, "DS records"),
    ds.length
      ? h("ul", { id: "registrar-ds" }, ds)
      : h("p", { id: "registrar-ds" }, muted("none: the zone is unsigned")),
    h("h3", {}, "The lab's trust anchor"),
    h(
      "p",
      {},
      h("code", { id: "trust-anchor" }, registrar.trust_anchor.ds),
      " ",
      copyButton(() => registrar.trust_anchor.ds),
    ),
  );
}

/** Lines of a textarea, trimmed, without the empty ones. */
const lines = (text) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");

/** The registrar's form: nameservers, glue, DS added; Save is one PUT. */
function formCard(d, path, redraw) {
  const ns = h("textarea", { rows: "4", spellcheck: "false" }, d.nameservers.join("\n"));
  const glueText = Object.entries(d.glue)
    .map(([name, addrs]) => `${name} ${addrs.join(" ")}`)
    .join("\n");
  const glue = h("textarea", { rows: "3", spellcheck: "false" }, glueText);
  const ds = h("textarea", { rows: "3", spellcheck: "false" }, d.ds_added.join("\n"));
  const save = h("button", { type: "submit", id: "registrar-save", class: "primary" }, "Save");
  const reset = h("button", { type: "button", id: "registrar-reset" }, "Reset to Cloudflare's");
  const formErr = h("p", { class: "err form-err", "aria-live": "polite" });
  const form = h(
    "form",
    {
      class: "edit-form",
      id: "registrar-form",
      "aria-label": "The registrar's form",
      novalidate: true,
    },
    h(
      "div",
      { class: "fields" },
      field({
        name: "nameservers",
        label: "Nameservers",
        input: ns,
        hint: "One per line: Cloudflare's and your secondary provider's.",
        wide: true,
      }),
      field({
        name: "glue",
        label: "Glue",
        input: glue,
        hint: "One nameserver per line, then its addresses: ns1.secondary.test 127.0.0.3",
        wide: true,
      }),
      field({
        name: "ds",
        label: "DS records added",
        input: ds,
        hint: "Other signers' DS, one per line (the zone's own is added for you).",
        wide: true,
      }),
    ),
    formErr,
    h("div", { class: "actions" }, save, reset),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = {
      nameservers: lines(ns.value),
      glue: Object.fromEntries(
        lines(glue.value).map((l) => {
          const [name, ...addrs] = l.split(/\s+/);
          return [name, addrs];
        }),
      ),
      ds: lines(ds.value),
    };
    save.disabled = true;
    try {
      await put(path, body);
      await redraw();
    } catch (err) {
      // The API names the field at fault first: "nameservers…", "glue.NAME…", "ds[0]…".
      const at = /^(nameservers|glue|ds)\b/.exec(err.message)?.[1];
      showError(form, at, err);
    } finally {
      save.disabled = false;
    }
  });
  reset.addEventListener("click", () =>
    whileBusy(reset, formErr, async () => {
      await del(path);
      await redraw();
    }),
  );
  return card(
    { class: "card", headingId: "registrar-form-h", title: "Step 7: nameservers at the registrar" },
    form,
  );
}
