import { describe, expect, it } from "vitest";
import { AssertionFailed, assert } from "../../shared/assert.js";
import { Network } from "../../shared/network.js";
import { renderJson } from "../../shared/render/json.js";
import { Simulation, SimulationLimitError } from "../../shared/simulation.js";
import { Trace } from "../../shared/trace.js";
import { Gossiper, Recorder, type TestMessage } from "./fixtures/nodes.js";

function gossipTrace(seed: number): string {
  const trace = new Trace();
  const sim = new Simulation({ seed, trace });
  const net = new Network<TestMessage>(sim, { loss: 0.1, duplicate: 0.1 });
  const ids = ["a", "b", "c", "d", "e"];
  const nodes = ids.map((id) =>
    net.add(
      new Gossiper(
        id,
        net,
        ids.filter((p) => p !== id),
      ),
    ),
  );
  for (const node of nodes) node.seed(2);
  sim.at(20, () =>
    net.partition([
      ["a", "b"],
      ["c", "d", "e"],
    ]),
  );
  sim.at(40, () => net.node("c").crash());
  sim.at(60, () => {
    net.heal();
    net.node("c").recover();
  });
  sim.run(100);
  return trace.events.map(renderJson).join("\n");
}

describe("Simulation", () => {
  it("runs events in time order, ties in the order they were scheduled", () => {
    const sim = new Simulation({ seed: 1 });
    const order: string[] = [];
    sim.schedule(5, () => order.push("t5-first"));
    sim.schedule(1, () => order.push("t1"));
    sim.schedule(5, () => order.push("t5-second"));
    sim.schedule(0, () => {
      order.push("t0");
      sim.schedule(5, () => order.push("t5-third (scheduled later)"));
    });
    sim.run();
    expect(order).toEqual(["t0", "t1", "t5-first", "t5-second", "t5-third (scheduled later)"]);
  });

  it("keeps a heap order over many random events", () => {
    const sim = new Simulation({ seed: 2 });
    const random = sim.random.fork("test");
    const seen: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const at = random.int(0, 1000);
      sim.schedule(at, () => seen.push(sim.now));
    }
    sim.run();
    expect(seen).toHaveLength(5000);
    expect(seen.every((t, i) => i === 0 || t >= (seen[i - 1] as number))).toBe(true);
  });

  it("skips cancelled events and stops at untilMs with time standing there", () => {
    const sim = new Simulation({ seed: 1 });
    const ran: number[] = [];
    const event = sim.schedule(3, () => ran.push(3));
    sim.schedule(4, () => ran.push(4));
    sim.schedule(50, () => ran.push(50));
    event.cancelled = true;
    sim.run(10);
    expect(ran).toEqual([4]);
    expect(sim.now).toBe(10);
  });

  it("fails loudly, with the seed, when the event limit is hit", () => {
    const sim = new Simulation({ seed: 42, maxEvents: 100 });
    const loop = () => sim.schedule(1, loop);
    loop();
    expect(() => sim.run()).toThrow(SimulationLimitError);
    expect(() => sim.run()).toThrow(/seed 42/);
  });

  it("adds the seed and time to a failed assertion", () => {
    const sim = new Simulation({ seed: 9 });
    sim.schedule(2, () => assert(false, "broken invariant"));
    expect(() => sim.run()).toThrow(AssertionFailed);
    const again = new Simulation({ seed: 9 });
    again.schedule(2, () => assert(false, "broken invariant"));
    expect(() => again.run()).toThrow(/broken invariant \(seed 9, at 2\.0 ms\)/);
  });
});

