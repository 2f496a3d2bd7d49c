/**
 * RDATA codecs: master-file text ⇄ uncompressed wire RDATA for every supported type.
 * Contract (implemented in src/wire/rdata/ modules):
 *
 *   rdataFromText(type, tokens, origin): Buffer   -- throws RdataError with a readable reason
 *   rdataToText(type, rdata): string               -- canonical presentation
 *   rdataFromWire(type, msg, offset, length): Buffer -- expands compression pointers
 *   compressibleNames(type): boolean               -- RFC 3597 §4 types whose names may be compressed
 *   rdataTargets(type, rdata): string[]            -- names that get additional-section processing
 */
export {};
