import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GossipMessage } from "../../eventual-consistency/gossip/messages.js";
import {
  emptyCost,
  GOSSIP_MODES,
  type GossipMode,
  GossipNode,
} from "../../eventual-consistency/gossip/node.js";
import { type GossipOptions, runGossip } from "../../eventual-consistency/gossip/run.js";
import {
  type GossipFlags,
  gossip,
  pushRoundBound,
} from "../../eventual-consistency/scenarios/gossip.js";
import type { CommonOptions } from "../../shared/cli.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace } from "../../shared/trace.js";

/** What a failing run prints: the options that replay it through runGossip. */
const replay = (o: GossipOptions) => `replay: runGossip(Trace.silent(), ${JSON.stringify(o)})`;

describe("gossip reaches every node that is up once the network heals", () => {
  // Property over 200 seeds: small clusters, every mode, loss up to the flag's 0.5, up to half
  // the nodes crashed, and a partition into two halves for the first 1 to 10 rounds.
  const faulty = fc.record({
    seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    nodes: fc.integer({ min: 10, max: 30 }),
    mode: fc.constantFrom<GossipMode>(...GOSSIP_MODES),
    loss: fc.double({ min: 0, max: 0.5, noNaN: true }),
    crashShare: fc.double({ min: 0, max: 0.5, noNaN: true }),
    partitionRounds: fc.integer({ min: 1, max: 10 }),
  });
  const optionsOf = (
    p: {
      seed: number;
      nodes: number;
      mode: GossipMode;
      loss: number;
      crashShare: number;
      partitionRounds: number;
    },
    stopAfterPushes: number,
  ): GossipOptions => ({
    seed: p.seed,
    nodes: p.nodes,
    mode: p.mode,
    loss: p.loss,
    crash: Math.floor(p.crashShare * p.nodes),
    partitionRounds: p.partitionRounds,
    stopAfterPushes,
  });

  it("anti-entropy (push, pull, push-pull; nodes never stop): every node up at the end knows, over 200 seeds with loss, crashes and a healed partition", () => {
    let healedFirst = 0;
    fc.assert(
      fc.property(faulty, (p) => {
        const options = optionsOf(p, 0);
        const run = runGossip(Trace.silent(), options);
        expect(run.uninformedLive, replay(options)).toEqual([]);
        expect(run.roundsToAll, replay(options)).toBeDefined();
        // Nothing crosses the partition: while a node of the far half (n{ceil(N/2)+1} to nN) is
        // up at the end, the run can only have finished after the heal.
        const crashed = new Set([...run.downFromStart, ...run.crashedDuring.map((c) => c.id)]);
        const farSideUp = Array.from({ length: p.nodes }, (_, i) => `n${i + 1}`)
          .slice(Math.ceil(p.nodes / 2))
          .some((id) => !crashed.has(id));
        if (farSideUp) {
          expect(run.roundsToAll as number, replay(options)).toBeGreaterThan(p.partitionRounds);
          healedFirst++;
        }
      }),
      { numRuns: 200, seed: 11 },
    );
    // Most runs finished only after the heal: the property was exercised on healed partitions.
    expect(healedFirst).toBeGreaterThan(150);
  });

  it("the broken variant, a node that stops pushing after telling one peer, leaves nodes uninformed on the same plans", () => {
    let short = 0;
    fc.assert(
      fc.property(faulty, (p) => {
        const options = optionsOf({ ...p, mode: "push" }, 1);
        if (runGossip(Trace.silent(), options).uninformedLive.length > 0) short++;
      }),
      { numRuns: 200, seed: 11 },
    );
    // With one push per node the informed nodes form a chain that ends at the first push lost
    // or sent to a node that already knew: it cannot reach 10 or more nodes on most plans.
    expect(short).toBeGreaterThan(190);
  });
});

