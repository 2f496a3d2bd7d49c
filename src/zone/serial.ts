/**
 * SOA serial numbers with RFC 1982 sequence-space arithmetic (SERIAL_BITS = 32). Serials are
 * never compared with a bare `<`: 4294967295 is *before* 1.
 */

const HALF = 2 ** 31;
const MOD = 2 ** 32;

/** RFC 1982 §3.2: i1 < i2 iff (i1 < i2 and i2 - i1 < 2^31) or (i1 > i2 and i1 - i2 > 2^31). */
export function serialLt(a: number, b: number): boolean {
  return (a < b && b - a < HALF) || (a > b && a - b > HALF);
}

export function serialGt(a: number, b: number): boolean {
  return serialLt(b, a);
}

/** a ≤ b in sequence space (equal counts). */
export function serialLe(a: number, b: number): boolean {
  return a === b || serialLt(a, b);
}

/**
 * The next serial after `s`, skipping 0 as RFC 2136 §7.11 recommends (some implementations
 * treat 0 as "unset").
 */
export function serialNext(s: number, step = 1): number {
  const n = (s + step) % MOD;
  return n === 0 ? 1 : n;
}

/**
 * RFC 1982 §3.1 serial addition: `s + n` modulo 2^32 (0 included, unlike serialNext). A
 * negative `n` goes back; with |n| < 2^31 the result is greater (or less) than `s`.
 */
export function serialAdd(s: number, n: number): number {
  return (((s + n) % MOD) + MOD) % MOD;
}
