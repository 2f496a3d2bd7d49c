/** The name of a new zone, checked as Cloudflare checks `POST /zones` (cloudflare.md §3). */

import { domainToASCII } from "node:url";
import { canonicalName, parseName } from "../wire/name.js";
import { ApiError, invalidField } from "./errors.js";

/**
 * A zone name as Cloudflare accepts it: a domain name of at least two labels (Unicode names
 * in their ASCII form), with or without the trailing dot. Returns the canonical origin.
 */
export function zoneName(v: unknown): string {
  if (typeof v !== "string" || v.trim() === "")
    throw invalidField("name is required: the zone's domain name");
  // Only the final dot goes: "." and an escaped final dot are refused below as they were typed.
  const ascii = domainToASCII(v.endsWith(".") ? v.slice(0, -1) : v);
  let origin: string;
  try {
    origin = canonicalName(parseName(`${ascii}.`));
  } catch {
    throw new ApiError("INVALID_ZONE_NAME", `${v} is not a valid domain name`);
  }
  if (ascii === "" || origin.split(".").length < 3 || !/^[a-z0-9._-]+$/i.test(ascii)) {
    throw new ApiError(
      "INVALID_ZONE_NAME",
      `${v} is not a valid zone name (a domain such as example.com)`,
    );
  }
  return origin;
}
