/**
 * dns-primary in a node:test test: start a primary, let a "secondary" (dig) transfer the zone,
 * add a record, and wait until the secondary has transferred the new serial.
 *
 *   npm install --save-dev dns-primary
 *   node --test node-test-example.mjs
 */

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { startPrimary } from "dns-primary";
import { addresses } from "./query.mjs";

const run = promisify(execFile);

/** @type {import("dns-primary").Primary} */
let primary;

before(async () => {
  primary = await startPrimary({
    zones: [
      {
        origin: "example.test",
        text: `$TTL 300
@    SOA ns hostmaster 1 3600 600 86400 60
@    NS  ns
ns   A   192.0.2.53
www  A   192.0.2.80
`,
      },
    ],
    // No NOTIFY in this example: the "secondary" is dig, which listens for none.
    notify: false,
  });
  // Who may transfer: a peer on this machine, as the API's peer and outgoing objects.
  const peer = primary.transfers.createPeer({ name: "local", ip: "127.0.0.1" });
  primary.transfers.createOutgoing("example.test.", { peers: [peer.id], status: "Enabled" });
});

after(() => primary.close());

test("a record added is served", async () => {
  primary.records("example.test").create({ name: "new", type: "A", content: "192.0.2.7" });
  assert.deepEqual(await addresses(primary.dns.udp.port, "new.example.test"), ["192.0.2.7"]);
});

test("a secondary transfers the new serial", async (t) => {
  const dig = await run("dig", ["-v"]).then(
    () => true,
    () => false,
  );
  if (!dig) return t.skip("dig is not installed");

  const serial = primary.serial("example.test");
  // Ask for the event first, then cause it.
  const transferred = primary.waitFor(
    "transfer",
    (e) => e.peerName === "local" && e.serial >= serial,
    { timeoutMs: 5000 },
  );
  const { stdout } = await run("dig", [
    "-p",
    String(primary.dns.tcp.port),
    "@127.0.0.1",
    "example.test",
    "AXFR",
  ]);
  const event = await transferred;
  assert.equal(event.type, "AXFR");
  assert.equal(event.serial, serial);
  assert.match(stdout, /new\.example\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.7/);
});
