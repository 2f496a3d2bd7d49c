import t from "tap";
import { zoneId } from "../../src/cloudflare/transfer/settings.js";
import { T } from "../../src/wire/types.js";
import { ACCOUNT, call, lab, SECRET, T0 } from "./fixture.js";

const A = `/accounts/${ACCOUNT.id}/secondary_dns`;
const COM = zoneId("example.com.");
const O = `/zones/${COM}/secondary_dns/outgoing`;
const MISSING = "00000000000000000000000000000000";

t.test(
  "outgoing: create, get, update, enable, status, force_notify, disable, delete",
  async (t) => {
    const { app, transfers, zones } = lab(t);
    const peer = (await call(app, "POST", `${A}/peers`, { name: "ns2", ip: "192.0.2.2" })).body
      .result;

    const created = await call(app, "POST", O, { name: "example.com.", peers: [peer.id] });
    t.equal(created.status, 200);
    const expected = {
      id: COM,
      name: "example.com.",
      peers: [peer.id],
      created_time: T0.toISOString(),
      checked_time: null,
      last_transferred_time: null,
      soa_serial: 100,
    };
    t.same(created.body.result, expected);
    t.equal(transfers.getOutgoing("example.com.").status, "Disabled", "starts disabled");
    t.same((await call(app, "GET", `${O}/status`)).body.result, "Disabled");

    t.same((await call(app, "GET", O)).body.result, expected);

    const events: string[] = [];
    transfers.onChange((c) => {
      if (c.kind === "outgoing") events.push(c.action);
    });
    const enable = await call(app, "POST", `${O}/enable`);
    t.equal(enable.status, 200);
    t.same(enable.body, { success: true, errors: [], messages: [], result: "Enabled" });
    t.same((await call(app, "GET", `${O}/status`)).body.result, "Enabled");
    t.equal(transfers.getOutgoing("example.com.").status, "Enabled");

    t.same((await call(app, "POST", `${O}/force_notify`)).body.result, "OK");

    // soa_serial follows the zone's serial, not a stored value.
    zones.set.get("example.com.")!.commit({
      add: [
        { name: "new.example.com.", type: T.A, ttl: 300, rdata: new Uint8Array([192, 0, 2, 9]) },
      ],
    });
    t.equal((await call(app, "GET", O)).body.result.soa_serial, 101);

    const peer2 = (await call(app, "POST", `${A}/peers`, { name: "ns3" })).body.result;
    const put = await call(app, "PUT", O, { name: "example.com", peers: [peer.id, peer2.id] });
    t.equal(put.status, 200);
    t.same(put.body.result.peers, [peer.id, peer2.id]);
    t.equal(transfers.getOutgoing("example.com.").status, "Enabled", "PUT leaves the status");

    t.same((await call(app, "POST", `${O}/disable`)).body.result, "Disabled");
    t.same((await call(app, "GET", `${O}/status`)).body.result, "Disabled");

    const del = await call(app, "DELETE", O);
    t.same(del.body.result, { id: COM });
    t.equal(transfers.outgoing("example.com."), undefined);
    t.same(events, ["enable", "force_notify", "update", "disable", "delete"]);

    // An empty body with a JSON content type (curl --json '') is no body.
    const again = await app.inject({
      method: "POST",
      url: `/client/v4${O}`,
      headers: { "content-type": "application/json" },
    });
    t.equal(again.statusCode, 200, "POST without a body links no peers");
    t.same(again.json().result.peers, []);
    const enableJson = await app.inject({
      method: "POST",
      url: `/client/v4${O}/enable`,
      headers: { "content-type": "application/json" },
      payload: "",
    });
    t.equal(enableJson.statusCode, 200);
    t.equal(enableJson.json().result, "Enabled");
  },
);

