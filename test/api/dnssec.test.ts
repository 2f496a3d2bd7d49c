/**
 * `GET/PATCH/DELETE /zones/{zone_id}/dnssec` in process and with the official SDK: Cloudflare's
 * object (disabled, then active with the KSK's DS, key tag and public key), every field's
 * check, what a change does to the zone (one new serial when the keys change, none for
 * `dnssec_multi_signer`), what transfers carry (the user's DNSKEY records, never Cloudflare's
 * keys), and DELETE.
 */

import Cloudflare from "cloudflare";
import t from "tap";
import { listenApi } from "../../src/api/server.js";
import { zoneId } from "../../src/cloudflare/transfer/settings.js";
import { dsRdata } from "../../src/wire/dnssec/sign.js";
import { rdataToText } from "../../src/wire/rdata.js";
import { T } from "../../src/wire/types.js";
import { call, lab } from "./fixture.js";

const COM = zoneId("example.com.");
const D = `/zones/${COM}/dnssec`;

t.test("disabled, then active: Cloudflare's object, its DS and a new serial", async (t) => {
  const l = lab(t);
  const zone = l.zones.set.get("example.com.")!;
  const off = await call(l.app, "GET", D);
  t.equal(off.status, 200);
  t.match(off.body.result, {
    status: "disabled",
    dnssec_multi_signer: false,
    dnssec_presigned: false,
    dnssec_use_nsec3: false,
    ds: null,
    key_tag: null,
    public_key: null,
  });
  const serial = zone.serial;
  const on = await call(l.app, "PATCH", D, { status: "active" });
  t.equal(on.status, 200);
  const r = on.body.result;
  t.match(r, {
    status: "active",
    algorithm: "13",
    digest_algorithm: "SHA256",
    digest_type: "2",
    flags: 257,
    key_type: "ECDSAP256SHA256",
  });
  t.equal(zone.serial, serial + 1, "the DNSKEY at the apex: one change");
  const dnskey = zone.node("example.com.")!.get(T.DNSKEY)!;
  t.equal(dnskey.size, 2, "Cloudflare's KSK and ZSK are served");
  const ksk = dnskey.rdata
    .map((rd) => Buffer.from(rd, "latin1"))
    .find((b) => b.readUInt16BE(0) === 257)!;
  t.equal(r.public_key, ksk.subarray(4).toString("base64"));
  const ds = dsRdata("example.com.", ksk);
  t.equal(r.key_tag, ds.readUInt16BE(0));
  t.equal(r.ds, `example.com. 3600 IN DS ${rdataToText(T.DS, ds)}`);
  t.equal(r.digest, ds.subarray(4).toString("hex").toUpperCase());
  t.same(
    zone.transferSets("example.com.").filter((s) => s.type === T.DNSKEY),
    [],
    "not transferred",
  );
  t.same((await call(l.app, "GET", D)).body.result, r, "GET says the same");

  // Multi-signer: stored, no new version; the keys stay.
  const ms = await call(l.app, "PATCH", D, { dnssec_multi_signer: true });
  t.equal(ms.body.result.dnssec_multi_signer, true);
  t.equal(ms.body.result.key_tag, r.key_tag);
  t.equal(zone.serial, serial + 1);
});

t.test(
  "the user's DNSKEY records are served beside Cloudflare's and transferred alone",
  async (t) => {
    const l = lab(t);
    const zone = l.zones.set.get("example.com.")!;
    await call(l.app, "PATCH", D, { status: "active", dnssec_multi_signer: true });
    const other = {
      type: "DNSKEY",
      name: "example.com",
      data: {
        flags: 256,
        protocol: 3,
        algorithm: 13,
        public_key:
          "oJMRESz5E4gYzS/q6XDrvU1qMPYIjCWzJaOau8XNEZeqCYKD5ar0IRd8KqXXFJkqmVfRvMGPmM1x8fGAa2XhSA==",
      },
    };
    const created = await call(l.app, "POST", `/zones/${COM}/dns_records`, other);
    t.equal(created.status, 200, JSON.stringify(created.body.errors));
    t.equal(
      zone.node("example.com.")!.get(T.DNSKEY)!.size,
      3,
      "KSK, ZSK and the other signer's ZSK",
    );
    const sent = zone.transferSets("example.com.").find((s) => s.type === T.DNSKEY)!;
    t.equal(sent.size, 1, "transfers carry the user's record only");
  },
);

