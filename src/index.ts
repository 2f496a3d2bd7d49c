/**
 * dns-primary as a library: start a primary in a test suite or a tool, change its zones with
 * the API's own rules, configure who may transfer them, await what secondaries do, stop it.
 *
 *   const primary = await startPrimary({
 *     zones: [{ origin: "example.com", records: [{ name: "www", type: "A", content: "192.0.2.1" }] }],
 *     api: { port: 0 },
 *   });
 *   primary.records("example.com").create({ name: "new", type: "A", content: "192.0.2.7" });
 *   await primary.waitFor("transfer", (e) => e.peerName === "bind" && e.serial >= n);
 *   await primary.close();
 *
 * The full reference is docs/library.md.
 */

export { ApiListenError, type ApiOptions, createApi, listenApi } from "./api/server.js";
export { API_ERRORS, ApiError, type ApiErrorName } from "./cloudflare/errors.js";
export type { RecordJson } from "./cloudflare/records/content.js";
export type { RecordResult } from "./cloudflare/records/operations.js";
export type {
  DomainInput,
  DomainJson,
  RegistrarJson,
} from "./cloudflare/registrar.js";
export type { AccountDnsSettings } from "./cloudflare/rules/account-settings.js";
export type { DnsSettings } from "./cloudflare/rules/dns-settings.js";
export type { ActivityEvent } from "./cloudflare/transfer/activity.js";
export {
  type Acl,
  type OutgoingConfig,
  type Peer,
  type SettingsChange,
  SettingsError,
  TransferSettings,
  type Tsig,
} from "./cloudflare/transfer/settings.js";
export {
  type Account,
  ConfigError,
  type ConfigProblem,
  configFromObject,
  type LoadedConfig,
  loadConfig,
} from "./config/load.js";
export type { FaultInfo, FaultSpec } from "./faults/faults.js";
export { FAULT_KINDS, type FaultKind, type FaultPoint } from "./faults/kinds.js";
export {
  type AnswerJson,
  type LabCheckOptions,
  type LabCheckReport,
  labCheck,
  type NameserverJson,
} from "./lab/check.js";
export { LabError } from "./lab/client.js";
export {
  type AccountSettingsHandle,
  type BatchInput,
  type BatchResult,
  type ChangeEvent,
  type CheckedEvent,
  type FaultEvent,
  type FaultHandle,
  type FaultsHandle,
  type NotifyEvent,
  type Primary,
  type PrimaryEventName,
  type PrimaryEvents,
  type PrimaryOptions,
  type RecordChange,
  type RecordFilter,
  type RecordsHandle,
  type RefusedEvent,
  type SettingsHandle,
  startPrimary,
  type TransferEvent,
  type WaitOptions,
  type ZoneInfo,
} from "./library.js";
export { createLogger, type Logger, type LogLevel, silentLogger } from "./log.js";
export type { RegistrarHandle, ReloadSummary, ZoneSummary } from "./primary.js";
export { StoreError } from "./store/framing.js";
export { DnsListenError } from "./transport/errors.js";
export { nameToWire, parseName } from "./wire/name.js";
export { RdataError, rdataFromText, rdataToText } from "./wire/rdata.js";
export { T, typeFromText, typeToText } from "./wire/types.js";
export { ZoneFileError } from "./zone/errors.js";
export type { Changeset, JournalLimits, RR } from "./zone/journal.js";
export { ZonesDirError } from "./zone/load.js";
export type { Change, RecordInput, RecordMeta, RecordRef } from "./zone/zone.js";
export { ZoneError } from "./zone/zone.js";
export type { RecordObject, ZoneSpec } from "./zone-specs.js";
