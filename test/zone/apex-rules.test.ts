// The apex rules (one SOA, at the apex; NS unless Cloudflare assigns them) give one clear
// `file:line: reason` whichever way a zone arrives: `check`, `serve`'s zones folder, the
// library's inline text, and a reload. A file with records and no SOA used to crash the
// settings seeding with a TypeError.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { check } from "../../src/cli/check.js";
import type { CliIO } from "../../src/cli/io.js";
import { startPrimary } from "../../src/library.js";
import { startServer as startCore } from "../../src/primary.js";
import { ZoneFileError } from "../../src/zone/errors.js";

const SOA = "@ 300 IN SOA ns.example. hostmaster.example. 1 7200 3600 1209600 300";

/** A broken file, its name, and the one error line every path must give for it. */
const broken: Array<{ what: string; file: string; text: string; error: string }> = [
  {
    what: "records but no SOA",
    file: "nosoa.test.zone",
    text: "$ORIGIN nosoa.test.\nwww 300 IN A 192.0.2.1\n",
    error: "nosoa.test.zone:2: nosoa.test.: no SOA record at the zone apex",
  },
  {
    what: "no records at all",
    file: "empty.test.zone",
    text: "; nothing yet\n",
    error: "empty.test.zone:0: empty.test.: no SOA record at the zone apex",
  },
  {
    what: "two SOA records",
    file: "two.test.zone",
    text: `$ORIGIN two.test.\n${SOA}\n@ 300 IN NS ns.example.\n${SOA.replace(" 1 ", " 2 ")}\n`,
    error: "two.test.zone:4: two.test.: more than one SOA record at the zone apex",
  },
  {
    what: "the SOA below the apex",
    file: "low.test.zone",
    text: `$ORIGIN low.test.\nwww 300 IN A 192.0.2.1\n${SOA.replace("@", "sub")}\n`,
    error: "low.test.zone:3: sub.low.test.: SOA record not at the top of zone low.test.",
  },
  {
    what: "no $ORIGIN: the zone is named after the file, and has no SOA",
    file: "plain",
    text: "www 300 IN A 192.0.2.1\n",
    error: "plain:1: plain.: no SOA record at the zone apex",
  },
  {
    what: "an apex CNAME beside a second SOA",
    file: "cname.test.zone",
    text: `$ORIGIN cname.test.\n${SOA}\n@ 300 IN CNAME target.example.\n${SOA.replace(" 1 ", " 9 ")}\n`,
    error: "cname.test.zone:4: cname.test.: more than one SOA record at the zone apex",
  },
];

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "dns-primary-apex-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function fakeIO(): CliIO & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    stdout: (s: string) => {
      io.out += s;
    },
    stderr: (s: string) => {
      io.err += s;
    },
    waitForStop: () => new Promise<string>(() => {}),
  };
  return io;
}

for (const c of broken) {
  t.test(`${c.what}: one clear error everywhere`, async (t) => {
    const dir = tempDir(t);
    const path = join(dir, c.file);
    writeFileSync(path, c.text);

    const io = fakeIO();
    t.equal(check([path], io), 1, "check exits 1");
    t.equal(io.err, `${join(dir, c.error)}\n`, "check: file:line: reason");
    t.notMatch(io.err, /TypeError|Cannot read/);

    if (c.file.endsWith(".zone")) {
      // serve: the zones folder. The start fails with the same line, nothing left listening.
      const err = await startCore({
        zonesDir: dir,
        dns: { port: 0 },
      }).then(
        (p) => p.close().then(() => undefined),
        (e: unknown) => e,
      );
      t.type(err, ZoneFileError, "serve: a ZoneFileError, not an internal error");
      t.equal((err as Error).message, join(dir, c.error));
    }

    // The library: the same text inline, named by its origin (the error names `zones[0]`).
    const origin = c.file.replace(/\.zone$/, "");
    const lib = await startPrimary({ zones: [{ text: c.text, origin }], dns: { port: 0 } }).then(
      (p) => p.close().then(() => undefined),
      (e: unknown) => e,
    );
    t.type(lib, ZoneFileError, "library: a ZoneFileError");
    t.equal((lib as Error).message, c.error.replace(c.file, "zones[0]"));
  });
}

t.test("a file without apex NS is served with assigned nameservers, and reloads", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "nons.test.zone");
  writeFileSync(path, `$ORIGIN nons.test.\n${SOA}\nwww 300 IN A 192.0.2.1\n`);

  // check accepts what serve serves: both load through Cloudflare's rules.
  const io = fakeIO();
  t.equal(check([path], io), 0, io.err);
  t.match(io.out, /nons\.test\. serial 1, 2 records \(A 1, SOA 1\)/);

  const p = await startCore({ zonesDir: dir, dns: { port: 0 } });
  t.teardown(() => p.close());
  t.same(
    p.zones.map((z) => [z.origin, z.serial]),
    [["nons.test.", 1]],
  );
  // A reload reads the file under the same apex rules as its first load (it used to fail
  // with "no NS records at the zone apex").
  writeFileSync(
    path,
    `$ORIGIN nons.test.\n${SOA}\nwww 300 IN A 192.0.2.1\nnew 300 IN A 192.0.2.7\n`,
  );
  const [r] = await p.reload();
  t.same([r.error, r.changed, r.serial], [undefined, true, 2], "the edit served as serial 2");
});

t.test("a reload that loses the SOA leaves the zone served as it was", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "keep.test.zone");
  writeFileSync(path, `$ORIGIN keep.test.\n${SOA}\n@ 300 IN NS ns.example.\n`);
  const p = await startCore({ zonesDir: dir, dns: { port: 0 } });
  t.teardown(() => p.close());
  writeFileSync(path, "$ORIGIN keep.test.\nwww 300 IN A 192.0.2.1\n");
  const [r] = await p.reload();
  t.equal(r.error, `${path}:2: keep.test.: no SOA record at the zone apex`);
  t.same([r.changed, r.serial], [false, 1], "still served at serial 1");
  t.equal(p.zoneSet.get("keep.test.")?.serial, 1);
});
