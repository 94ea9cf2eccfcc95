import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assign, exactlyOneOwner, GroupCoordinator } from "../../message-queue/groups.js";
import { runCompeting } from "../../message-queue/scenarios/competing-consumers.js";
import { runGroup } from "../../message-queue/scenarios/consumer-groups.js";
import { exactlyOnceHolds, runPipeline } from "../../message-queue/scenarios/exactly-once.js";
import { QueueBroker } from "../../message-queue/traditional.js";
import { readCommitted, TransactionCoordinator } from "../../message-queue/transactions.js";

describe("assignors, as Kafka documents them", () => {
  it("range: contiguous runs, the first members one more (RangeAssignor's example: 3 partitions, 2 consumers)", () => {
    expect(Object.fromEntries(assign("range", ["C1", "C0"], 3))).toEqual({ C0: [0, 1], C1: [2] });
    expect(Object.fromEntries(assign("range", ["a", "b", "c"], 8))).toEqual({
      a: [0, 1, 2],
      b: [3, 4, 5],
      c: [6, 7],
    });
  });

  it("round-robin: partitions dealt in turn (RoundRobinAssignor's example)", () => {
    expect(Object.fromEntries(assign("roundrobin", ["C1", "C0"], 3))).toEqual({
      C0: [0, 2],
      C1: [1],
    });
  });

  it("after every join and leave, each partition has exactly one owner among live members", () => {
    const event = fc.record({
      join: fc.boolean(),
      member: fc.constantFrom("a", "b", "c", "d", "e"),
    });
    fc.assert(
      fc.property(
        fc.constantFrom("range" as const, "roundrobin" as const),
        fc.integer({ min: 1, max: 12 }),
        fc.array(event, { maxLength: 30 }),
        (assignor, partitions, events) => {
          const group = new GroupCoordinator(partitions, assignor);
          for (const e of events) {
            if (e.join) group.join(e.member);
            else group.leave(e.member);
            const last = group.history.at(-1);
            if (last !== undefined)
              expect(exactlyOneOwner(last.assignment, last.members, partitions)).toBe(true);
          }
        },
      ),
    );
  });

  it("the ownership check rejects a partition with two owners, or none (broken variant)", () => {
    expect(
      exactlyOneOwner(
        new Map([
          ["a", [0, 1]],
          ["b", [1]],
        ]),
        ["a", "b"],
        2,
      ),
    ).toBe(false);
    expect(exactlyOneOwner(new Map([["a", [0]]]), ["a"], 2)).toBe(false);
    expect(exactlyOneOwner(new Map([["gone", [0]]]), ["a"], 1)).toBe(false);
  });

  it("fences commits by member id and generation, as the classic group protocol does (not by partition)", () => {
    const group = new GroupCoordinator(2, "range");
    group.join("a");
    const old = group.generation;
    group.join("b");
    expect(group.commit("a", old, 0, 5)).toBe("ILLEGAL_GENERATION");
    expect(group.commit("a", group.generation, 0, 5)).toBe("ok");
    // Kafka's coordinator does not know the assignment's partitions: the generation is the fence.
    expect(group.commit("a", group.generation, 1, 5)).toBe("ok");
    group.leave("b");
    expect(group.commit("b", group.generation, 1, 6)).toBe("UNKNOWN_MEMBER_ID");
    expect(group.commit("b", old, 1, 6)).toBe("UNKNOWN_MEMBER_ID");
    expect(group.committed.get(1)).toBe(5);
  });
});

describe("commit order, over seeds with a consumer crashing mid-batch", () => {
  it("process-then-commit never loses a message (at-least-once); commit-then-process is caught losing one", () => {
    let atMostOnceLost = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const options = {
        seed,
        partitions: 1 + (seed % 8),
        consumers: 2 + (seed % 3),
        messages: 40,
        assignor: seed % 2 === 0 ? ("range" as const) : ("roundrobin" as const),
      };
      const atLeastOnce = runGroup({ ...options, commit: "after" });
      expect(atLeastOnce.lost, `seed ${seed}`).toEqual([]);
      expect(atLeastOnce.ownershipHeld).toBe(true);
      atMostOnceLost += runGroup({ ...options, commit: "before" }).lost.length;
    }
    expect(atMostOnceLost).toBeGreaterThan(0);
  });
});

