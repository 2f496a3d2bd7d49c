/**
 * Where the API listens when not told: loopback, on wrangler's port (8787), so a script written
 * for `wrangler dev` finds it. A module of its own, importing nothing, so the command line's
 * help text can quote it without loading the API.
 */

export const DEFAULT_API_HOST = "127.0.0.1";
export const DEFAULT_API_PORT = 8787;
