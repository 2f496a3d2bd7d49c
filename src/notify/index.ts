/** The NOTIFY sender (RFC 1996): what the rest of dns-primary uses. */

export {
  type NotifyResponse,
  type NotifySoaRecord,
  notifyRequest,
  rcodeName,
  readNotifyResponse,
} from "./message.js";
export {
  DEFAULT_COALESCE_MS,
  DEFAULT_RETRY_SCHEDULE,
  Notifier,
  type NotifierOptions,
  type NotifyClock,
  type NotifyLogger,
  type NotifyOutcome,
  type NotifyOutcomeEvent,
  type NotifyPeerStatus,
  type NotifyReason,
  type NotifyRecord,
  type NotifySoa,
  type NotifyTarget,
  type NotifyZoneStatus,
  realClock,
} from "./notifier.js";
export {
  type NotifySource,
  type NotifyTransport,
  normalizeAddress,
  type Rinfo,
  UdpTransport,
} from "./udp.js";
