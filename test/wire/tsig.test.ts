import { readFileSync } from "node:fs";
import t from "tap";
import { FormatError } from "../../src/wire/message.js";
import { nameToWire } from "../../src/wire/name.js";
import { computeMac, encodeTsig, variables } from "../../src/wire/tsig/record.js";
import {
  canonicalAlgorithm,
  errorResponseTsig,
  macLength,
  minMacLength,
  ResponseSigner,
  ResponseVerifier,
  readTsig,
  signRequest,
  TSIG_ALGORITHMS,
  TSIG_ERROR,
  type TsigAlgorithm,
  type TsigKey,
  TsigKeyError,
  type TsigRR,
  tsigErrorName,
  tsigKey,
  tsigOverhead,
  type Verified,
  verifyRequest,
} from "../../src/wire/tsig.js";

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/tsig/${name}`, import.meta.url), "utf8"));

const hex = (s: string) => Buffer.from(s, "hex");

/** A query: header with `id` and `flags`, one question. */
function query(name: string, type: number, id = 0x1234, flags = 0): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([header, nameToWire(name), tail]);
}

/** `msg` with `rr` appended to the section counted at `countAt` (6, 8 or 10). */
function withRecord(msg: Buffer, rr: Buffer, countAt = 10): Buffer {
  const out = Buffer.concat([msg, rr]);
  out.writeUInt16BE(out.readUInt16BE(countAt) + 1, countAt);
  return out;
}

const OPT = hex("0000290200000000000000");

function key(algorithm: TsigAlgorithm = "hmac-sha256.", name = "k1.example."): TsigKey {
  return tsigKey(name, algorithm, Buffer.from(`secret for ${algorithm}`).toString("base64"));
}

const finder =
  (...keys: TsigKey[]) =>
  (name: string, alg: string) =>
    keys.find((k) => k.name === name && k.algorithm === alg);

function mustRead(msg: Buffer): TsigRR {
  const tsig = readTsig(msg);
  if (!tsig) throw new Error("no TSIG");
  return tsig;
}

function failed(v: Verified): string {
  return v.ok ? "ok" : v.error;
}

const NOW = 1_700_000_000;

t.test("algorithm names and keys", async (t) => {
  t.equal(canonicalAlgorithm("HMAC-SHA256"), "hmac-sha256.");
  t.equal(canonicalAlgorithm("hmac-sha512."), "hmac-sha512.");
  t.equal(canonicalAlgorithm("hmac-md5"), "hmac-md5.sig-alg.reg.int.");
  t.equal(canonicalAlgorithm("HMAC-MD5.SIG-ALG.REG.INT"), "hmac-md5.sig-alg.reg.int.");
  t.equal(canonicalAlgorithm("hmac-sha256-128"), undefined);
  t.equal(canonicalAlgorithm("gss-tsig"), undefined);
  t.same(
    TSIG_ALGORITHMS.map((a) => [macLength(a), minMacLength(a)]),
    [
      [16, 10],
      [20, 10],
      [28, 14],
      [32, 16],
      [48, 24],
      [64, 32],
    ],
    "full MAC length and §5.2.2.1's minimum: max(10, half)",
  );
  const k = tsigKey("Transfer.Example", "HMAC-SHA1", "c2VjcmV0");
  t.same(k, { name: "transfer.example.", algorithm: "hmac-sha1.", secret: Buffer.from("secret") });
  t.throws(() => tsigKey("k.", "hmac-sha3", "c2VjcmV0"), TsigKeyError);
  t.throws(() => tsigKey("k.", "hmac-sha1", "not base64!"), /not base64/);
  t.throws(() => tsigKey("k.", "hmac-sha1", ""), /not base64/);
  t.throws(() => tsigKey("a..b", "hmac-sha1", "c2VjcmV0"), /key name/);
  t.equal(tsigErrorName(18), "BADTIME");
  t.equal(tsigErrorName(99), "ERROR99");
});

t.test("known answers from miekg/dns tsig_test.go", async (t) => {
  const f = fixture("miekg-dns.json");
  const s = f.signedRequest;
  const k = tsigKey(s.key.name, s.key.algorithm, s.key.secret);
  const build = (time: number) =>
    Buffer.concat([hex(s.before), hex(time.toString(16).padStart(12, "0")), hex(s.after)]);
  const msg = build(s.timeSigned);
  const tsig = mustRead(msg);
  t.match(tsig, {
    keyName: "testkey.",
    algorithm: "hmac-sha256.",
    timeSigned: s.timeSigned,
    fudge: 300,
    originalId: 0xc600,
    error: 0,
    offset: 47,
  });
  t.equal(tsig.mac.toString("hex"), s.after.slice(8, 8 + 64));
  t.equal(failed(verifyRequest(msg, tsig, finder(k), s.timeSigned)), "ok");
  // "the signature is valid but 'time signed' is too far from the current time"
  t.equal(failed(verifyRequest(msg, tsig, finder(k), s.timeSigned + 301)), "BADTIME");
  t.equal(failed(verifyRequest(msg, tsig, finder(k), s.timeSigned - 301)), "BADTIME");
  t.equal(failed(verifyRequest(msg, tsig, finder(k), s.timeSigned + 300)), "ok", "fudge inclusive");
  // "the signature is invalid and 'time signed' is too far": the MAC is checked first.
  const late = build(s.timeSigned + 301);
  t.equal(failed(verifyRequest(late, mustRead(late), finder(k), s.timeSigned)), "BADSIG");
  // "tweak the algorithm name in the wire data": an unknown algorithm is BADKEY here.
  const bogus = Buffer.from(msg);
  bogus.write("bogus", 67, "latin1");
  t.equal(mustRead(bogus).algorithm, "bogussha256.");
  t.equal(failed(verifyRequest(bogus, mustRead(bogus), finder(k), s.timeSigned)), "BADKEY");
  // A forwarder may change the ID: the original ID is restored before the MAC (§4.3.2).
  const forwarded = Buffer.from(msg);
  forwarded.writeUInt16BE(42, 0);
  t.equal(failed(verifyRequest(forwarded, mustRead(forwarded), finder(k), s.timeSigned)), "ok");

  // TestTsigGenerate: the request with original ID 42, error BADTIME, fudge 300.
  const g = f.generate;
  const gk = tsigKey(g.key.name, g.key.algorithm, g.key.secret);
  const unsigned = query("example.com.", 6, g.originalId, 0x2800);
  for (const c of g.cases) {
    const vars = variables({
      keyName: gk.name,
      algorithm: gk.algorithm,
      timeSigned: g.timeSigned,
      fudge: g.fudge,
      error: g.error,
      otherData: hex(c.otherData),
    });
    const prior = c.requestMac ? hex(c.requestMac) : null;
    t.equal(computeMac(gk, prior, [unsigned], vars).toString("hex"), c.mac, c.desc);
    if (prior) {
      // The same through ResponseSigner: request MAC first, then message and variables.
      const request = { ...tsig, mac: prior };
      const signer = new ResponseSigner(gk, request, () => g.timeSigned);
      const out = signer.signWith(unsigned, g.error, g.timeSigned, hex(c.otherData));
      t.equal(mustRead(out).mac.toString("hex"), c.mac, `${c.desc}, by ResponseSigner`);
    }
  }
  // TestTSIGHMAC224And384 through signRequest.
  const o = f.otherAlgorithms;
  for (const c of o.cases) {
    const ok = tsigKey("testkey.", c.algorithm, c.secret);
    const { message, mac } = signRequest(
      query("example.com.", 6, o.originalId, 0x2800),
      ok,
      o.timeSigned,
    );
    t.equal(mac.toString("hex"), c.mac, c.algorithm);
    t.equal(failed(verifyRequest(message, mustRead(message), finder(ok), o.timeSigned)), "ok");
  }
});

t.test("queries captured from dig and kdig verify, for every algorithm", async (t) => {
  const f = fixture("tool-queries.json");
  const algorithms = new Set<string>();
  for (const q of f.queries) {
    const what = `${q.tool}/${q.transport} ${q.algorithm}`;
    const k = tsigKey(q.keyName, q.algorithm, q.secret);
    const msg = hex(q.query);
    const tsig = mustRead(msg);
    t.equal(tsig.timeSigned, q.timeSigned);
    t.equal(failed(verifyRequest(msg, tsig, finder(k), q.timeSigned)), "ok", what);
    t.equal(failed(verifyRequest(msg, tsig, finder(k), q.timeSigned + 301)), "BADTIME", what);
    const flipped = Buffer.from(msg);
    flipped[13] ^= 0x20; // a letter of the question name changes case
    t.equal(failed(verifyRequest(flipped, mustRead(flipped), finder(k), q.timeSigned)), "BADSIG");
    algorithms.add(q.algorithm);
  }
  t.same([...algorithms].sort(), [...TSIG_ALGORITHMS].sort(), "every algorithm recorded");
});

/** One peer's entry in peer-answers.json; byte strings in hex. */
interface PeerAnswers {
  key: { name: string; algorithm: string; secret: string };
  soa: { request: string; requestMac: string; answer: string };
  axfr: { request: string; requestMac: string; answers: string[] };
  badtime: { requestTime: number; requestMac: string; answer: string };
}

t.test("answers signed by BIND and Knot verify with ResponseVerifier", async (t) => {
  const f = fixture("peer-answers.json");
  for (const [peer, r] of Object.entries(f.answers as Record<string, PeerAnswers>)) {
    const k = tsigKey(r.key.name, r.key.algorithm, r.key.secret);
    const at = (m: Buffer) => () => mustRead(m).timeSigned;
    const soa = hex(r.soa.answer);
    const v = new ResponseVerifier(k, hex(r.soa.requestMac), at(soa));
    t.match(v.verify(soa), { ok: true, signed: true }, `${peer} SOA answer`);
    t.match(v.finish(), { ok: true });
    t.match(
      new ResponseVerifier(k, hex(r.axfr.requestMac), at(soa)).verify(soa),
      { ok: false, error: "BADSIG" },
      `${peer}: another request's MAC does not verify it`,
    );
    const answers = r.axfr.answers.map(hex);
    const xv = new ResponseVerifier(k, hex(r.axfr.requestMac), at(answers[0]));
    answers.forEach((m, i) => {
      t.match(xv.verify(m), { ok: true, signed: true }, `${peer} AXFR message ${i + 1}`);
    });
    t.match(xv.finish(), { ok: true });
    // §5.2.3 as BIND and Knot do it: signed, the client's time echoed, theirs in Other Data.
    const badtime = hex(r.badtime.answer);
    const tsig = mustRead(badtime);
    t.equal(tsig.timeSigned, r.badtime.requestTime);
    t.equal(tsig.otherData.length, 6);
    const bv = new ResponseVerifier(k, hex(r.badtime.requestMac), () => 0).verify(badtime);
    t.match(bv, { ok: false, error: "SERVER", serverError: "BADTIME", signed: true }, peer);
    t.equal(bv.ok || bv.serverTime, tsig.otherData.readUIntBE(0, 6));
    t.ok(Math.abs((bv.ok ? 0 : (bv.serverTime ?? 0)) - 3600 - r.badtime.requestTime) < 60);
    const nv = new ResponseVerifier(k, hex(r.soa.requestMac), () => 0).verify(badtime);
    t.match(nv, { ok: false, error: "BADSIG" }, `${peer} BADTIME covers its request's MAC`);
  }
});

