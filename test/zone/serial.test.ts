import t from "tap";
import { serialAdd, serialGt, serialLe, serialLt, serialNext } from "../../src/zone/serial.js";

// RFC 1982 §3.2 with SERIAL_BITS = 32.
t.test("ordering across the wrap", async (t) => {
  t.ok(serialLt(1, 2));
  t.ok(serialLt(4294967295, 0), "2^32-1 is before 0");
  t.ok(serialLt(4294967295, 1));
  t.ok(serialLt(4294967000, 100));
  t.ok(serialGt(100, 4294967000));
  t.notOk(serialLt(5, 5));
  t.ok(serialLe(5, 5));
  t.ok(serialLt(0, 2 ** 31 - 1), "just under half the space: before");
  t.notOk(serialLt(0, 2 ** 31), "exactly half apart: undefined, so neither is before the other");
  t.notOk(serialGt(0, 2 ** 31));
  t.ok(serialLt(2 ** 31 + 1, 0), "more than half the space ahead counts as behind");
});

t.test("next serial skips 0 (RFC 2136 §7.11)", async (t) => {
  t.equal(serialNext(1), 2);
  t.equal(serialNext(4294967294), 4294967295);
  t.equal(serialNext(4294967295), 1);
  t.equal(serialNext(4294967290, 10), 4);
  t.ok(serialLt(4294967295, serialNext(4294967295)), "the next serial is always later");
});

t.test("serialAdd: RFC 1982 §3.1 addition both ways, wrapping at 2^32", async (t) => {
  t.equal(serialAdd(100, 5), 105);
  t.equal(serialAdd(100, -1000), 2 ** 32 - 900, "back past 0 wraps");
  t.equal(serialAdd(2 ** 32 - 1, 1), 0, "0 is a serial like any other");
  t.ok(serialLt(serialAdd(7, -(2 ** 31 - 1)), 7), "the largest step back is still less");
});
