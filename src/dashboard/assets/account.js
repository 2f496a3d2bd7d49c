// Account settings → DNS Zone Transfers: the account's DNS settings (enforce DNS-only, the
// multi-provider zone default), then TSIGs, peer DNS servers and ACLs (the setup guide's
// steps 1 and 2), each the API's list, create, edit and delete.

import { get, patch, V4 } from "./api.js";
import { crudSection, fieldFrom } from "./crud.js";
import {
  badge,
  card,
  copyButton,
  field,
  h,
  setToggle,
  textInput,
  toggle,
  whileBusy,
} from "./dom.js";

/** The TSIG algorithms the API accepts (wire/tsig/algorithms.ts), the form's default first. */
const ALGORITHMS = [
  "hmac-sha256.",
  "hmac-sha512.",
  "hmac-sha384.",
  "hmac-sha224.",
  "hmac-sha1.",
  "hmac-md5.sig-alg.reg.int.",
];

/** Key length = the digest's length (RFC 2104's recommendation, what tsig-keygen does). */
const KEY_BYTES = {
  "hmac-md5.sig-alg.reg.int.": 16,
  "hmac-sha1.": 20,
  "hmac-sha224.": 28,
  "hmac-sha256.": 32,
  "hmac-sha384.": 48,
  "hmac-sha512.": 64,
};

