/**
 * A deliberately independent, minimal DNS wire codec for the interop tests: it must not share
 * code with the server under test, or a bug in one would hide the same bug in the other.
 *
 * - `encodeQuery` builds a query by hand, because `dns-packet` cannot encode names with
 *   escaped dots (`a\.b`), arbitrary classes, or a query without the RD bit cleanly.
 * - `parseMessage` walks every section and keeps each record's raw rdata, plus a canonical
 *   presentation form in which names inside rdata are decompressed and lowercased
 *   (RFC 4034 §6.2), so records from two servers that compress differently compare equal.
 */

export const TYPE: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  RP: 17,
  AFSDB: 18,
  AAAA: 28,
  LOC: 29,
  SRV: 33,
  NAPTR: 35,
  KX: 36,
  CERT: 37,
  DNAME: 39,
  OPT: 41,
  DS: 43,
  SSHFP: 44,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  TLSA: 52,
  SMIMEA: 53,
  OPENPGPKEY: 61,
  SVCB: 64,
  HTTPS: 65,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  URI: 256,
  CAA: 257,
};
const TYPE_NAME = new Map(Object.entries(TYPE).map(([k, v]) => [v, k]));

export const CLASS: Record<string, number> = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 };
const CLASS_NAME = new Map(Object.entries(CLASS).map(([k, v]) => [v, k]));

export const RCODE_NAME = [
  "NOERROR",
  "FORMERR",
  "SERVFAIL",
  "NXDOMAIN",
  "NOTIMP",
  "REFUSED",
  "YXDOMAIN",
  "YXRRSET",
  "NXRRSET",
  "NOTAUTH",
  "NOTZONE",
];

export function typeNumber(text: string): number {
  const up = text.toUpperCase();
  if (TYPE[up] !== undefined) return TYPE[up];
  const m = /^TYPE(\d+)$/.exec(up);
  if (m) return Number(m[1]);
  throw new Error(`unknown RR type ${text}`);
}

export function typeText(n: number): string {
  return TYPE_NAME.get(n) ?? `TYPE${n}`;
}

export function classNumber(text: string): number {
  const up = text.toUpperCase();
  if (CLASS[up] !== undefined) return CLASS[up];
  const m = /^CLASS(\d+)$/.exec(up);
  if (m) return Number(m[1]);
  throw new Error(`unknown class ${text}`);
}

export function classText(n: number): string {
  return CLASS_NAME.get(n) ?? `CLASS${n}`;
}

export function rcodeText(n: number): string {
  return RCODE_NAME[n] ?? (n === 16 ? "BADVERS" : `RCODE${n}`);
}

/** Presentation text (with `\X`/`\DDD` escapes) to uncompressed wire form. */
export function nameToWire(text: string): Buffer {
  const out: number[] = [];
  if (text === "." || text === "") return Buffer.from([0]);
  let label: number[] = [];
  const flush = () => {
    if (label.length === 0 || label.length > 63) throw new Error(`bad label in ${text}`);
    out.push(label.length, ...label);
    label = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      const next = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(next)) {
        label.push(Number(next));
        i += 3;
      } else {
        label.push(text.charCodeAt(i + 1));
        i += 1;
      }
    } else if (c === 0x2e) {
      flush();
    } else {
      label.push(c);
    }
  }
  if (label.length > 0) flush();
  out.push(0);
  return Buffer.from(out);
}

function labelText(buf: Buffer, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b <= 0x20 || b >= 0x7f) s += `\\${String(b).padStart(3, "0")}`;
    else if ('.\\"();@$'.includes(String.fromCharCode(b))) s += `\\${String.fromCharCode(b)}`;
    else s += String.fromCharCode(b);
  }
  return s;
}

