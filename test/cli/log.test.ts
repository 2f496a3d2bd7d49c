import t from "tap";
import { createLogger, isLogLevel, silentLogger } from "../../src/log.js";

// What the logs look like on stdout and stderr is checked on the real command in cli.test.ts.

t.test("levels", async (t) => {
  t.ok(isLogLevel("debug"));
  t.notOk(isLogLevel("verbose"));
  t.equal(createLogger({ level: "warn", pretty: false }).level, "warn");
  t.equal(createLogger({ pretty: false }).level, "info");
  t.equal(createLogger({ pretty: true, level: "debug" }).level, "debug");
  t.equal(silentLogger().level, "silent");
});