describe("the traditional broker", () => {
  // A good message is delivered at most twice (once more after the one crash), so with two or more
  // deliveries allowed it is never dead-lettered.
  it("never exceeds the prefetch limit, processes every good message at least once and only the crash's one twice, and dead-letters the poison", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 8, max: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 1, max: 1_000 }),
        (consumers, messages, prefetch, maxDeliveries, seed) => {
          const run = runCompeting({ consumers, messages, prefetch, maxDeliveries, seed });
          expect(run.maxHeld).toBeLessThanOrEqual(prefetch);
          const processed = [...run.processedBy.values()].flat();
          const good = Array.from({ length: messages }, (_, i) => `m${i + 1}`).filter(
            (m) => m !== run.poison,
          );
          expect([...new Set(processed)].sort()).toEqual(good.sort());
          // At-least-once: the message processed and never acknowledged is processed again.
          const twice = processed.filter((m, i) => processed.indexOf(m) !== i);
          expect(twice).toEqual(run.processedNotAcked === undefined ? [] : [run.processedNotAcked]);
          expect(run.broker.deadLetters).toEqual([run.poison]);
          expect(run.broker.deliveriesOf(run.poison)).toBeLessThanOrEqual(maxDeliveries);
        },
      ),
    );
  });

  it("the seed picks who crashes and when", () => {
    const options = { consumers: 3, messages: 12, prefetch: 2, maxDeliveries: 3 };
    const crashes = new Set(
      Array.from({ length: 10 }, (_, i) => {
        const run = runCompeting({ ...options, seed: i + 1 });
        return `${run.crashed} at ${run.crashStep}`;
      }),
    );
    expect(crashes.size).toBeGreaterThan(2);
  });
});

describe("the traditional broker, message by message", () => {
  it("redelivers what a lost consumer held at the front of the queue, in delivery order, and a nack at the very front", () => {
    const broker = new QueueBroker(3, 5);
    for (let i = 1; i <= 40; i++) broker.publish(`m${i}`);
    broker.dispatch(["a"]);
    expect(broker.heldBy("a")).toBe(3);
    expect(broker.oldestHeldBy("a")).toBe("m1");
    broker.ack("a", "m1");
    expect(broker.consumerLost("a")).toEqual(["m2", "m3"]);
    expect(broker.readyCount).toBe(39);
    broker.dispatch(["b"]);
    expect(broker.oldestHeldBy("b")).toBe("m2");
    expect(broker.nack("b", "m2")).toBe("requeued");
    broker.ack("b", "m3");
    broker.ack("b", "m4");
    const order: string[] = [];
    while (broker.readyCount + broker.inFlightCount > 0) {
      broker.dispatch(["b"]);
      const m = broker.oldestHeldBy("b") as string;
      order.push(m);
      broker.ack("b", m);
    }
    expect(order).toEqual(["m2", ...Array.from({ length: 36 }, (_, i) => `m${i + 5}`)]);
    expect(broker.acknowledged).toHaveLength(40);
    expect(broker.deliveriesOf("m2")).toBe(3);
  });
});

describe("exactly-once pipeline", () => {
  it("with transactions, a read_committed consumer sees the input transformed exactly once, over 300 crash points", () => {
    let plainFailures = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const options = { seed, messages: 5 + (seed % 30), batch: 1 + (seed % 6) };
      const txn = runPipeline({ ...options, transactional: true });
      expect(exactlyOnceHolds(txn), `seed ${seed}, crash ${JSON.stringify(txn.crash)}`).toBe(true);
      expect(txn.fencedZombie).toBe(true);
      if (!exactlyOnceHolds(runPipeline({ ...options, transactional: false }))) plainFailures++;
    }
    expect(plainFailures).toBeGreaterThan(0);
  });

  it("read_committed drops aborted data and waits for the commit marker", () => {
    const coordinator = new TransactionCoordinator();
    const first = coordinator.initTransactions("t");
    coordinator.send("t", first.epoch, "A");
    expect(readCommitted(coordinator.output)).toEqual([]);
    const second = coordinator.initTransactions("t"); // aborts "A"
    expect(second.aborted).toBe(true);
    coordinator.send("t", second.epoch, "B");
    coordinator.commit("t", second.epoch);
    expect(readCommitted(coordinator.output)).toEqual(["B"]);
    expect(() => coordinator.send("t", first.epoch, "zombie")).toThrow(/fenced/);
  });
});
