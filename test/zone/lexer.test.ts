import t, { type Test } from "tap";
import { ZoneFileError } from "../../src/zone/errors.js";
import { detach, Lexer } from "../../src/zone/lexer.js";

interface Entry {
  line: number;
  ws: boolean;
  fields: string[];
  comment?: string;
}

/** All entries of `text`; quoted fields are shown as "<text>". */
function lex(text: string): Entry[] {
  const lx = new Lexer(text, "t.zone");
  const out: Entry[] = [];
  while (lx.next()) {
    const fields: string[] = [];
    for (let i = 0; i < lx.count; i++) fields.push(lx.quoted[i] ? `"${lx.text(i)}"` : lx.text(i));
    const e: Entry = { line: lx.line, ws: lx.initialWs, fields };
    const c = lx.comment();
    if (c !== undefined) e.comment = c;
    out.push(e);
  }
  return out;
}

function lexError(t: Test, text: string, line: number, reason: RegExp | string): void {
  try {
    lex(text);
    t.fail(`expected an error for ${JSON.stringify(text)}`);
  } catch (err) {
    t.type(err, ZoneFileError);
    const e = err as ZoneFileError;
    t.equal(e.line, line, `line of ${JSON.stringify(text)}`);
    t.equal(e.file, "t.zone");
    if (typeof reason === "string") t.equal(e.reason, reason);
    else t.match(e.reason, reason);
    t.equal(e.message, `t.zone:${e.line}: ${e.reason}`);
  }
}

t.test("fields, blank lines, comments and initial whitespace", async (t) => {
  t.same(lex("www IN A 10.0.0.1\n\n  ; only a comment\n\tA 10.0.0.2 ; second\n"), [
    { line: 1, ws: false, fields: ["www", "IN", "A", "10.0.0.1"] },
    { line: 4, ws: true, fields: ["A", "10.0.0.2"], comment: "second" },
  ]);
  t.same(lex(""), []);
  t.same(lex("\n\n   \n"), []);
  t.same(lex("; just a comment"), []);
});

t.test("CRLF, tabs, a last line without newline and a byte order mark", async (t) => {
  t.same(lex("\ufeffa\tIN\tA\t1.2.3.4\r\nb  A 1.2.3.5\r\n\tTXT x"), [
    { line: 1, ws: false, fields: ["a", "IN", "A", "1.2.3.4"] },
    { line: 2, ws: false, fields: ["b", "A", "1.2.3.5"] },
    { line: 3, ws: true, fields: ["TXT", "x"] },
  ]);
  t.same(lex("a A 1.2.3.4 ; c\r\n"), [
    { line: 1, ws: false, fields: ["a", "A", "1.2.3.4"], comment: "c" },
  ]);
});

t.test("parentheses join lines and may nest", async (t) => {
  const soa = [
    "@ IN SOA ns hostmaster (",
    "    2024010101 ; serial",
    "    3h ; refresh",
    "    (1h) 1w",
    "    300 ) ; minimum",
    "next A 1.2.3.4",
  ].join("\n");
  t.same(lex(soa), [
    {
      line: 1,
      ws: false,
      fields: ["@", "IN", "SOA", "ns", "hostmaster", "2024010101", "3h", "1h", "1w", "300"],
      comment: "minimum",
    },
    { line: 6, ws: false, fields: ["next", "A", "1.2.3.4"] },
  ]);
  // A group that opens before any field still belongs to the entry on the next line.
  t.same(lex("(\nx A 1.2.3.4 )\n"), [{ line: 2, ws: false, fields: ["x", "A", "1.2.3.4"] }]);
  // Parentheses delimit fields like spaces do.
  t.same(lex("a TXT(b)c\n"), [{ line: 1, ws: false, fields: ["a", "TXT", "b", "c"] }]);
});

