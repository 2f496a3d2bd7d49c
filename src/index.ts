/**
 * dns-primary as a library: start a primary in a test suite or a tool, change its zones,
 * configure who may transfer them, stop it.
 *
 *   const primary = await startPrimary({ zonesDir: "zones", dns: { port: 0 }, transfers });
 *   primary.commit("example.com.", { add: [...] });   // next serial, journaled for IXFR
 *   await primary.close();
 */

export { ApiListenError, type ApiOptions, createApi, listenApi } from "./api/server.js";
export {
  type Account,
  ConfigError,
  type ConfigProblem,
  configFromObject,
  type LoadedConfig,
  loadConfig,
} from "./config/load.js";
export { createLogger, type Logger, type LogLevel, silentLogger } from "./log.js";
export {
  type Primary,
  type PrimaryOptions,
  type ReloadSummary,
  startPrimary,
  type ZoneSummary,
} from "./primary.js";
export {
  type Acl,
  type OutgoingConfig,
  type Peer,
  SettingsError,
  TransferSettings,
  type Tsig,
} from "./transfer/settings.js";
export { DnsListenError } from "./transport/errors.js";
export { nameToWire, parseName } from "./wire/name.js";
export { RdataError, rdataFromText, rdataToText } from "./wire/rdata.js";
export { T, typeFromText, typeToText } from "./wire/types.js";
export { ZoneFileError } from "./zone/errors.js";
export type { Changeset, JournalLimits, RR } from "./zone/journal.js";
export { ZonesDirError } from "./zone/load.js";
export type { Change, RecordInput, RecordMeta, RecordRef } from "./zone/zone.js";
export { ZoneError } from "./zone/zone.js";
