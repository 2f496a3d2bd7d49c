/**
 * LOC (RFC 1876). Presentation (§3):
 *
 *   d1 [m1 [s1]] {N|S} d2 [m2 [s2]] {E|W} alt["m"] [siz["m"] [hp["m"] [vp["m"]]]]
 *
 * Wire (§2): VERSION(0) SIZE HORIZ_PRE VERT_PRE LATITUDE LONGITUDE ALTITUDE, where the
 * angles are thousandths of an arc second offset by 2^31 (the equator / prime meridian),
 * the altitude is centimetres above a base 100 000 m below the WGS 84 spheroid, and the
 * sizes are "mantissa × 10^exponent centimetres" packed into one octet each.
 */
import { T } from "../types.js";
import type { Codec, Parser, Reader, Writer } from "./common.js";

const EQUATOR = 0x80000000;
const ALTITUDE_BASE = 10000000; // 100 000 m in cm
// §3 defaults: size 1m, horizontal precision 10 000m, vertical precision 10m.
const DEFAULT_SIZE = 0x12;
const DEFAULT_HP = 0x16;
const DEFAULT_VP = 0x13;

/**
 * "123", "123.4", "123.45", ".5", "1." → hundredths (or thousandths, `scale`), or -1.
 * Optional leading sign handled by the caller.
 */
function decimal(text: string, fractionDigits: number): number {
  const dot = text.indexOf(".");
  const whole = dot < 0 ? text : text.slice(0, dot);
  const frac = dot < 0 ? "" : text.slice(dot + 1);
  if (whole.length === 0 && frac.length === 0) return -1;
  if (frac.length > fractionDigits) return -1;
  if (!/^[0-9]*$/.test(whole) || !/^[0-9]*$/.test(frac)) return -1;
  return (
    Number(whole || "0") * 10 ** fractionDigits + Number(frac.padEnd(fractionDigits, "0") || "0")
  );
}

/** One coordinate: degrees [minutes [seconds]] hemisphere; returns thousandths of seconds. */
function coordinate(p: Parser, axis: "latitude" | "longitude"): number {
  const maxDeg = axis === "latitude" ? 90 : 180;
  const pos = axis === "latitude" ? "N" : "E";
  const neg = axis === "latitude" ? "S" : "W";
  const isHemisphere = (t: string) => {
    const u = t.toUpperCase();
    return u === pos || u === neg;
  };
  const parts: string[] = [];
  let t = p.next(`${axis} degrees`).text;
  while (!isHemisphere(t)) {
    if (parts.length === 3) p.fail(`${axis} "${parts.join(" ")} ${t}" lacks ${pos} or ${neg}`);
    parts.push(t);
    t = p.next(`${axis} hemisphere (${pos} or ${neg})`).text;
  }
  if (parts.length === 0) p.fail(`${axis} degrees are missing before "${t}"`);
  const deg = /^[0-9]+$/.test(parts[0]) ? Number(parts[0]) : -1;
  if (deg < 0 || deg > maxDeg)
    p.fail(`${axis} degrees "${parts[0]}" are not a whole number 0-${maxDeg}`);
  const min = parts.length > 1 ? (/^[0-9]+$/.test(parts[1]) ? Number(parts[1]) : -1) : 0;
  if (min < 0 || min > 59) p.fail(`${axis} minutes "${parts[1]}" are not a whole number 0-59`);
  const msec = parts.length > 2 ? decimal(parts[2], 3) : 0;
  if (msec < 0 || msec >= 60000) {
    p.fail(`${axis} seconds "${parts[2]}" are not a number 0-59.999 with at most 3 decimals`);
  }
  const value = (deg * 3600 + min * 60) * 1000 + msec;
  if (value > maxDeg * 3600000) p.fail(`${axis} is beyond ${maxDeg} degrees`);
  return t.toUpperCase() === pos ? EQUATOR + value : EQUATOR - value;
}

function stripMetres(t: string): string {
  return t.endsWith("m") || t.endsWith("M") ? t.slice(0, -1) : t;
}

/**
 * A size or precision in metres → the §2 octet. Like the RFC's reference code and BIND,
 * the value is truncated to one significant digit (15m → 10m); at most 90 000 000m.
 */