describe("rounds against log N", () => {
  it("push without faults on N = 1,000 finishes within 2 × (log2 N + ln N) + 10 rounds, over 12 seeds", () => {
    // Pittel (1987): push takes log2 N + ln N + O(1) rounds, 16.9 plus a constant at N = 1,000;
    // the bound is 43.8. The tail past the formula falls off like e^-x (see pushRoundBound).
    const bound = pushRoundBound(1_000);
    expect(bound).toBeCloseTo(2 * (Math.log2(1_000) + Math.log(1_000)) + 10, 10);
    const rounds: number[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const options: GossipOptions = {
        seed,
        nodes: 1_000,
        mode: "push",
        loss: 0,
        crash: 0,
        partitionRounds: 0,
        stopAfterPushes: 0,
      };
      const run = runGossip(Trace.silent(), options);
      expect(run.roundsToAll, replay(options)).toBeDefined();
      expect(run.roundsToAll as number, replay(options)).toBeLessThanOrEqual(bound);
      rounds.push(run.roundsToAll as number);
    }
    // And not absurdly fast: at least log2 N rounds, since push at most doubles the informed
    // nodes each round (every informed node sends one push): 2^9 < 1,000 needs 10 rounds.
    expect(Math.min(...rounds)).toBeGreaterThanOrEqual(10);
  });

  it("the broken variant, each node calling its successor on a ring, needs N - 1 rounds and crosses the bound", () => {
    // One hop per round along the ring: n1 tells n2 in round 1, n2 tells n3 in round 2, ...
    const run = runGossip(Trace.silent(), {
      seed: 1,
      nodes: 100,
      mode: "push",
      loss: 0,
      crash: 0,
      partitionRounds: 0,
      stopAfterPushes: 0,
      peerChoice: "successor",
    });
    expect(run.roundsToAll).toBe(99);
    expect(run.roundsToAll as number).toBeGreaterThan(pushRoundBound(100));
  });

  it("push-pull is faster than push at every N from 30 to 300, over 5 seeds each", () => {
    // Karp et al. (2000): log3 N + O(log log N) for push-pull against log2 N + ln N for push.
    for (const nodes of [30, 100, 300]) {
      const meanRounds = (mode: GossipMode) => {
        let total = 0;
        for (let seed = 1; seed <= 5; seed++)
          total +=
            runGossip(Trace.silent(), {
              seed,
              nodes,
              mode,
              loss: 0,
              crash: 0,
              partitionRounds: 0,
              stopAfterPushes: 0,
            }).roundsToAll ?? Number.POSITIVE_INFINITY;
        return total / 5;
      };
      expect(meanRounds("push-pull"), `N = ${nodes}`).toBeLessThan(meanRounds("push"));
    }
  });

  it("the broken variant, push-pull along a ring (each node calls its successor), is slower than random push", () => {
    // On the ring the informed nodes form one arc that grows by one at each end per round (n1's
    // successor hears by push, its predecessor by pull): after r rounds 1 + 2r nodes know, so
    // ceil((N - 1) / 2) = 50 rounds at N = 100, against log2 N + ln N + O(1), about 11 plus a
    // constant, for random push (and more than pushRoundBound(100) = 42.4).
    const base = { nodes: 100, loss: 0, crash: 0, partitionRounds: 0, stopAfterPushes: 0 };
    const ring = runGossip(Trace.silent(), {
      ...base,
      seed: 1,
      mode: "push-pull",
      peerChoice: "successor",
    });
    expect(ring.roundsToAll).toBe(50);
    expect(ring.roundsToAll as number).toBeGreaterThan(pushRoundBound(100));
    const push = runGossip(Trace.silent(), { ...base, seed: 1, mode: "push" });
    expect(push.roundsToAll as number).toBeLessThan(ring.roundsToAll as number);
  });
});

describe("rounds are synchronous, as in the papers", () => {
  /** Nodes that heard the update from a node that had itself heard it in the same round. */
  function twoHopsInOneRound(options: GossipOptions): number {
    const run = runGossip(Trace.silent(), options);
    const roundOf = new Map<string, number>([[run.origin, 0]]);
    for (const r of run.rounds) for (const l of r.learned) roundOf.set(l.id, r.round);
    let count = 0;
    for (const r of run.rounds)
      for (const l of r.learned) if (roundOf.get(l.from) === r.round) count++;
    return count;
  }
  const base = { nodes: 300, loss: 0, crash: 0, partitionRounds: 0, stopAfterPushes: 0 };

  it("an update moves at most one hop per round under pull and push-pull (a node answers with what it held when the round began)", () => {
    // Karp et al.'s rounds and Demers et al.'s cycles exchange what each node held at the start;
    // the papers' log3 N and p(i+1) = p(i)^2 count those rounds.
    for (const mode of ["pull", "push-pull"] as const)
      for (let seed = 1; seed <= 5; seed++)
        expect(twoHopsInOneRound({ ...base, seed, mode }), `${mode}, seed ${seed}`).toBe(0);
  });

  it("the variant that answers with the latest update carries it two hops in one round", () => {
    // A request that arrives after its recipient heard the update from a reply (or, under
    // push-pull, a push) earlier in the same round gets it: the rounds undercount the papers'.
    for (const mode of ["pull", "push-pull"] as const) {
      let total = 0;
      for (let seed = 1; seed <= 5; seed++)
        total += twoHopsInOneRound({ ...base, seed, mode, answerWith: "latest" });
      expect(total, mode).toBeGreaterThan(0);
    }
  });
});