describe("Network and nodes", () => {
  it("gives the same NDJSON trace for the same seed, and a different one for another", () => {
    const first = gossipTrace(1);
    expect(first.length).toBeGreaterThan(1000);
    expect(gossipTrace(1)).toBe(first);
    expect(gossipTrace(2)).not.toBe(first);
  });

  it("drops messages across a partition and delivers again after heal", () => {
    const sim = new Simulation({ seed: 1 });
    const net = new Network<TestMessage>(sim);
    const a = net.add(new Recorder("a", net));
    const b = net.add(new Recorder("b", net));
    net.partition([["a"], ["b"]]);
    a.send("b", { type: "Ping", n: 1 });
    b.send("a", { type: "Ping", n: 2 });
    sim.run();
    expect(a.received).toHaveLength(0);
    expect(b.received).toHaveLength(0);
    expect(net.stats.dropped.partition).toBe(2);
    net.heal();
    a.send("b", { type: "Ping", n: 3 });
    sim.run();
    expect(b.received.map((r) => r.msg)).toEqual([{ type: "Ping", n: 3 }]);
  });

  it("cuts messages already in flight when a partition starts, and isolate cuts one node off", () => {
    const sim = new Simulation({ seed: 1 });
    const net = new Network<TestMessage>(sim, { latencyMsMin: 10, latencyMsMax: 10 });
    const a = net.add(new Recorder("a", net));
    const b = net.add(new Recorder("b", net));
    const c = net.add(new Recorder("c", net));
    a.send("b", { type: "Ping", n: 1 });
    sim.schedule(5, () => net.isolate("b"));
    sim.run(20);
    expect(b.received).toHaveLength(0);
    a.send("c", { type: "Ping", n: 2 });
    sim.run();
    expect(c.received).toHaveLength(1);
    expect(net.canReach("c", "b")).toBe(false);
  });

  it("on crash drops timers, in-flight deliveries and volatile state; recover keeps durable state", () => {
    const sim = new Simulation({ seed: 1 });
    const net = new Network<TestMessage>(sim, { latencyMsMin: 10, latencyMsMax: 10 });
    const a = net.add(new Recorder("a", net));
    const b = net.add(new Recorder("b", net));
    a.send("b", { type: "Ping", n: 1 });
    sim.run();
    expect(b.volatile.seen).toBe(1);
    expect(b.durable.log).toEqual([1]);

    b.setTimer("tick", 5);
    a.send("b", { type: "Ping", n: 2 }); // in flight when b crashes
    sim.schedule(2, () => b.crash());
    sim.schedule(15, () => b.recover()); // back before the message would have arrived? No: 10 ms < 15 ms
    sim.run();
    expect(b.timersFired).toEqual([]);
    expect(b.received.map((r) => (r.msg.type === "Ping" ? r.msg.n : -1))).toEqual([1]);
    expect(net.stats.dropped.crashed).toBe(1);
    expect(b.volatile.seen).toBe(0);
    expect(b.durable.log).toEqual([1]);

    // A message sent to b's earlier incarnation is lost even if b is back when it arrives.
    a.send("b", { type: "Ping", n: 3 });
    sim.schedule(1, () => {
      b.crash();
      b.recover();
    });
    sim.run();
    expect(b.durable.log).toEqual([1]);
    a.send("b", { type: "Ping", n: 4 });
    sim.run();
    expect(b.durable.log).toEqual([1, 4]);
  });

  it("meets the configured loss and duplication rates over many messages", () => {
    const sim = new Simulation({ seed: 3, trace: new Trace({ messages: false }) });
    const net = new Network<TestMessage>(sim, { loss: 0.2, duplicate: 0.1 });
    const a = net.add(new Recorder("a", net));
    const b = net.add(new Recorder("b", net));
    const n = 20_000;
    for (let i = 0; i < n; i++) a.send("b", { type: "Ping", n: i });
    sim.run();
    const within3Sigma = (observed: number, expected: number, p: number, trials: number) =>
      Math.abs(observed - expected) < 3 * Math.sqrt(trials * p * (1 - p));
    expect(within3Sigma(net.stats.dropped.loss, n * 0.2, 0.2, n)).toBe(true);
    const survivors = n - net.stats.dropped.loss;
    expect(within3Sigma(net.stats.duplicated, survivors * 0.1, 0.1, survivors)).toBe(true);
    expect(b.received).toHaveLength(survivors + net.stats.duplicated);
  });

  it("reorders messages through random latency", () => {
    const sim = new Simulation({ seed: 4 });
    const net = new Network<TestMessage>(sim, { latencyMsMin: 1, latencyMsMax: 20 });
    const a = net.add(new Recorder("a", net));
    const b = net.add(new Recorder("b", net));
    for (let i = 0; i < 50; i++) a.send("b", { type: "Ping", n: i });
    sim.run();
    const order = b.received.map((r) => (r.msg.type === "Ping" ? r.msg.n : -1));
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
  });

  it("never lets two nodes share a mutable message object", () => {
    const sim = new Simulation({ seed: 5 });
    const net = new Network<TestMessage>(sim, { duplicate: 1 });
    const a = net.add(new Recorder("a", net));
    const b = net.add(new Recorder("b", net));
    const message: TestMessage = { type: "Ping", n: 1, payload: { list: [1, 2] } };
    a.send("b", message);
    sim.run();
    expect(b.received).toHaveLength(2);
    for (const { msg } of b.received) {
      expect(Object.isFrozen(msg)).toBe(true);
      if (msg.type === "Ping") {
        expect(Object.isFrozen(msg.payload)).toBe(true);
        expect(Object.isFrozen(msg.payload?.list)).toBe(true);
        // The receiver cannot change what the sender (or the other copy) sees, nor can the sender.
        expect(() => msg.payload?.list.push(3)).toThrow(TypeError);
      }
    }
    expect(() => {
      (message as { n: number }).n = 2;
    }).toThrow(TypeError);
  });

  it("refuses to let a crashed node send", () => {
    const sim = new Simulation({ seed: 1 });
    const net = new Network<TestMessage>(sim);
    const a = net.add(new Recorder("a", net));
    net.add(new Recorder("b", net));
    a.crash();
    expect(() => a.send("b", { type: "Ping", n: 1 })).toThrow(AssertionFailed);
  });
});
