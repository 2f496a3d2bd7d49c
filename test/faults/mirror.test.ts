import t from "tap";
import { Faults } from "../../src/faults/faults.js";

// A UDP worker's store follows the main process's through snapshot() and mirror().
const PEER = "0123456789abcdef0123456789abcdef";
const peers = { peer: (id: string) => (id === PEER ? { ip: "192.0.2.7" } : undefined) };
const ZONE = "example.";
const q = (address: string) => ({ point: "query" as const, address });

t.test(
  "a mirror holds the same faults, by the same ids, matching the same exchanges",
  async (t) => {
    const main = new Faults(peers);
    const a = main.add(ZONE, { kind: "latency", ms: 10, source: "198.51.100.1" });
    const b = main.add(ZONE, { kind: "udp-drop", probability: 1, peer_id: PEER, times: 3 });
    const worker = new Faults(peers);
    let changes = 0;
    worker.onChange(() => changes++);
    worker.mirror(JSON.parse(JSON.stringify(main.snapshot())));
    t.equal(changes, 1, "a mirror is a change");
    t.equal(worker.size, 2);
    t.same(
      worker.list(ZONE).map((f) => [f.id, f.kind, f.params, f.times]),
      [
        [a.id, "latency", { ms: 10 }, null],
        [b.id, "udp-drop", { probability: 1 }, 3],
      ],
    );
    t.same(
      worker.active(ZONE, q("198.51.100.1")).map((f) => f.id),
      [a.id],
      "source scope kept",
    );
    t.same(
      worker.active(ZONE, q("192.0.2.7")).map((f) => f.id),
      [b.id],
      "peer scope kept",
    );
    t.same(worker.active(ZONE, q("203.0.113.9")), [], "neither matches another address");
    t.equal(worker.fault(ZONE, b.id)?.kind, "udp-drop", "found by id");
    t.equal(worker.fault(ZONE, "nope"), undefined);
    t.equal(worker.fault("other.", b.id), undefined, "by id within its zone only");
  },
);

t.test("times: a mirror keeps the lower count, and a used-up fault stays used up", async (t) => {
  const main = new Faults(peers);
  const f = main.add(ZONE, { kind: "soa-rcode", times: 2 });
  const worker = new Faults(peers);
  worker.mirror(main.snapshot());
  // The worker applies it twice before the main process hears of it.
  for (let i = 0; i < 2; i++) {
    const [held] = worker.active(ZONE, q("192.0.2.1"));
    worker.applied(ZONE, held!, { point: "query", action: "x" });
  }
  t.same(worker.active(ZONE, q("192.0.2.1")), [], "used up in the worker");
  // A snapshot taken before the main process counted them must not bring it back.
  worker.mirror(main.snapshot());
  t.same(worker.active(ZONE, q("192.0.2.1")), [], "still used up after a stale snapshot");
  t.equal(worker.list(ZONE)[0].times, 0);
  // The main process counts the worker's reports; its snapshot then says the same.
  for (let i = 0; i < 2; i++)
    main.applied(ZONE, main.fault(ZONE, f.id)!, { point: "query", action: "x" });
  worker.mirror(main.snapshot());
  t.same(
    worker.list(ZONE).map((x) => [x.times, x.active, x.applied]),
    [[0, false, 2]],
    "the main process's counts",
  );
});

t.test("removing in the main process removes in the mirror; onChange on each change", async (t) => {
  const main = new Faults(peers);
  const seen: string[] = [];
  main.onChange(() => seen.push(String(main.size)));
  const f = main.add(ZONE, { kind: "latency", ms: 5 });
  main.add("other.", { kind: "latency", ms: 5 });
  const worker = new Faults(peers);
  worker.mirror(main.snapshot());
  t.equal(worker.size, 2);
  main.remove(ZONE, f.id);
  t.equal(main.clear("none."), 0);
  main.clear("other.");
  t.same(seen, ["1", "2", "1", "0"], "add, add, remove, clear (an empty clear is no change)");
  worker.mirror(main.snapshot());
  t.equal(worker.size, 0);
  t.same(worker.zones(), []);
});