describe("rumor mongering (stop after k pushes) leaves a residue", () => {
  it("stopping after 2 pushes leaves about 20% of 1,000 nodes uninformed, as s = e^(-2(1 - s)) predicts", () => {
    // Worked by hand: each node that hears the update pushes it exactly twice, so (1 - s)N nodes
    // make 2(1 - s)N pushes to random peers; a node escapes them all with probability about
    // e^(-2(1 - s)), which must equal s. Iterating s = e^(-2(1 - s)) from 0 gives 0.2032.
    let s = 0;
    for (let i = 0; i < 100; i++) s = Math.exp(-2 * (1 - s));
    expect(s).toBeCloseTo(0.2032, 3);
    let residue = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const run = runGossip(Trace.silent(), {
        seed,
        nodes: 1_000,
        mode: "push",
        loss: 0,
        crash: 0,
        partitionRounds: 0,
        stopAfterPushes: 2,
      });
      expect(run.quiescentAfterRound, `seed ${seed}`).toBeDefined();
      residue += run.uninformedLive.length / run.live / 8;
    }
    expect(residue).toBeGreaterThan(0.15);
    expect(residue).toBeLessThan(0.26);
  });

  it("push-pull that stops pushing still reaches everyone, because every node keeps pulling", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const run = runGossip(Trace.silent(), {
        seed,
        nodes: 100,
        mode: "push-pull",
        loss: 0.2,
        crash: 10,
        partitionRounds: 0,
        stopAfterPushes: 1,
      });
      expect(run.uninformedLive, `seed ${seed}`).toEqual([]);
    }
  });
});

describe("message cost", () => {
  it("pull and push-pull send one call per node per round; push sends one message per informed node per round", () => {
    // Counted by hand from the protocol: without faults every node is up every round, so pull
    // sends N requests per round and push-pull N calls per round; under push, the nodes that
    // knew at the start of round r send one push each in round r.
    const base = { seed: 3, nodes: 30, loss: 0, crash: 0, partitionRounds: 0, stopAfterPushes: 0 };
    const pull = runGossip(Trace.silent(), { ...base, mode: "pull" });
    expect(pull.cost.sent.PullRequest).toBe(30 * (pull.roundsToAll as number));
    // Every node but n1 got the update in exactly one reply (a node that knows never gets one).
    expect(pull.cost.sent.PullReply).toBe(29);
    const pushPull = runGossip(Trace.silent(), { ...base, mode: "push-pull" });
    expect(pushPull.cost.sent.PushPull).toBe(30 * (pushPull.roundsToAll as number));
    const push = runGossip(Trace.silent(), { ...base, mode: "push" });
    let informed = 1;
    let expected = 0;
    for (const r of push.rounds) {
      expected += informed;
      informed = r.informedLive;
    }
    expect(push.cost.sent.Push).toBe(expected);
    expect(push.messages).toBe(expected);
  });
});

