/**
 * RR TYPE and CLASS numbers and their mnemonics (IANA "Resource Record (RR) TYPEs" and
 * "DNS CLASSes" registries), with the RFC 3597 §5 `TYPEnnn` / `CLASSnnn` generic forms.
 */

/** RR TYPE numbers. Meta-types (OPT, TSIG, IXFR, AXFR, ANY...) are here for the wire code. */
export const T = {
  A: 1,
  NS: 2,
  MD: 3,
  MF: 4,
  CNAME: 5,
  SOA: 6,
  MB: 7,
  MG: 8,
  MR: 9,
  NULL: 10,
  WKS: 11,
  PTR: 12,
  HINFO: 13,
  MINFO: 14,
  MX: 15,
  TXT: 16,
  RP: 17,
  AFSDB: 18,
  X25: 19,
  ISDN: 20,
  RT: 21,
  NSAP: 22,
  NSAP_PTR: 23,
  SIG: 24,
  KEY: 25,
  PX: 26,
  GPOS: 27,
  AAAA: 28,
  LOC: 29,
  NXT: 30,
  EID: 31,
  NIMLOC: 32,
  SRV: 33,
  ATMA: 34,
  NAPTR: 35,
  KX: 36,
  CERT: 37,
  A6: 38,
  DNAME: 39,
  SINK: 40,
  OPT: 41,
  APL: 42,
  DS: 43,
  SSHFP: 44,
  IPSECKEY: 45,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  DHCID: 49,
  NSEC3: 50,
  NSEC3PARAM: 51,
  TLSA: 52,
  SMIMEA: 53,
  HIP: 55,
  NINFO: 56,
  RKEY: 57,
  TALINK: 58,
  CDS: 59,
  CDNSKEY: 60,
  OPENPGPKEY: 61,
  CSYNC: 62,
  ZONEMD: 63,
  SVCB: 64,
  HTTPS: 65,
  SPF: 99,
  UINFO: 100,
  UID: 101,
  GID: 102,
  UNSPEC: 103,
  NID: 104,
  L32: 105,
  L64: 106,
  LP: 107,
  EUI48: 108,
  EUI64: 109,
  TKEY: 249,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  MAILB: 253,
  MAILA: 254,
  ANY: 255,
  URI: 256,
  CAA: 257,
  AVC: 258,
  DOA: 259,
  AMTRELAY: 260,
  RESINFO: 261,
  TA: 32768,
  DLV: 32769,
} as const;

export type TypeName = keyof typeof T;

/** Meta-types and QTYPEs (RFC 6895 §3.1): never valid as zone data. */
export function isMetaType(type: number): boolean {
  return type === T.OPT || (type >= 128 && type <= 255);
}

const TYPE_TO_TEXT = new Map<number, string>();
// Keys are looked up as written first, then uppercased, so both "MX" and "mx" hit directly
// without allocating: typeFromText runs once per record when a large zone loads.
const TEXT_TO_TYPE = new Map<string, number>();
for (const [key, value] of Object.entries(T)) {
  const mnemonic = key === "NSAP_PTR" ? "NSAP-PTR" : key;
  TYPE_TO_TEXT.set(value, mnemonic);
  TEXT_TO_TYPE.set(mnemonic, value);
  TEXT_TO_TYPE.set(mnemonic.toLowerCase(), value);
}

/** Parse the digits after a `TYPE`/`CLASS` prefix (RFC 3597 §5); undefined unless 0..65535. */
function genericNumber(s: string, prefixLength: number): number | undefined {
  const n = s.length - prefixLength;
  if (n < 1 || n > 5) return undefined;
  let v = 0;
  for (let i = prefixLength; i < s.length; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  return v <= 0xffff ? v : undefined;
}

function hasPrefixCI(s: string, prefix: string): boolean {
  return s.length > prefix.length && s.slice(0, prefix.length).toUpperCase() === prefix;
}

/** Mnemonic (case-insensitive) or RFC 3597 `TYPEnnn` → type number; undefined if neither. */
export function typeFromText(s: string): number | undefined {
  const direct = TEXT_TO_TYPE.get(s);
  if (direct !== undefined) return direct;
  const upper = TEXT_TO_TYPE.get(s.toUpperCase());
  if (upper !== undefined) return upper;
  return hasPrefixCI(s, "TYPE") ? genericNumber(s, 4) : undefined;
}

/** Mnemonic of a type, or `TYPEnnn` (RFC 3597 §5) when it has none. */
export function typeToText(type: number): string {
  return TYPE_TO_TEXT.get(type) ?? `TYPE${type}`;
}

export const CLASS_IN = 1;
export const CLASS_CH = 3;
export const CLASS_HS = 4;
/** RFC 2136 §2.4: used in UPDATE prerequisites and deletions. */
export const CLASS_NONE = 254;
export const CLASS_ANY = 255;

const CLASS_TO_TEXT = new Map<number, string>([
  [CLASS_IN, "IN"],
  [CLASS_CH, "CH"],
  [CLASS_HS, "HS"],
  [CLASS_NONE, "NONE"],
  [CLASS_ANY, "ANY"],
]);
const TEXT_TO_CLASS = new Map<string, number>([
  ["IN", CLASS_IN],
  ["CH", CLASS_CH],
  ["CHAOS", CLASS_CH],
  ["HS", CLASS_HS],
  ["HESIOD", CLASS_HS],
  ["NONE", CLASS_NONE],
  ["ANY", CLASS_ANY],
]);

/** IN, CH (CHAOS), HS (HESIOD), NONE, ANY or `CLASSnnn`, case-insensitive. */
export function classFromText(s: string): number | undefined {
  const known = TEXT_TO_CLASS.get(s) ?? TEXT_TO_CLASS.get(s.toUpperCase());
  if (known !== undefined) return known;
  return hasPrefixCI(s, "CLASS") ? genericNumber(s, 5) : undefined;
}

export function classToText(cls: number): string {
  return CLASS_TO_TEXT.get(cls) ?? `CLASS${cls}`;
}
