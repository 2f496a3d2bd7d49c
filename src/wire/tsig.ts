/**
 * TSIG, RFC 8945: shared-secret signatures on DNS messages. A wire module: it knows nothing
 * of zones or sockets. The parts live in ./tsig/:
 * - algorithms.ts: algorithm names, MAC lengths, keys;
 * - record.ts: finding, reading and writing the TSIG RR; the MAC input of §4.3;
 * - server.ts: verifying requests, signing answers and answer streams, error answers;
 * - client.ts: signing requests (NOTIFY), verifying answers and answer streams.
 *
 * Times are seconds since the epoch. Messages are Buffers of the exact bytes sent or
 * received: a MAC is never computed over a re-encoding.
 */

export {
  canonicalAlgorithm,
  macLength,
  minMacLength,
  TSIG_ALGORITHMS,
  type TsigAlgorithm,
  type TsigKey,
  TsigKeyError,
  tsigKey,
} from "./tsig/algorithms.js";
export {
  type ResponseCheck,
  type ResponseFailure,
  ResponseVerifier,
  signRequest,
} from "./tsig/client.js";
export { readTsig, TSIG_ERROR, type TsigRR, tsigErrorName } from "./tsig/record.js";
export {
  DEFAULT_FUDGE,
  errorResponseTsig,
  type FindKey,
  ResponseSigner,
  type SignerOptions,
  tsigOverhead,
  type Verified,
  type VerifyError,
  type VerifyPolicy,
  verifyRequest,
} from "./tsig/server.js";