describe("one node, messages in and messages out", () => {
  /** Two nodes on a network without faults; returns the messages each round sent. */
  function pair(mode: GossipMode, originated: boolean) {
    const trace = new Trace();
    const sim = new Simulation({ seed: 1, trace });
    const net = new Network<GossipMessage>(sim, { latencyMsMin: 1, latencyMsMax: 1 });
    const members = ["a", "b"];
    const cost = emptyCost();
    const config = {
      members,
      mode,
      roundMs: 100,
      stopAfterPushes: 0,
      peerChoice: "random" as const,
      cost,
    };
    const a = net.add(new GossipNode("a", net, { ...config, index: 0 }));
    const b = net.add(new GossipNode("b", net, { ...config, index: 1 }));
    if (originated) a.originate({ version: 1, value: "x" });
    sim.run(150);
    const sends = trace.events.flatMap((e) =>
      e.kind === "send" ? [`${e.from}→${e.to} ${JSON.stringify(e.msg)}`] : [],
    );
    return { a, b, sends };
  }

  it("push: only the node that knows sends, and the update arrives", () => {
    const { b, sends } = pair("push", true);
    expect(sends).toEqual(['a→b {"type":"Push","update":{"version":1,"value":"x"}}']);
    expect(b.learned).toMatchObject({ from: "a", via: "push" });
  });

  it("pull: both ask every round; only the asker that lacks the update gets a reply", () => {
    const { b, sends } = pair("pull", true);
    expect(sends).toEqual([
      'a→b {"type":"PullRequest","version":1}',
      'b→a {"type":"PullRequest","version":0}',
      'a→b {"type":"PullReply","update":{"version":1,"value":"x"}}',
    ]);
    expect(b.learned).toMatchObject({ from: "a", via: "pull" });
  });

  it("pull with nothing to spread: requests, and no reply", () => {
    const { sends } = pair("pull", false);
    expect(sends).toEqual([
      'a→b {"type":"PullRequest","version":0}',
      'b→a {"type":"PullRequest","version":0}',
    ]);
  });

  it("push-pull: the caller's update goes with its digest, and a caller that lacks it gets a reply", () => {
    const { sends } = pair("push-pull", true);
    expect(sends).toEqual([
      'a→b {"type":"PushPull","version":1,"update":{"version":1,"value":"x"}}',
      'b→a {"type":"PushPull","version":0,"update":null}',
      'a→b {"type":"PullReply","update":{"version":1,"value":"x"}}',
    ]);
  });
});

describe("the scenario", () => {
  const common: CommonOptions = {
    seed: 1,
    json: false,
    quiet: false,
    verbose: false,
    color: false,
  };
  const flags: GossipFlags = {
    nodes: 30,
    nodesMax: 1_000,
    mode: "push",
    loss: 0.1,
    crash: 2,
    partitionRounds: 3,
    stopAfter: 0,
    seeds: 2,
  };
  const checksOf = async (f: GossipFlags) => {
    const trace = new Trace({ messages: false });
    await gossip.run({ trace, seed: 1 }, { ...f, ...common });
    return trace.checks().map((c) => ({ name: c.name, held: c.held, expected: c.expected }));
  };

  it("holds its checks at N = 30 with loss, crashes and a healed partition", async () => {
    const checks = await checksOf(flags);
    expect(checks.map((c) => c.held)).toEqual([true, true, true]);
    expect(checks[0]?.name).toBe("every node that is up hears the update once the network heals");
  });

  it("reports rumor mongering by push (stop after one push) as violating, as expected of the variant", async () => {
    const checks = await checksOf({ ...flags, stopAfter: 1 });
    expect(checks).toEqual([
      {
        name: "every node that is up hears the update once the network heals",
        held: false,
        expected: false,
      },
      {
        name: "pull and push-pull (every node keeps calling every round) reach every node that is up, in every run of the table",
        held: true,
        expected: true,
      },
      {
        name: "rumor mongering by push (stop after 1 push) reaches every node that is up, in every run of the table",
        held: false,
        expected: false,
      },
      {
        name: "push without faults reaches every node within 2 × (log2 N + ln N) + 10 rounds",
        held: null,
        expected: true,
      },
    ]);
  });

  it("refuses more crashed nodes than half the smallest N", () => {
    expect(gossip.validate?.({ ...flags, nodes: 0, crash: 6 })).toMatch(/at most 5/);
    expect(gossip.validate?.({ ...flags, nodes: 30, crash: 15 })).toBeUndefined();
  });

  it("is deterministic: the same seed gives the same run", () => {
    const options: GossipOptions = {
      seed: 42,
      nodes: 100,
      mode: "push-pull",
      loss: 0.3,
      crash: 20,
      partitionRounds: 2,
      stopAfterPushes: 0,
    };
    expect(runGossip(Trace.silent(), options)).toEqual(runGossip(Trace.silent(), options));
  });
});