t.test("signRequest → verifyRequest, every algorithm", async (t) => {
  for (const alg of TSIG_ALGORITHMS) {
    const k = key(alg);
    const q = withRecord(query("example.", 252), OPT);
    const { message, mac } = signRequest(q, k, NOW);
    t.equal(mac.length, macLength(alg));
    t.equal(message.readUInt16BE(10), 2, "ARCOUNT counts OPT and TSIG");
    t.same(message.subarray(12, q.length), q.subarray(12), "the message itself is untouched");
    const tsig = mustRead(message);
    t.match(tsig, { keyName: k.name, algorithm: alg, timeSigned: NOW, fudge: 300, error: 0 });
    const v = verifyRequest(message, tsig, finder(k), NOW + 10);
    t.ok(v.ok, alg);
    t.equal(v.ok && v.key, k);
  }
});

t.test("key names: case-insensitive, and compressed on the wire", async (t) => {
  const k = key("hmac-sha256.", "k1.example.");
  // Sent as "K1.Example." by a client: the MAC is over the lowercase name (§4.3.3).
  const q0 = query("example.", 6);
  const message = signRequest(q0, k, NOW).message;
  message.write("K", q0.length + 1, "latin1");
  message.write("E", q0.length + 4, "latin1");
  const tsig = mustRead(message);
  t.equal(tsig.keyName, "K1.Example.");
  t.equal(failed(verifyRequest(message, tsig, finder(k), NOW)), "ok");

  // A key name compressed against the question: the owner of the TSIG RR is a pointer.
  const q = query("k1.example.", 6);
  const signed = signRequest(q, k, NOW).message;
  const owner = nameToWire(k.name);
  const compressed = Buffer.concat([
    signed.subarray(0, q.length),
    hex("c00c"),
    signed.subarray(q.length + owner.length),
  ]);
  const ct = mustRead(compressed);
  t.equal(ct.keyName, "k1.example.");
  t.equal(failed(verifyRequest(compressed, ct, finder(k), NOW)), "ok");
});

