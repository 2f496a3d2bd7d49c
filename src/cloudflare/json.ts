/** Request bodies as the routes take them: a JSON object, or a 400 saying so. */

import { invalidField } from "./errors.js";

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The body as an object, or 89104 "the request body must be a JSON object". */
export function objectBody(v: unknown): Record<string, unknown> {
  if (!isObject(v)) throw invalidField("the request body must be a JSON object");
  return v;
}
