/** Raised for RDATA that cannot be parsed, printed or accepted; `message` is the reason. */
export class RdataError extends Error {
  override name = "RdataError";
}
