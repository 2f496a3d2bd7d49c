/**
 * IPv4 and IPv6 address text ⇄ octets, written as loops because A and AAAA are parsed once
 * per record when a large zone loads.
 */

/**
 * Dotted quad (RFC 1035 §3.4.1 A RDATA) into out[pos..pos+4]. Exactly four decimal parts
 * 0-255 without leading zeros (BIND's inet_pton rejects "1.2.3.04": it is ambiguous with the
 * octal form of inet_aton). Returns false if `text[start..end)` is not one.
 */
export function parseIPv4(
  text: string,
  start: number,
  end: number,
  out: Uint8Array,
  pos: number,
): boolean {
  let part = 0;
  let digits = 0;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || part === 3) return false;
      out[pos + part++] = value;
      digits = 0;
      value = 0;
    } else {
      const d = c - 0x30;
      if (d < 0 || d > 9) return false;
      if (digits > 0 && value === 0) return false; // leading zero
      value = value * 10 + d;
      if (value > 255) return false;
      digits++;
    }
  }
  if (digits === 0 || part !== 3) return false;
  out[pos + 3] = value;
  return true;
}

export function formatIPv4(b: Uint8Array, pos: number): string {
  return `${b[pos]}.${b[pos + 1]}.${b[pos + 2]}.${b[pos + 3]}`;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/**
 * Any RFC 4291 §2.2 text form into out[pos..pos+16]: eight groups of 1-4 hex digits, one
 * "::" standing for one or more zero groups, and an optional trailing dotted quad for the
 * last 32 bits. Returns false if it is not one.
 */
export function parseIPv6(text: string, out: Uint8Array, pos: number): boolean {
  const n = text.length;
  let i = 0;
  let tp = 0; // octets written
  let gap = -1; // octet index where "::" was seen
  if (n === 0) return false;
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return false; // a lone leading ":"
    i = 1;
  }
  let groupStart = i;
  let sawDigit = false;
  let digits = 0;
  let value = 0;
  while (i < n) {
    const c = text.charCodeAt(i++);
    const h = hexValue(c);
    if (h >= 0) {
      if (++digits > 4) return false;
      value = (value << 4) | h;
      sawDigit = true;
      continue;
    }
    if (c === 0x3a) {
      groupStart = i;
      if (!sawDigit) {
        if (gap >= 0) return false; // a second "::" (or ":::")
        gap = tp;
        continue;
      }
      if (i === n) return false; // a trailing single ":"
      if (tp + 2 > 16) return false;
      out[pos + tp++] = value >> 8;
      out[pos + tp++] = value & 0xff;
      sawDigit = false;
      digits = 0;
      value = 0;
      continue;
    }
    if (c === 0x2e && tp + 4 <= 16) {
      // Embedded IPv4 (RFC 4291 §2.2 form 3): the rest of the text is a dotted quad.
      if (!parseIPv4(text, groupStart, n, out, pos + tp)) return false;
      tp += 4;
      sawDigit = false;
      break;
    }
    return false;
  }
  if (sawDigit) {
    if (tp + 2 > 16) return false;
    out[pos + tp++] = value >> 8;
    out[pos + tp++] = value & 0xff;
  }
  if (gap >= 0) {
    if (tp === 16) return false; // "::" must stand for at least one group
    const tail = tp - gap;
    for (let k = 1; k <= tail; k++) out[pos + 16 - k] = out[pos + tp - k];
    for (let k = gap; k < 16 - tail; k++) out[pos + k] = 0;
    tp = 16;
  }
  return tp === 16;
}

/**
 * RFC 5952 §4 text: lowercase, no leading zeros, the longest run (the first on a tie) of two
 * or more zero groups as "::". Like BIND (and the BSD inet_ntop it derives from), the
 * IPv4-compatible ::a.b.c.d and IPv4-mapped ::ffff:a.b.c.d forms keep the dotted quad
 * (RFC 5952 §5), so what dig shows and what we print agree.
 */
export function formatIPv6(b: Uint8Array, pos: number): string {
  const words = new Array<number>(8);
  for (let k = 0; k < 8; k++) words[k] = (b[pos + 2 * k] << 8) | b[pos + 2 * k + 1];
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let k = 0; k < 8; k++) {
    if (words[k] === 0) {
      if (curBase < 0) {
        curBase = k;
        curLen = 1;
      } else curLen++;
    } else if (curBase >= 0) {
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase >= 0 && curLen > bestLen) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestLen < 2) bestBase = -1;
  let out = "";
  for (let k = 0; k < 8; k++) {
    if (bestBase >= 0 && k >= bestBase && k < bestBase + bestLen) {
      if (k === bestBase) out += ":";
      continue;
    }
    if (k > 0) out += ":";
    if (k === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      return out + formatIPv4(b, pos + 12);
    }
    out += words[k].toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ":";
  return out;
}
