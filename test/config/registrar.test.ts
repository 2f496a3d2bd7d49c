/**
 * The config file's `registrar:` section: where the registrar listens, its parent and the
 * domains it starts with, served at start; each mistake named with the file, line, field and
 * the API's code, whether the file alone shows it (an address that is not one, an unknown
 * field, a glue name outside the parent) or only the zones do (a domain that is no Cloudflare
 * zone and names no nameservers of its own).
 */

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { startServer } from "../../src/primary.js";
import { query } from "../peers/client.js";
import { axfrRecords } from "../peers/secondary.js";
import { freePort, makeTempDir, removeTempDir } from "../peers/tools.js";

const ZONES = [{ origin: "example.test", records: [] }];

t.test("registrar: from the config file", async (t) => {
  const dir = makeTempDir("dns-primary-registrar-config-");
  t.teardown(() => removeTempDir(dir));
  const port = await freePort();
  const file = join(dir, "lab.yaml");
  writeFileSync(
    file,
    `registrar:
  listen: 127.0.0.1:${port}
  origin: test
  secondaries:
    - { ip: 127.0.0.1, port: ${await freePort()} }
  domains:
    example.test:
      glue: { ns1.secondary.test: [127.0.0.3] }
      ds: ["2371 13 2 1F987CC6583E92DF0890718C42F8EA88DB65BBF9D7C1C4ED34F0DF8325DE49BD"]
    other.test:
      nameservers: [ns.other.test]
      glue: { ns.other.test: [127.0.0.5] }
`,
  );
  const config = loadConfig(file);
  const server = await startServer({ dns: { port: 0 }, notify: false, config, zones: ZONES });
  t.teardown(() => server.close());
  t.equal(server.registrar?.dns.udp.port, port, "it listens where the file says");
  t.equal(server.registrar?.get().origin, "test.");
  const r = await query({ host: "127.0.0.1", port }, "x.other.test", "A");
  t.ok(
    r.parsed.additional.some((rr) => rr.name === "ns.other.test." && rr.rdataText === "127.0.0.5"),
    "the file's domain is delegated with its glue",
  );
  // Its secondary (this test, from 127.0.0.1) may transfer the parent zone.
  const copy = await axfrRecords({ host: "127.0.0.1", port }, "test.");
  t.ok(
    copy.some((rr) => rr.name === "other.test." && rr.type === 2),
    "the file's secondary transfers the parent zone",
  );
  t.same(server.registrar?.domain("example.test")?.ds_added, [
    "2371 13 2 1F987CC6583E92DF0890718C42F8EA88DB65BBF9D7C1C4ED34F0DF8325DE49BD",
  ]);
});

t.test("registrar: mistakes, with file and line", async (t) => {
  const dir = makeTempDir("dns-primary-registrar-config-");
  t.teardown(() => removeTempDir(dir));
  const bad = join(dir, "bad.yaml");
  writeFileSync(
    bad,
    `registrar:
  listen: nowhere
  origin: test
  secondaries: [{ ip: nowhere }]
  domains:
    example.test:
      glue: { ns1.secondary.test: [not-an-address] }
    a.test:
      colour: blue
    b.test:
      glue: { ns.outside.example: [127.0.0.9] }
`,
  );
  const err = t.throws(() => loadConfig(bad)) as ConfigError;
  t.ok(err instanceof ConfigError);
  t.match(err.lines(), [
    /bad\.yaml:2: registrar\.listen: not HOST:PORT/,
    /bad\.yaml:4: registrar\.secondaries\[0\]\.ip: not an IPv4 or IPv6 address/,
    /bad\.yaml:7: registrar\.domains\["example\.test"\]\.glue\["ns1\.secondary\.test"\]\[0\]: not an IPv4 or IPv6 address$/,
    /bad\.yaml:9: registrar\.domains\["a\.test"\]\.colour: unknown field/,
    /bad\.yaml:11: registrar\.domains\["b\.test"\]\.glue\["ns\.outside\.example"\]: .*is outside test\./,
  ]);
  t.equal(err.problems[2].code, 89005);

  // Only the zones can say this one: at start, still with the line.
  const late = join(dir, "late.yaml");
  writeFileSync(late, "registrar:\n  domains:\n    nobody.test: { glue: {} }\n");
  const config = loadConfig(late);
  const start = await startServer({ dns: { port: 0 }, notify: false, config, zones: ZONES }).catch(
    (e) => e,
  );
  t.ok(start instanceof ConfigError, "the start fails with a ConfigError");
  t.match((start as ConfigError).lines(), [
    /late\.yaml:3: registrar\.domains\["nobody\.test"\]\.nameservers: nobody\.test\. is not a Cloudflare zone here/,
  ]);
});