t.test("outgoing errors", async (t) => {
  const { app } = lab(t);
  const k1 = (
    await call(app, "POST", `${A}/tsigs`, { name: "k1.", algo: "hmac-sha256", secret: SECRET })
  ).body.result;
  const k2 = (
    await call(app, "POST", `${A}/tsigs`, { name: "k2.", algo: "hmac-sha256", secret: SECRET })
  ).body.result;
  const p1 = (await call(app, "POST", `${A}/peers`, { name: "a", tsig_id: k1.id })).body.result;
  const p2 = (await call(app, "POST", `${A}/peers`, { name: "b", tsig_id: k2.id })).body.result;

  // No configuration yet: every call but POST is 404 7003.
  for (const [method, path] of [
    ["GET", O],
    ["PUT", O],
    ["DELETE", O],
    ["POST", `${O}/enable`],
    ["POST", `${O}/disable`],
    ["POST", `${O}/force_notify`],
    ["GET", `${O}/status`],
  ] as const) {
    const r = await call(app, method, path, method === "PUT" ? { peers: [] } : undefined);
    t.equal(r.status, 404, `${method} ${path}`);
    t.equal(r.body.errors[0].code, 7003, `${method} ${path}`);
  }

  // Unknown zone ids, well-formed or not.
  for (const id of [MISSING, "nope", COM.toUpperCase()]) {
    const r = await call(app, "GET", `/zones/${id}/secondary_dns/outgoing`);
    t.equal(r.status, 404, id);
    t.same(r.body.errors, [
      {
        code: 7003,
        message: `Could not route to /client/v4/zones/${id}/secondary_dns/outgoing, perhaps your object identifier is invalid?`,
      },
    ]);
    const e = await call(app, "POST", `/zones/${id}/secondary_dns/outgoing/enable`);
    t.equal(e.body.errors[0].code, 7003);
  }

  // Peers with different TSIGs cannot share a zone (cloudflare.md §2).
  const mismatch = await call(app, "POST", O, { name: "example.com.", peers: [p1.id, p2.id] });
  t.equal(mismatch.status, 400);
  t.equal(mismatch.body.errors[0].code, 89013);

  // At most 30 linked peers (cloudflare.md §4): the 31st is refused.
  const many: string[] = [];
  for (let i = 0; i < 31; i++) {
    many.push(
      (await call(app, "POST", `${A}/peers`, { name: `p${i}`, ip: `198.51.100.${i + 1}` })).body
        .result.id,
    );
  }
  const thirty = await call(app, "POST", O, { name: "example.com.", peers: many.slice(0, 30) });
  t.equal(thirty.status, 200, "30 peers are fine");
  const thirtyOne = await call(app, "PUT", O, { name: "example.com.", peers: many });
  t.equal(thirtyOne.status, 400);
  t.equal(thirtyOne.body.errors[0].code, 89012);
  t.equal((await call(app, "GET", O)).body.result.peers.length, 30, "unchanged");

  const cases: [string, "POST" | "PUT", unknown, number][] = [
    ["second create", "POST", { peers: [] }, 89017],
    ["unknown peer", "PUT", { peers: [MISSING] }, 89011],
    ["peer twice", "PUT", { peers: [many[0], many[0]] }, 89016],
    ["other zone's name", "PUT", { name: "example.org.", peers: [] }, 89001],
    ["status in PUT", "PUT", { peers: [], status: "Enabled" }, 89001],
    ["peers not a list", "PUT", { peers: "x" }, 89001],
    ["no body on PUT", "PUT", undefined, 89001],
  ];
  for (const [what, method, body, code] of cases) {
    const r = await call(app, method, O, body);
    t.equal(r.status, 400, what);
    t.equal(r.body.errors[0].code, code, what);
  }

  // A linked peer's TSIG cannot diverge later, and a linked peer cannot be deleted.
  const lone = (await call(app, "POST", `${A}/peers`, { name: "lone" })).body.result;
  const org = `/zones/${zoneId("example.org.")}/secondary_dns/outgoing`;
  t.equal((await call(app, "POST", org, { peers: [p1.id, lone.id] })).status, 400);
  t.equal((await call(app, "POST", org, { peers: [p1.id] })).status, 200);
  const change = await call(app, "PUT", `${A}/peers/${p1.id}`, { name: "a", tsig_id: k2.id });
  t.equal(change.status, 200, "one linked peer may change TSIG: all linked peers still agree");
  const linkLone = await call(app, "PUT", org, { peers: [p1.id, p2.id] });
  t.equal(linkLone.status, 200);
  const diverge = await call(app, "PUT", `${A}/peers/${p2.id}`, { name: "b", tsig_id: k1.id });
  t.equal(diverge.status, 400);
  t.equal(diverge.body.errors[0].code, 89013);
  const inUse = await call(app, "DELETE", `${A}/peers/${p2.id}`);
  t.equal(inUse.status, 400);
  t.equal(inUse.body.errors[0].code, 89015);
});