t.test("server errors: BADKEY, BADSIG, BADTIME and their answers", async (t) => {
  const k = key();
  const signed = signRequest(query("example.", 6), k, NOW);
  const tsig = mustRead(signed.message);
  const answer = query("example.", 6, 0x1234, 0x8009); // QR, NOTAUTH

  // §5.2.1: unknown key, unknown algorithm, or the key under another algorithm.
  const unknown = verifyRequest(signed.message, tsig, () => undefined, NOW);
  t.same(
    [unknown.ok, !unknown.ok && unknown.error, unknown.ok || unknown.key],
    [false, "BADKEY", undefined],
  );
  const sha1 = { ...k, algorithm: "hmac-sha1." as const };
  t.equal(failed(verifyRequest(signed.message, tsig, () => sha1, NOW)), "BADKEY");

  // §5.2.2: wrong secret.
  const wrong = { ...k, secret: Buffer.from("another secret") };
  const badsig = verifyRequest(signed.message, tsig, finder(wrong), NOW);
  t.equal(failed(badsig), "BADSIG");

  // §5.3.2: BADKEY and BADSIG answers are unsigned: MAC Size 0.
  for (const v of [unknown, badsig]) {
    if (v.ok) continue;
    const out = errorResponseTsig(answer, v, NOW + 5);
    t.equal(out.readUInt16BE(10), 1);
    const rr = mustRead(out);
    t.match(rr, { keyName: k.name, algorithm: k.algorithm, timeSigned: NOW + 5, fudge: 300 });
    t.equal(rr.mac.length, 0, `${v.error}: empty MAC`);
    t.equal(rr.error, TSIG_ERROR[v.error]);
    t.equal(rr.originalId, 0x1234);
    const client = new ResponseVerifier(k, signed.mac, () => NOW).verify(out);
    t.match(client, { ok: false, error: "SERVER", serverError: v.error, signed: false });
  }

  // §5.2.3: BADTIME; the answer is signed, echoes the client's time and fudge, and carries
  // ours in 6 octets of Other Data.
  const late = NOW + 1000;
  const badtime = verifyRequest(signed.message, tsig, finder(k), late);
  t.equal(failed(badtime), "BADTIME");
  t.equal(badtime.ok || badtime.key, k, "the verified key comes with BADTIME");
  if (!badtime.ok) {
    const out = errorResponseTsig(answer, badtime, late);
    const rr = mustRead(out);
    t.match(rr, { error: 18, timeSigned: NOW, fudge: 300 });
    t.equal(rr.mac.length, 32);
    t.equal(rr.otherData.toString("hex"), late.toString(16).padStart(12, "0"));
    const client = new ResponseVerifier(k, signed.mac, () => NOW).verify(out);
    t.match(client, { ok: false, error: "SERVER", serverError: "BADTIME", signed: true });
    t.equal(!client.ok && client.serverTime, late);
    // A client with another request MAC cannot verify it.
    const other = new ResponseVerifier(k, Buffer.alloc(32), () => NOW).verify(out);
    t.match(other, { ok: false, error: "BADSIG" });
  }
});