t.test("quoted fields keep their escapes; quotes delimit fields", async (t) => {
  t.same(lex('t TXT "a;b (c)" "say \\"hi\\"" "" \\"x\n'), [
    { line: 1, ws: false, fields: ["t", "TXT", '"a;b (c)"', '"say \\"hi\\""', '""', '\\"x'] },
  ]);
  // BIND: a quote inside an unquoted field starts a new, quoted field.
  t.same(lex('t TXT a"b"c\n'), [{ line: 1, ws: false, fields: ["t", "TXT", "a", '"b"', "c"] }]);
  // A quoted owner is still an owner.
  t.same(lex('"q" A 1.2.3.4'), [{ line: 1, ws: false, fields: ['"q"', "A", "1.2.3.4"] }]);
});

t.test("escapes in unquoted fields are kept as written", async (t) => {
  t.same(lex("a\\.b\\032c A 1.2.3.4\nx\\;y\\ z\\(w\\) TXT q\n"), [
    { line: 1, ws: false, fields: ["a\\.b\\032c", "A", "1.2.3.4"] },
    { line: 2, ws: false, fields: ["x\\;y\\ z\\(w\\)", "TXT", "q"] },
  ]);
  // An escaped newline stays in the field and still counts as a line.
  t.same(lex("a TXT x\\\ny\nb A 1.2.3.4"), [
    { line: 1, ws: false, fields: ["a", "TXT", "x\\\ny"] },
    { line: 3, ws: false, fields: ["b", "A", "1.2.3.4"] },
  ]);
  const lx = new Lexer('a "b\\"c"', "t.zone");
  t.ok(lx.next());
  t.same(lx.tokens(0), [
    { text: "a", quoted: false },
    { text: 'b\\"c', quoted: true },
  ]);
});

t.test("comments: only the one that ends the entry is kept", async (t) => {
  t.same(lex("a A 1.2.3.4 ;   trailing words  \n"), [
    { line: 1, ws: false, fields: ["a", "A", "1.2.3.4"], comment: "trailing words" },
  ]);
  t.same(lex("a A 1.2.3.4 ;\n"), [{ line: 1, ws: false, fields: ["a", "A", "1.2.3.4"] }]);
  t.same(lex("a TXT ( x ; inside\n y )\n"), [
    { line: 1, ws: false, fields: ["a", "TXT", "x", "y"] },
  ]);
  // A comment-only line before a record is not that record's comment.
  t.same(lex("; header\na A 1.2.3.4\n"), [{ line: 2, ws: false, fields: ["a", "A", "1.2.3.4"] }]);
});

t.test("helpers", async (t) => {
  const lx = new Lexer('In "" aBc', "t.zone");
  t.ok(lx.next());
  t.ok(lx.is(0, "IN"));
  t.notOk(lx.is(0, "INX"));
  t.notOk(lx.is(1, ""), "quoted fields never match a keyword");
  t.equal(lx.firstCode(1), -1);
  t.equal(lx.firstCode(2), 0x61);
  t.equal(lx.length(2), 3);
  t.same(lx.token(1), { text: "", quoted: true });
  t.notOk(lx.next());
  t.notOk(lx.next(), "stays at the end");
  // Lines can be numbered from elsewhere ($GENERATE rdata).
  const g = new Lexer("x", "g.zone", 42);
  t.ok(g.next());
  t.equal(g.line, 42);
  const long = "a".repeat(40);
  t.equal(detach(long.slice(1)), "a".repeat(39));
  t.equal(detach("short"), "short");
});

t.test("errors carry file and line", async (t) => {
  lexError(t, 'a TXT "open\nb A 1.2.3.4\n', 1, "missing closing quote");
  lexError(t, 'a A 1.2.3.4\nb TXT "open', 2, "missing closing quote");
  lexError(t, "a A 1.2.3.4\nb TXT x )\n", 2, 'unbalanced parenthesis: ")" without "("');
  lexError(
    t,
    "a A 1.2.3.4\n\n\n\n\n\n\n\n@ SOA ns h (\n 1 2 3 4 5\nc A 1.2.3.4\n",
    11,
    "unbalanced parenthesis opened at line 9",
  );
  lexError(t, "@ SOA ns h ((1 2 3 4 5)", 1, "unbalanced parenthesis opened at line 1");
});