/** A random secret, base64, from the browser's CSPRNG. */
export function randomSecret(algo) {
  const bytes = new Uint8Array(KEY_BYTES[algo] ?? 32);
  crypto.getRandomValues(bytes);
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export async function accountView(main, app) {
  const base = `${V4}/accounts/${app.account.id}/secondary_dns`;
  // Each list shows names from the other (a peer's TSIG, a TSIG's peers): both sections read
  // the rows last loaded by reload().
  const shared = { tsigs: [], peers: [] };
  const changed = () => reload();
  const tsigs = tsigSection(`${base}/tsigs`, shared, changed);
  const peers = peerSection(`${base}/peers`, shared, changed);
  const acls = aclSection(`${base}/acls`);

  async function reload() {
    await Promise.all([tsigs.refresh(), peers.refresh()]);
    shared.tsigs = tsigs.rows();
    shared.peers = peers.rows();
    // Again, now with the TSIG names in peers and the users of each TSIG.
    tsigs.render();
    peers.render();
  }

  const settings = await get(`${V4}/accounts/${app.account.id}/dns_settings`);
  main.replaceChildren(
    pageHead(app.account),
    h(
      "div",
      { class: "stack" },
      accountDnsCard(`${V4}/accounts/${app.account.id}/dns_settings`, settings),
      tsigs.el,
      peers.el,
      acls.el,
    ),
  );
  await Promise.all([reload(), acls.refresh()]);
}

/**
 * The account's DNS settings that a multi-provider setup meets: enforce DNS-only (every
 * proxied record served and transferred as DNS-only, each zone concerned one new serial) and
 * multi-provider DNS as a zone default (zones created from now on transfer the apex NS).
 */
function accountDnsCard(path, settings) {
  const err = h("p", { class: "err", id: "account-dns-err", "aria-live": "polite" });
  const enforce = toggle({
    id: "enforce-dns-only",
    checked: settings.enforce_dns_only === true,
    onchange: (on, b) =>
      whileBusy(b, err, async () => {
        const s = await patch(path, { enforce_dns_only: on });
        setToggle(b, s.enforce_dns_only === true);
      }),
  });
  const multi = toggle({
    id: "default-multi-provider",
    checked: settings.zone_defaults?.multi_provider === true,
    onchange: (on, b) =>
      whileBusy(b, err, async () => {
        const s = await patch(path, { zone_defaults: { multi_provider: on } });
        setToggle(b, s.zone_defaults.multi_provider === true);
      }),
  });
  enforce.setAttribute("aria-labelledby", "enforce-dns-only-label");
  multi.setAttribute("aria-labelledby", "default-multi-provider-label");
  const row = (id, label, note, sw) =>
    h(
      "div",
      { class: "setting-row" },
      h("div", {}, h("strong", { id }, label), h("p", { class: "note" }, note)),
      sw,
    );
  return card(
    { headingId: "account-dns-h", title: "Account DNS settings" },
    err,
    row(
      "enforce-dns-only-label",
      "Enforce DNS-only",
      "Every proxied record of the account is answered and transferred with its origin address or CNAME; the records stay proxied. Each zone with a proxied record gets a new serial, so secondaries follow by IXFR.",
      enforce,
    ),
    row(
      "default-multi-provider-label",
      "Multi-provider DNS for new zones",
      "A zone default: zones created from now on serve and transfer the NS records you add at their apex. Existing zones keep their own setting.",
      multi,
    ),
  );
}

function pageHead(account) {
  return h(
    "div",
    { class: "page-head" },
    h("h1", { tabindex: "-1" }, "DNS Zone Transfers"),
    h(
      "p",
      { class: "muted" },
      "Account ",
      h("code", {}, account.name),
      " · ",
      h("code", { class: "id" }, account.id),
    ),
  );
}

const none = (text) => h("span", { class: "muted" }, text);
const idCell = { label: "ID", mono: true, cell: (r) => h("span", { class: "id" }, r.id) };

// ------------------------------------------------------------------ TSIGs

function tsigSection(path, shared, changed) {
  // The peers that link a TSIG, by name.
  const usedBy = (tsig) => {
    const names = shared.peers.filter((p) => p.tsig_id === tsig.id).map((p) => p.name);
    return names.length ? names.join(", ") : none("—");
  };
  return crudSection({
    id: "tsigs",
    title: "TSIG",
    noun: "TSIG",
    intro:
      "Transaction signatures authenticate the secondary's SOA queries and transfers, and the NOTIFY sent to it. The name must be the same at the secondary.",
    path,
    columns: [
      { label: "Name", mono: true, cell: (r) => r.name },
      { label: "Algorithm", mono: true, cell: (r) => r.algo },
      { label: "Secret", cell: () => none("hidden") },
      { label: "Used by", cell: (r) => usedBy(r) },
      idCell,
    ],
    fields: tsigFields,
    fieldOf: fieldFrom({ 9000: "name", 89008: "name", 89003: "algo", 89004: "secret" }, [
      "name",
      "algo",
      "secret",
    ]),
    saved: showGeneratedSecret,
    changed,
  });
}

function tsigFields(row) {
  const name = textInput({
    value: row?.name ?? "",
    required: true,
    placeholder: "tsig.example.",
  });
  const algo = h(
    "select",
    {},
    ALGORITHMS.map((a) =>
      h("option", { value: a, selected: (row?.algo ?? ALGORITHMS[0]) === a }, a),
    ),
  );
  const secret = textInput({
    value: "",
    placeholder: row ? "unchanged" : "blank: generate a random one",
    class: "mono",
  });
  return {
    nodes: [
      field({
        name: "name",
        label: "TSIG name",
        input: name,
        hint: "Domain name syntax (RFC 8945 §4.2)",
      }),
      field({ name: "algo", label: "Algorithm", input: algo }),
      field({
        name: "secret",
        label: "Secret (optional)",
        input: secret,
        wide: true,
        hint: row
          ? "Base64. Blank keeps the current secret."
          : "Base64. Blank generates a random secret in this browser, shown once.",
      }),
    ],
    read: () => readTsig(row, name, algo, secret),
  };
}

/**
 * The body to send. A blank secret keeps the current one (an edit) or is generated here (a
 * new TSIG); `generated` is not sent (not enumerable) but tells showGeneratedSecret to show it.
 */
function readTsig(row, name, algo, secret) {
  let s = secret.value.trim();
  let generated = false;
  if (s === "") {
    if (row) s = row.secret;
    else {
      s = randomSecret(algo.value);
      generated = true;
    }
  }
  const body = { name: name.value.trim(), algo: algo.value, secret: s };
  Object.defineProperty(body, "generated", { value: generated, enumerable: false });
  return body;
}

/**
 * A secret generated in this browser is shown once, when its TSIG is created (the table hides
 * secrets).
 */
function showGeneratedSecret(result, body, notice, created) {
  if (!created || !body.generated) {
    notice.replaceChildren();
    return;
  }
  const code = h("code", { class: "secret", id: "generated-secret" }, body.secret);
  const box = h(
    "div",
    { class: "notice", role: "status" },
    h("p", {}, h("strong", {}, "Secret generated for "), h("code", {}, result.name)),
    h(
      "p",
      { class: "muted" },
      "Shown once: paste it into the secondary's configuration now (or copy the ready configuration from a zone's Secondaries view).",
    ),
    h(
      "div",
      { class: "secret-row" },
      code,
      copyButton(() => body.secret, "Copy secret"),
      h("button", { type: "button", class: "small", onclick: () => box.remove() }, "Dismiss"),
    ),
  );
  notice.replaceChildren(box);
  box.querySelector("button")?.focus();
}

// ------------------------------------------------------------------ peers

function peerSection(path, shared, changed) {
  const tsigName = (id) => shared.tsigs.find((t) => t.id === id)?.name ?? id;
  return crudSection({
    id: "peers",
    title: "Peer DNS servers",
    noun: "peer",
    intro:
      "Where NOTIFY is sent (IP and port) and the address a secondary transfers from. Link peers to a zone on the zone's Settings tab.",
    path,
    columns: [
      { label: "Name", cell: (r) => r.name },
      { label: "IP", mono: true, cell: (r) => r.ip ?? none("—") },
      { label: "Port", mono: true, cell: (r) => String(r.port) },
      { label: "IXFR", cell: (r) => (r.ixfr_enable ? badge("on", "ok") : badge("off")) },
      {
        label: "TSIG",
        mono: true,
        cell: (r) => (r.tsig_id ? tsigName(r.tsig_id) : none("none")),
      },
      idCell,
    ],
    fields: (row) => peerFields(row, shared.tsigs),
    fieldOf: fieldFrom({ 89005: "ip", 89010: "tsig_id" }, [
      "port",
      "ip",
      "name",
      "tsig_id",
      "ixfr_enable",
    ]),
    changed,
  });
}

function peerFields(row, tsigs) {
  const name = textInput({
    value: row?.name ?? "",
    required: true,
    placeholder: "secondary-1",
  });
  const ip = textInput({
    value: row?.ip ?? "",
    class: "mono",
    placeholder: "192.0.2.53",
    inputmode: "decimal",
  });
  const port = textInput({
    value: String(row?.port ?? 53),
    class: "mono",
    inputmode: "numeric",
  });
  const ixfr = h("input", { type: "checkbox", checked: row?.ixfr_enable ?? false });
  const tsig = h(
    "select",
    {},
    h("option", { value: "" }, "No TSIG"),
    tsigs.map((t) => h("option", { value: t.id, selected: row?.tsig_id === t.id }, t.name)),
  );
  return {
    nodes: [
      field({ name: "name", label: "Name", input: name }),
      field({
        name: "ip",
        label: "IP",
        input: ip,
        hint: "NOTIFY goes here; transfers from it are allowed",
      }),
      field({ name: "port", label: "Port", input: port }),
      field({ name: "tsig_id", label: "Link an existing TSIG", input: tsig }),
      field({
        name: "ixfr_enable",
        label: "Enable incremental (IXFR) zone transfers",
        input: ixfr,
        hint: "Stored only: as a primary, IXFR is always answered",
      }),
    ],
    read: () => {
      const p = port.value.trim();
      // A port that is not digits is sent as typed: the API's error names the field.
      return {
        name: name.value.trim(),
        ip: ip.value.trim() === "" ? null : ip.value.trim(),
        port: p === "" ? null : /^\d+$/.test(p) ? Number(p) : p,
        ixfr_enable: ixfr.checked,
        tsig_id: tsig.value === "" ? null : tsig.value,
      };
    },
  };
}

// ------------------------------------------------------------------ ACLs

function aclSection(path) {
  return crudSection({
    id: "acls",
    title: "ACLs",
    noun: "ACL",
    intro:
      "Address ranges allowed to transfer the account's zones without being a linked peer (at most /24 for IPv4, /64 for IPv6).",
    path,
    columns: [
      { label: "Name", cell: (r) => r.name },
      { label: "IP range", mono: true, cell: (r) => r.ip_range },
      idCell,
    ],
    fields: aclFields,
    fieldOf: fieldFrom({ 89006: "ip_range", 89007: "ip_range" }, ["ip_range", "name"]),
  });
}

function aclFields(row) {
  const name = textInput({ value: row?.name ?? "", required: true });
  const range = textInput({
    value: row?.ip_range ?? "",
    class: "mono",
    placeholder: "192.0.2.0/24",
  });
  return {
    nodes: [
      field({ name: "name", label: "Name", input: name }),
      field({ name: "ip_range", label: "IP range", input: range }),
    ],
    read: () => ({ name: name.value.trim(), ip_range: range.value.trim() }),
  };
}