t.test("truncated MACs (RFC 8945 §5.2.2.1, §5.2.4)", async (t) => {
  const k = key("hmac-sha256.");
  const q = query("example.", 6);
  /** A request whose MAC is cut to `n` octets (the MAC Size field says so). */
  function truncated(n: number, full = false): Buffer {
    const fields = {
      keyName: k.name,
      algorithm: k.algorithm,
      timeSigned: NOW,
      fudge: 300,
      error: 0,
      otherData: Buffer.alloc(0),
    };
    const mac = computeMac(k, null, [q], variables(fields));
    const cut = full ? Buffer.concat([mac, mac]).subarray(0, n) : mac.subarray(0, n);
    return withRecord(q, encodeTsig({ ...fields, mac: cut, originalId: 0x1234 }));
  }
  const verify = (msg: Buffer, minMacSize?: number) =>
    verifyRequest(msg, mustRead(msg), finder(k), NOW, { minMacSize });

  t.throws(() => verify(truncated(33, true)), FormatError, "longer than the hash: FORMERR");
  t.throws(() => verify(truncated(15)), FormatError, "below max(10, 16): FORMERR");
  t.throws(() => verify(truncated(0)), FormatError, "an empty MAC in a request: FORMERR");
  t.equal(failed(verify(truncated(16))), "BADTRUNC", "permitted, but not by default policy");
  t.equal(failed(verify(truncated(16), 20)), "BADTRUNC");
  t.equal(failed(verify(truncated(20), 20)), "ok");
  t.equal(failed(verify(truncated(32), 64)), "ok", "the full MAC always passes the policy");
  const v = verify(truncated(16), 0);
  t.equal(failed(v), "ok", "policy 0: §5.2.2.1's minimum");
  // A wrong truncated MAC is BADSIG, not BADTRUNC: the MAC is checked first.
  const bad = truncated(16);
  bad[bad.length - 7] ^= 1;
  t.equal(failed(verify(bad)), "BADSIG");
  // MD5 and SHA-1: the floor is 10 octets.
  const k1 = key("hmac-sha1.");
  const s1 = signRequest(q, k1, NOW).message;
  t.equal(failed(verifyRequest(s1, mustRead(s1), finder(k1), NOW)), "ok");

  if (v.ok) {
    // The answer to a truncated request is truncated alike and covers the truncated MAC.
    const signer = new ResponseSigner(k, v.tsig, () => NOW);
    const a = signer.sign(query("example.", 6, 0x1234, 0x8400));
    t.equal(mustRead(a).mac.length, 16);
    const client = new ResponseVerifier(k, v.tsig.mac, () => NOW);
    t.match(client.verify(a), { ok: true, signed: true });
    const full = new ResponseSigner(k, v.tsig, () => NOW, { fullMac: true });
    t.equal(mustRead(full.sign(query("example.", 6, 0x1234, 0x8400))).mac.length, 32);
  }
  const trunc = verify(truncated(16));
  if (!trunc.ok) {
    // §5.3.2: BADTRUNC is answered signed, with the full MAC.
    const out = errorResponseTsig(query("example.", 6, 0x1234, 0x8009), trunc, NOW);
    const rr = mustRead(out);
    t.match(rr, { error: 22, timeSigned: NOW });
    t.equal(rr.mac.length, 32);
    const client = new ResponseVerifier(k, trunc.tsig.mac, () => NOW).verify(out);
    t.match(client, { ok: false, error: "SERVER", serverError: "BADTRUNC", signed: true });
  }
  t.throws(
    () =>
      errorResponseTsig(
        q,
        { ok: false, error: "BADTIME", tsig: mustRead(truncated(32)), detail: "" },
        NOW,
      ),
    TypeError,
    "BADTIME without the key cannot be signed",
  );
});

