/**
 * dns-primary in a tap test: start a primary on a free port, add a record through the
 * record handle (the Cloudflare API's rules), and see it served.
 *
 *   npm install --save-dev dns-primary tap
 *   npx tap tap-example.test.mjs
 */
import { startPrimary } from "dns-primary";
import t from "tap";
import { addresses } from "./query.mjs";

t.test("a record added is served", async (t) => {
  const primary = await startPrimary({
    zones: [
      {
        origin: "example.test",
        records: [{ name: "www", type: "A", content: "192.0.2.1" }],
      },
    ],
  });
  t.teardown(() => primary.close());

  const record = primary.records("example.test").create({
    name: "api",
    type: "A",
    content: "192.0.2.7",
    ttl: 60,
  });
  t.equal(record.name, "api.example.test");

  t.same(await addresses(primary.dns.udp.port, "api.example.test"), ["192.0.2.7"]);
  t.same(await addresses(primary.dns.udp.port, "www.example.test"), ["192.0.2.1"]);
});

t.test("the API's rules and error codes apply", async (t) => {
  const primary = await startPrimary({
    zones: [
      { origin: "example.test", records: [{ name: "www", type: "A", content: "192.0.2.1" }] },
    ],
  });
  t.teardown(() => primary.close());
  // A CNAME where an A record is: Cloudflare's 81053.
  t.throws(
    () =>
      primary
        .records("example.test")
        .create({ name: "www", type: "CNAME", content: "example.org" }),
    { code: 81053 },
  );
});