t.test("GET /dnssec/zsk lists the ZSK the apex serves, for the other providers", async (t) => {
  const l = lab(t);
  const zone = l.zones.set.get("example.com.")!;
  const Z = `${D}/zsk`;
  t.same((await call(l.app, "GET", Z)).body.result, [], "none while DNSSEC is off");
  await call(l.app, "PATCH", D, { status: "active" });
  const r = await call(l.app, "GET", Z);
  t.equal(r.status, 200);
  t.equal(r.body.result.length, 1);
  const k = r.body.result[0];
  const served = zone
    .node("example.com.")!
    .get(T.DNSKEY)!
    .rdata.map((d) => Buffer.from(d, "latin1"))
    .find((d) => d.readUInt16BE(0) === 256)!;
  t.equal(k.DNSKEY.PublicKey, served.subarray(4).toString("base64"), "the ZSK served");
  t.match(k.DNSKEY, { Algorithm: 13, Flags: 256, Protocol: 3 });
  t.match(k.DNSKEY.Hdr, { Class: 1, Name: "example.com.", Rrtype: 48, Ttl: 3600 });
  t.equal(k.DNSKEY.Hdr.Rdlength, served.length);
  t.equal(k.SigningKey.pubkey, `256 3 13 ${k.DNSKEY.PublicKey}`);
  t.notOk("privkey" in k.SigningKey, "no private key leaves the emulator");
  t.equal(k.Tag, "active");
  t.not(k.DNSKEY.PublicKey, (await call(l.app, "GET", D)).body.result.public_key, "not the KSK");
  await call(l.app, "DELETE", D);
  t.same((await call(l.app, "GET", Z)).body.result, [], "none once it is off again");
});

t.test("every field is checked; DELETE turns it off", async (t) => {
  const l = lab(t);
  for (const [body, message] of [
    [{ status: "pending" }, /status must be "active" or "disabled"/],
    [{ dnssec_presigned: true }, /secondary zones/],
    [{ dnssec_use_nsec3: true }, /NSEC3 is not emulated|compact NSEC/],
    [{ dnssec_multi_signer: "yes" }, /true or false/],
    [{ algorithm: 8 }, /algorithm is not a DNSSEC setting/],
    [[1], /JSON object/],
  ] as const) {
    const r = await call(l.app, "PATCH", D, body);
    t.equal(r.status, 400, JSON.stringify(body));
    t.equal(r.body.errors[0].code, 89001);
    t.match(r.body.errors[0].message, message);
  }
  t.equal((await call(l.app, "GET", D)).body.result.status, "disabled", "nothing changed");
  await call(l.app, "PATCH", D, { status: "active" });
  const zone = l.zones.set.get("example.com.")!;
  const serial = zone.serial;
  const del = await call(l.app, "DELETE", D);
  t.equal(del.status, 200);
  t.equal(del.body.result, COM);
  t.equal((await call(l.app, "GET", D)).body.result.status, "disabled");
  t.equal(zone.node("example.com.")!.get(T.DNSKEY), undefined, "no DNSKEY served");
  t.equal(zone.serial, serial + 1);
});

t.test("the official SDK: dns.dnssec.get, edit, delete", async (t) => {
  const l = lab(t, { apiToken: "sdk" });
  const { port } = await listenApi(l.app, { host: "127.0.0.1", port: 0 });
  const client = new Cloudflare({ apiToken: "sdk", baseURL: `http://127.0.0.1:${port}/client/v4` });
  t.equal((await client.dns.dnssec.get({ zone_id: COM }))?.status, "disabled");
  const on = await client.dns.dnssec.edit({ zone_id: COM, status: "active" });
  t.equal(on?.status, "active");
  t.match(on?.ds, /^example\.com\. 3600 IN DS \d+ 13 2 [0-9A-F]{64}$/);
  t.equal(await client.dns.dnssec.delete({ zone_id: COM }), COM);
  t.equal((await client.dns.dnssec.get({ zone_id: COM }))?.status, "disabled");
});