t.test("malformed or misplaced TSIG records: FORMERR", async (t) => {
  const k = key();
  const q = query("example.", 6);
  const { message } = signRequest(q, k, NOW);
  const rr = message.subarray(q.length);
  t.equal(readTsig(q), null, "no TSIG");
  t.equal(readTsig(withRecord(q, OPT)), null, "no TSIG, an OPT");
  t.throws(() => readTsig(withRecord(message, OPT)), /not the last record/, "TSIG before OPT");
  t.throws(() => readTsig(withRecord(message, rr)), /not the last record/, "two TSIGs");
  t.throws(() => readTsig(withRecord(q, rr, 6)), /not the last record/, "TSIG in the answer");
  t.throws(() => readTsig(withRecord(q, rr, 8)), /not the last record/, "TSIG in authority");
  t.throws(() => readTsig(Buffer.concat([message, hex("00")])), FormatError, "trailing byte");
  t.throws(() => readTsig(message.subarray(0, message.length - 1)), FormatError, "cut short");
  t.throws(() => readTsig(message.subarray(0, 11)), FormatError, "no header");

  const owner = nameToWire(k.name).length;
  const at = q.length + owner; // type, class, TTL, RDLENGTH
  const rdata = at + 10;
  const patch = (off: number, bytes: number[]) => {
    const m = Buffer.from(message);
    Buffer.from(bytes).copy(m, off);
    return m;
  };
  t.throws(() => readTsig(patch(at + 2, [0, 1])), /class is not ANY/);
  t.throws(() => readTsig(patch(at + 4, [0, 0, 0, 1])), /TTL is not 0/);
  // RDATA: Other Len one too many or too few, a MAC Size past the end, a compressed algorithm.
  const otherLen = message.length - 2;
  t.throws(() => readTsig(patch(otherLen, [0, 1])), /Other Len/);
  const shortened = patch(at + 8, [0, message.readUInt16BE(at + 8) - 1]);
  t.throws(() => readTsig(shortened.subarray(0, shortened.length - 1)), /Other Len|RDATA/);
  const algEnd = rdata + nameToWire(k.algorithm).length;
  t.throws(() => readTsig(patch(algEnd + 8, [0xff, 0xff])), /MAC size runs past/);
  t.throws(() => readTsig(patch(rdata, [0xc0, 12])), /compressed/);
  // An RDATA of 3 octets.
  const tiny = Buffer.concat([q, nameToWire(k.name), hex("00fa00ff0000000000030b6869")]);
  tiny.writeUInt16BE(1, 10);
  t.throws(() => readTsig(tiny), /algorithm name runs past/);
  const noMac = Buffer.concat([q, nameToWire(k.name), hex("00fa00ff000000000003"), hex("010100")]);
  noMac.writeUInt16BE(1, 10);
  t.throws(() => readTsig(noMac), /truncated before the MAC/);
  // A bad name elsewhere in the message is a FormatError too.
  const loop = Buffer.from(message);
  loop[12] = 0xc0;
  loop[13] = 12;
  t.throws(() => readTsig(loop), FormatError);
});