function precision(p: Parser, text: string, what: string): number {
  const cm = decimal(stripMetres(text), 2);
  if (cm < 0) p.fail(`${what} "${text}" is not a number of metres with at most 2 decimals`);
  if (cm > 9e9) p.fail(`${what} ${text} is out of range (0-90000000m)`);
  let exponent = 0;
  while (exponent < 9 && cm >= 10 ** (exponent + 1)) exponent++;
  return (Math.floor(cm / 10 ** exponent) << 4) | exponent;
}

function formatPrecision(v: number): string {
  const mantissa = v >> 4;
  const exponent = v & 0x0f;
  if (exponent >= 2) return `${mantissa * 10 ** (exponent - 2)}m`;
  const cm = mantissa * 10 ** exponent;
  return `0.${String(cm).padStart(2, "0")}m`;
}

function formatCoordinate(v: number, pos: string, neg: string): string {
  let value = v - EQUATOR;
  const hemisphere = value < 0 ? neg : pos;
  value = Math.abs(value);
  const msec = value % 60000;
  const min = Math.floor(value / 60000) % 60;
  const deg = Math.floor(value / 3600000);
  return `${deg} ${min} ${Math.floor(msec / 1000)}.${String(msec % 1000).padStart(3, "0")} ${hemisphere}`;
}

function checkWire(r: Reader): { lat: number; lon: number; alt: number; sizes: number[] } {
  if (r.left() < 1) r.fail("version is missing");
  const version = r.buf[r.pos];
  // §2: only version 0 is defined; other versions have an unknown layout.
  if (version !== 0) r.fail(`version ${version} is not 0`);
  if (r.left() !== 16) r.fail(`must be 16 octets, not ${r.left()}`);
  r.pos++;
  const sizes = [r.u8("size"), r.u8("horizontal precision"), r.u8("vertical precision")];
  for (const s of sizes) {
    if (s >> 4 > 9 || (s & 0x0f) > 9)
      r.fail(`size/precision octet 0x${s.toString(16)} has a digit above 9`);
  }
  const lat = r.u32("latitude");
  const lon = r.u32("longitude");
  const alt = r.u32("altitude");
  if (Math.abs(lat - EQUATOR) > 90 * 3600000) r.fail("latitude is beyond 90 degrees");
  if (Math.abs(lon - EQUATOR) > 180 * 3600000) r.fail("longitude is beyond 180 degrees");
  return { lat, lon, alt, sizes };
}

export const LOC: Codec = {
  fromText(p: Parser, w: Writer) {
    const lat = coordinate(p, "latitude");
    const lon = coordinate(p, "longitude");
    const altText = p.next("altitude").text;
    const negative = altText.startsWith("-");
    const cm = decimal(stripMetres(altText.replace(/^[-+]/, "")), 2);
    if (cm < 0) p.fail(`altitude "${altText}" is not a number of metres with at most 2 decimals`);
    const alt = ALTITUDE_BASE + (negative ? -cm : cm);
    if (alt < 0 || alt > 0xffffffff)
      p.fail(`altitude ${altText} is out of range (-100000.00m to 42849672.95m)`);
    const size = p.more() ? precision(p, p.next("size").text, "size") : DEFAULT_SIZE;
    const hp = p.more()
      ? precision(p, p.next("horizontal precision").text, "horizontal precision")
      : DEFAULT_HP;
    const vp = p.more()
      ? precision(p, p.next("vertical precision").text, "vertical precision")
      : DEFAULT_VP;
    p.done();
    w.u8(0);
    w.u8(size);
    w.u8(hp);
    w.u8(vp);
    w.u32(lat);
    w.u32(lon);
    w.u32(alt);
  },
  toText(r: Reader) {
    const { lat, lon, alt, sizes } = checkWire(r);
    const cm = alt - ALTITUDE_BASE;
    const sign = cm < 0 ? "-" : "";
    const a = Math.abs(cm);
    const altitude = `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, "0")}m`;
    return [
      formatCoordinate(lat, "N", "S"),
      formatCoordinate(lon, "E", "W"),
      altitude,
      ...sizes.map(formatPrecision),
    ].join(" ");
  },
  fromWire(r: Reader, w: Writer) {
    const start = r.pos;
    checkWire(r);
    w.bytes(r.buf, start, r.pos);
  },
};

export const LOCATION: Array<[number, Codec]> = [[T.LOC, LOC]];