/** Read a possibly compressed name; returns presentation text and the offset after it. */
export function readName(buf: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let next = -1;
  let pos = offset;
  for (let hops = 0; hops < 128; hops++) {
    if (pos >= buf.length) throw new Error("name runs past the end of the message");
    const len = buf[pos];
    if ((len & 0xc0) === 0xc0) {
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1];
      continue;
    }
    if (len & 0xc0) throw new Error("reserved label type");
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { name: labels.length ? `${labels.join(".")}.` : ".", next };
    }
    labels.push(labelText(buf, pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  throw new Error("compression pointer loop");
}

export interface QueryOptions {
  id?: number;
  qclass?: number;
  /** RD bit; off by default: these are queries to an authoritative server. */
  rd?: boolean;
  /** EDNS UDP payload size, or null for no OPT record. */
  edns?: number | null;
  /** DNSSEC OK bit in the OPT TTL field. */
  dnssecOk?: boolean;
  /** Compact answers OK (RFC 9824 §4), the bit after DO. */
  compactOk?: boolean;
  /** EDNS version in the OPT TTL field (default 0). */
  ednsVersion?: number;
  opcode?: number;
}

export function encodeQuery(qname: string, qtype: number, opts: QueryOptions = {}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(opts.id ?? Math.floor(Math.random() * 0x10000), 0);
  const flags = ((opts.opcode ?? 0) << 11) | (opts.rd ? 0x0100 : 0);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  const edns = opts.edns === undefined ? 1232 : opts.edns;
  header.writeUInt16BE(edns === null ? 0 : 1, 10);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(qtype, 0);
  q.writeUInt16BE(opts.qclass ?? 1, 2);
  const parts = [header, nameToWire(qname), q];
  if (edns !== null) {
    const opt = Buffer.alloc(11);
    opt[0] = 0; // root owner
    opt.writeUInt16BE(TYPE.OPT, 1);
    opt.writeUInt16BE(edns, 3);
    opt.writeUInt32BE(
      (((opts.ednsVersion ?? 0) & 0xff) << 16) |
        (opts.dnssecOk ? 0x8000 : 0) |
        (opts.compactOk ? 0x4000 : 0),
      5,
    );
    opt.writeUInt16BE(0, 9);
    parts.push(opt);
  }
  return Buffer.concat(parts);
}

export interface ParsedRR {
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdata: Buffer;
  /** Canonical presentation of the rdata (names decompressed and lowercased). */
  rdataText: string;
}

export interface ParsedMessage {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** Full rcode, including the extended bits from the OPT record. */
  rcode: number;
  question: { name: string; type: number; class: number }[];
  /** The raw question section bytes (to check that qname case is echoed). */
  questionRaw: Buffer;
  answer: ParsedRR[];
  authority: ParsedRR[];
  /** Additional records without the OPT pseudo-record. */
  additional: ParsedRR[];
  opt: { udpSize: number; version: number; dnssecOk: boolean; options: Buffer } | null;
  size: number;
}

function charString(buf: Buffer, pos: number): { text: string; next: number } {
  const len = buf[pos];
  let s = "";
  for (let i = pos + 1; i < pos + 1 + len; i++) {
    const b = buf[i];
    if (b < 0x20 || b >= 0x7f) s += `\\${String(b).padStart(3, "0")}`;
    else if (b === 0x22 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else s += String.fromCharCode(b);
  }
  return { text: `"${s}"`, next: pos + 1 + len };
}

/** RFC 5952 text: lowercase, the longest run of two or more zero groups as "::". */
function ipv6Text(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(":");
  return `${hex.slice(0, bestAt).join(":")}::${hex.slice(bestAt + bestLen).join(":")}`;
}

/**
 * Canonical presentation of one record's rdata. `msg` is the whole message (for compression
 * pointers), `start`/`end` the rdata bounds. Unknown or unhandled types use the RFC 3597
 * generic form, which is exact for types that never contain compressed names.
 */
export function rdataToText(msg: Buffer, type: number, start: number, end: number): string {
  const lname = (pos: number) => {
    const r = readName(msg, pos);
    return { name: r.name.toLowerCase(), next: r.next };
  };
  const generic = () =>
    `\\# ${end - start}${end > start ? ` ${msg.subarray(start, end).toString("hex")}` : ""}`;
  try {
    switch (type) {
      case TYPE.A:
        return end - start === 4 ? [...msg.subarray(start, end)].join(".") : generic();
      case TYPE.AAAA:
        return end - start === 16 ? ipv6Text(msg.subarray(start, end)) : generic();
      case TYPE.NS:
      case 3:
      case 4:
      case TYPE.CNAME:
      case 7:
      case 8:
      case 9:
      case TYPE.PTR:
      case TYPE.DNAME:
        return lname(start).name;
      case TYPE.SOA: {
        const m = lname(start);
        const r = lname(m.next);
        const nums = [0, 4, 8, 12, 16].map((o) => msg.readUInt32BE(r.next + o));
        return `${m.name} ${r.name} ${nums.join(" ")}`;
      }
      case 14:
      case TYPE.RP: {
        const a = lname(start);
        return `${a.name} ${lname(a.next).name}`;
      }
      case TYPE.MX:
      case TYPE.AFSDB:
      case 21:
      case TYPE.KX:
        return `${msg.readUInt16BE(start)} ${lname(start + 2).name}`;
      case TYPE.SRV:
        return `${msg.readUInt16BE(start)} ${msg.readUInt16BE(start + 2)} ${msg.readUInt16BE(start + 4)} ${lname(start + 6).name}`;
      case TYPE.TXT:
      case TYPE.HINFO: {
        const parts: string[] = [];
        let pos = start;
        while (pos < end) {
          const c = charString(msg, pos);
          parts.push(c.text);
          pos = c.next;
        }
        return parts.join(" ");
      }
      case TYPE.NAPTR: {
        let pos = start + 4;
        const parts = [String(msg.readUInt16BE(start)), String(msg.readUInt16BE(start + 2))];
        for (let i = 0; i < 3; i++) {
          const c = charString(msg, pos);
          parts.push(c.text);
          pos = c.next;
        }
        parts.push(lname(pos).name);
        return parts.join(" ");
      }
      case TYPE.SVCB:
      case TYPE.HTTPS: {
        // The target is never compressed (RFC 9460 §2.2), the params are opaque here.
        const t = lname(start + 2);
        const params = msg.subarray(t.next, end).toString("hex");
        return `${msg.readUInt16BE(start)} ${t.name}${params ? ` ${params}` : ""}`;
      }
      default:
        return generic();
    }
  } catch (err) {
    return `${generic()} ; undecodable: ${(err as Error).message}`;
  }
}

export function parseMessage(buf: Buffer): ParsedMessage {
  if (buf.length < 12) throw new Error(`message of ${buf.length} bytes is shorter than a header`);
  const flags = buf.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  let pos = 12;
  const question: ParsedMessage["question"] = [];
  for (let i = 0; i < counts[0]; i++) {
    const n = readName(buf, pos);
    question.push({
      name: n.name,
      type: buf.readUInt16BE(n.next),
      class: buf.readUInt16BE(n.next + 2),
    });
    pos = n.next + 4;
  }
  const questionRaw = buf.subarray(12, pos);
  const sections: ParsedRR[][] = [[], [], []];
  let opt: ParsedMessage["opt"] = null;
  let rcode = flags & 0x0f;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]; i++) {
      const n = readName(buf, pos);
      const type = buf.readUInt16BE(n.next);
      const klass = buf.readUInt16BE(n.next + 2);
      const ttl = buf.readUInt32BE(n.next + 4);
      const rdlen = buf.readUInt16BE(n.next + 8);
      const start = n.next + 10;
      const end = start + rdlen;
      if (end > buf.length) throw new Error("rdata runs past the end of the message");
      pos = end;
      if (s === 2 && type === TYPE.OPT) {
        rcode |= (ttl >>> 24) << 4;
        opt = {
          udpSize: klass,
          version: (ttl >>> 16) & 0xff,
          dnssecOk: (ttl & 0x8000) !== 0,
          options: Buffer.from(buf.subarray(start, end)),
        };
        continue;
      }
      sections[s].push({
        name: n.name,
        type,
        class: klass,
        ttl,
        rdata: Buffer.from(buf.subarray(start, end)),
        rdataText: rdataToText(buf, type, start, end),
      });
    }
  }
  return {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0x0f,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode,
    question,
    questionRaw: Buffer.from(questionRaw),
    answer: sections[0],
    authority: sections[1],
    additional: sections[2],
    opt,
    size: buf.length,
  };
}