/** A stream of answers signed by ResponseSigner to the request `signed`. */
function stream(k: TsigKey, request: { message: Buffer }, count: number, clock = () => NOW) {
  const signer = new ResponseSigner(k, mustRead(request.message), clock);
  return Array.from({ length: count }, (_, i) =>
    signer.sign(query(`m${i}.example.`, 252, 0x1234, 0x8400)),
  );
}

t.test("ResponseSigner → ResponseVerifier over a multi-message stream", async (t) => {
  for (const alg of TSIG_ALGORITHMS) {
    const k = key(alg);
    const request = signRequest(query("example.", 252), k, NOW);
    let now = NOW;
    const messages = stream(k, request, 5, () => now++);
    const v = new ResponseVerifier(k, request.mac, () => NOW);
    for (const m of messages) t.match(v.verify(m), { ok: true, signed: true }, alg);
    t.match(v.finish(), { ok: true });
    const unsignedLength = query("m0.example.", 252).length;
    t.equal(messages[0].length - unsignedLength, tsigOverhead(k), "tsigOverhead is the growth");
  }
  const k = key();
  const request = signRequest(query("example.", 252), k, NOW);
  const messages = stream(k, request, 3);

  // Every message depends on the one before: reordering, dropping or tampering fails.
  const check = (list: Buffer[]) => {
    const v = new ResponseVerifier(k, request.mac, () => NOW);
    for (const m of list) {
      const r = v.verify(m);
      if (!r.ok) return r.error;
    }
    return v.finish().ok ? "ok" : "finish";
  };
  t.equal(check(messages), "ok");
  t.equal(check([messages[0], messages[2], messages[1]]), "BADSIG", "reordered");
  t.equal(check([messages[0], messages[2]]), "BADSIG", "one dropped");
  const tampered = Buffer.from(messages[1]);
  tampered[20] ^= 1;
  t.equal(check([messages[0], tampered, messages[2]]), "BADSIG", "tampered");
  t.equal(check([messages[1]]), "BADSIG", "a later message cannot stand first");
  // After a failure the verifier stays failed.
  const v = new ResponseVerifier(k, request.mac, () => NOW);
  t.equal(v.verify(tampered).ok, false);
  t.equal(v.verify(messages[0]).ok, false);
  t.equal(v.finish().ok, false);
  // A changed message ID (a forwarder) does not matter: the original ID is restored.
  const renumbered = messages.map((m) => {
    const c = Buffer.from(m);
    c.writeUInt16BE(0x9999, 0);
    return c;
  });
  t.equal(check(renumbered), "ok");
  // Signed with another key, or at another time.
  const other = stream(key("hmac-sha256.", "k2.example."), request, 1);
  t.equal(check(other), "BADKEY");
  const v2 = new ResponseVerifier(k, request.mac, () => NOW + 301);
  t.match(v2.verify(messages[0]), { ok: false, error: "BADTIME" });
  const v3 = new ResponseVerifier(k, request.mac, () => NOW);
  t.match(v3.finish(), { ok: false, error: "UNSIGNED" }, "nothing received");
});