/** One line per record, owner lowercased: the unit the differential test compares. */
export function rrText(rr: ParsedRR): string {
  return `${rr.name.toLowerCase()} ${rr.ttl} ${classText(rr.class)} ${typeText(rr.type)} ${rr.rdataText}`;
}

export function flagsText(m: ParsedMessage): string {
  const f = [
    m.qr && "qr",
    m.aa && "aa",
    m.tc && "tc",
    m.rd && "rd",
    m.ra && "ra",
    m.ad && "ad",
    m.cd && "cd",
  ].filter(Boolean);
  return f.join(" ");
}

/** A dig-like rendering for failure messages. */
export function messageText(m: ParsedMessage): string {
  const lines = [
    `;; ${rcodeText(m.rcode)} flags: ${flagsText(m)}; size ${m.size}${
      m.opt ? `; EDNS udp=${m.opt.udpSize} v${m.opt.version}` : "; no EDNS"
    }`,
  ];
  for (const q of m.question)
    lines.push(`;; QUESTION ${q.name} ${classText(q.class)} ${typeText(q.type)}`);
  const sec = (title: string, rrs: ParsedRR[]) => {
    if (rrs.length === 0) return;
    lines.push(`;; ${title}`);
    for (const rr of rrs) lines.push(`   ${rrText(rr)}`);
  };
  sec("ANSWER", m.answer);
  sec("AUTHORITY", m.authority);
  sec("ADDITIONAL", m.additional);
  return lines.join("\n");
}