t.test("ResponseVerifier: unsigned messages inside a stream (RFC 8945 §5.3.1)", async (t) => {
  const k = key();
  const request = signRequest(query("example.", 252), k, NOW);
  const plain = (i: number) => query(`u${i}.example.`, 252, 0x1234, 0x8400);
  /**
   * A stream where only the messages at `signedAt` carry a TSIG, each covering the prior MAC,
   * the unsigned messages since it and itself, then the timers.
   */
  function sparse(total: number, signedAt: Set<number>): Buffer[] {
    const out: Buffer[] = [];
    let prior = request.mac;
    let pending: Buffer[] = [];
    let first = true;
    for (let i = 0; i < total; i++) {
      const m = plain(i);
      if (!signedAt.has(i)) {
        out.push(m);
        pending.push(m);
        continue;
      }
      const fields = {
        keyName: k.name,
        algorithm: k.algorithm,
        timeSigned: NOW,
        fudge: 300,
        error: 0,
        otherData: Buffer.alloc(0),
      };
      const tail = first ? variables(fields) : hex(`${NOW.toString(16).padStart(12, "0")}012c`);
      const mac = computeMac(k, prior, [...pending, m], tail);
      out.push(withRecord(m, encodeTsig({ ...fields, mac, originalId: 0x1234 })));
      prior = mac;
      pending = [];
      first = false;
    }
    return out;
  }
  const run = (list: Buffer[]) => {
    const v = new ResponseVerifier(k, request.mac, () => NOW);
    const results = list.map((m) => v.verify(m));
    return { results, finish: v.finish() };
  };
  const ok = run(sparse(6, new Set([0, 3, 5])));
  t.same(
    ok.results.map((r) => r.ok && r.signed),
    [true, false, false, true, false, true],
  );
  t.ok(ok.finish.ok);
  t.match(run(sparse(3, new Set([1, 2]))).results[0], { ok: false, error: "UNSIGNED" }, "first");
  t.match(run(sparse(3, new Set([0, 1]))).finish, { ok: false, error: "UNSIGNED" }, "last");
  const hundred = run(sparse(102, new Set([0, 101])));
  t.ok(hundred.results[99].ok, "99 unsigned in a row are accepted");
  t.match(hundred.results[100], { ok: false, error: "UNSIGNED" }, "the 100th is not");
});

t.test("ResponseVerifier: malformed answers", async (t) => {
  const k = key();
  const request = signRequest(query("example.", 6), k, NOW);
  const [good] = stream(k, request, 1);
  const v = new ResponseVerifier(k, request.mac, () => NOW);
  t.match(v.verify(withRecord(good, OPT)), { ok: false, error: "FORMERR" });
  // A MAC Size §5.2.2.1 forbids.
  const tsig = mustRead(good);
  const short = Buffer.concat([
    good.subarray(0, tsig.offset),
    encodeTsig({ ...tsig, mac: tsig.mac.subarray(0, 8) }),
  ]);
  t.match(new ResponseVerifier(k, request.mac, () => NOW).verify(short), {
    ok: false,
    error: "FORMERR",
  });
});
