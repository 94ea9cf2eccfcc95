import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AntiEntropyCost,
  type AntiEntropyMessage,
  AntiEntropyReplica,
} from "../../replication/leaderless/anti-entropy.js";
import { MerkleTree, type Store } from "../../replication/leaderless/merkle.js";
import { runAntiEntropy } from "../../replication/scenarios/anti-entropy.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace } from "../../shared/trace.js";

const faultsFor = (seed: number) => ({
  loss: [0, 0.05, 0.1][seed % 3] as number,
  duplicate: 0.1,
  crash: 1 + (seed % 2),
  partition: seed % 2,
});

describe("anti-entropy with Merkle trees, on the simulated network", () => {
  it("brings every replica to the latest version of every key under loss, duplication, crashes and partitions, over 40 seeds", () => {
    const failures: string[] = [];
    let missed = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const run = runAntiEntropy(Trace.silent(), {
        seed,
        keys: 300,
        writes: 900,
        depth: 6,
        hashValues: true,
        ...faultsFor(seed),
      });
      missed += run.missed.reduce((a, b) => a + b, 0);
      if (run.convergedAtMs === undefined) failures.push(`seed ${seed}: did not converge`);
    }
    expect(failures).toEqual([]);
    // The faults made replicas miss writes, so there was something to repair.
    expect(missed).toBeGreaterThan(40);
  });

  it("sends a small fraction of a full copy when a few writes were missed, over 20 seeds", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const run = runAntiEntropy(Trace.silent(), {
        seed,
        keys: 1_000,
        writes: 2_000,
        depth: 9,
        hashValues: true,
        loss: 0.005,
        duplicate: 0,
        crash: 0,
        partition: 0,
      });
      expect(run.convergedAtMs, `seed ${seed}`).toBeDefined();
      expect(
        run.missed.some((m) => m > 0),
        `seed ${seed}`,
      ).toBe(true);
      // Measured at most 1.2% of a full copy; a full-copy exchange would be 100%.
      expect(run.cost.entries * 20, `seed ${seed}`).toBeLessThan(run.fullCopy);
    }
  });

  it("catches the broken variant whose leaf hashes ignore versions: replicas holding an old version never learn the new one", () => {
    let stuck = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const run = runAntiEntropy(Trace.silent(), {
        seed,
        keys: 300,
        writes: 900,
        depth: 6,
        hashValues: false,
        ...faultsFor(seed),
      });
      if (run.convergedAtMs === undefined) stuck++;
    }
    // Measured at 20 of 20; demand fewer to stay robust.
    expect(stuck).toBeGreaterThan(10);
  });

  /** Two replicas a and b with a three-level tree; a holds version 2 of k, b version 1. */
  function pair(network: { loss?: number; duplicate?: number } = {}) {
    const sim = new Simulation({ seed: 1, trace: Trace.silent() });
    const net = new Network<AntiEntropyMessage>(sim, {
      latencyMsMin: 1,
      latencyMsMax: 1,
      ...network,
    });
    const cost: AntiEntropyCost = { messages: 0, resent: 0, hashes: 0, entries: 0 };
    const config = (peer: string) => ({
      peers: [peer],
      depth: 3,
      intervalMs: 1_000,
      hashValues: true,
      cost,
    });
    const a = net.add(new AntiEntropyReplica("a", net, config("b")));
    const b = net.add(new AntiEntropyReplica("b", net, config("a")));
    a.durable.set("k", { value: "new", version: 2 });
    b.durable.set("k", { value: "old", version: 1 });
    return { sim, net, a, b, cost };
  }

  it("finds one differing key in depth + 3 messages, by hand: four rounds of hashes down to the leaf, the leaf's entries, and Done", () => {
    const { sim, a, b, cost } = pair();
    a.startAntiEntropy(0);
    sim.run(100);
    expect(b.store.get("k")).toEqual({ value: "new", version: 2 });
    // a→b root (1 hash); b→a level 1 (2); a→b level 2 (2); b→a the leaves (2); a→b the leaf's one
    // entry; b holds nothing newer in that leaf, so it answers Done.
    expect(cost).toEqual({ messages: 6, resent: 0, hashes: 7, entries: 1 });
  });

  it("sends a lost step again, and goes on with the walk where it was", () => {
    const { sim, net, a, b, cost } = pair();
    // b cannot hear a at first: a's root hash is lost, and a sends it again after 20 ms.
    net.partition([["a"], ["b"]]);
    sim.at(10, () => net.heal());
    a.startAntiEntropy(0);
    sim.run(100);
    expect(b.store.get("k")).toEqual({ value: "new", version: 2 });
    expect(cost).toEqual({ messages: 7, resent: 1, hashes: 7, entries: 1 });
  });

  it("does not answer a duplicated step twice: every message delivered twice costs no more messages", () => {
    const { sim, a, b, cost } = pair({ duplicate: 1 });
    a.startAntiEntropy(0);
    sim.run(100);
    expect(b.store.get("k")).toEqual({ value: "new", version: 2 });
    expect(cost).toEqual({ messages: 6, resent: 0, hashes: 7, entries: 1 });
  });

  it("converges under 30% message loss with ten-level trees, over 8 seeds (a lost message repeats one step, it does not end the walk)", () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const run = runAntiEntropy(Trace.silent(), {
        seed,
        keys: 1_000,
        writes: 2_000,
        depth: 10,
        hashValues: true,
        loss: 0.3,
        duplicate: 0,
        crash: 0,
        partition: 0,
      });
      if (run.convergedAtMs === undefined)
        failures.push(
          `seed ${seed}: did not converge (npx tsx replication/main.ts anti-entropy --keys 1000 --writes 2000 --loss 0.3 --seed ${seed})`,
        );
    }
    expect(failures).toEqual([]);
  });
});

describe("Merkle trees", () => {
  it("kept up to date entry by entry, equal a tree built afresh from the final store", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 4 }), fc.nat({ max: 20 })), { maxLength: 60 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        (changes, depth, hashValues) => {
          const store: Store = new Map();
          const tree = new MerkleTree(store, depth, hashValues);
          for (const [key, version] of changes) {
            const before = store.get(key);
            const after = { value: `v${version}`, version };
            store.set(key, after);
            tree.update(key, before, after);
          }
          const fresh = new MerkleTree(store, depth, hashValues);
          expect([...tree.hashes]).toEqual([...fresh.hashes]);
          for (let leaf = 0; leaf < fresh.leaves; leaf++)
            expect([...tree.keysInLeaf(leaf)].sort()).toEqual([...fresh.keysInLeaf(leaf)].sort());
        },
      ),
    );
  });

  it("equal stores have equal roots; a changed version changes the root, unless the leaves hash keys only", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 5 }), fc.nat({ max: 9 }), { minKeys: 1 }),
        fc.integer({ min: 1, max: 8 }),
        (entries, depth) => {
          const a: Store = new Map(
            Object.entries(entries).map(([k, v]) => [k, { value: `v${v}`, version: v }]),
          );
          const b: Store = new Map([...a].map(([k, v]) => [k, { ...v }]));
          const root = (s: Store, hashValues = true) =>
            new MerkleTree(s, depth, hashValues).hashes[1];
          expect(root(a)).toBe(root(b));
          const first = [...b.keys()][0] as string;
          b.set(first, { value: "changed", version: 99 });
          expect(root(a)).not.toBe(root(b));
          expect(root(a, false)).toBe(root(b, false));
        },
      ),
    );
  });
});

describe("anti-entropy's fault flags say when they act", () => {
  it("--crash and --partition act while the writes arrive, each over before anti-entropy starts, and --help says so", async () => {
    const { antiEntropyScenario } = await import("../../replication/scenarios/anti-entropy.js");
    const help = (flag: string) =>
      antiEntropyScenario.options?.find((o) => o.flags.startsWith(flag))?.description ?? "";
    for (const flag of ["--crash ", "--partition "]) {
      expect(help(flag)).not.toMatch(/during the run/);
      expect(help(flag)).toMatch(/while the writes arrive .* before anti-entropy starts/);
    }
    // The run agrees: no crash, restart, partition or heal once the writes have stopped (500 ms).
    for (let seed = 1; seed <= 5; seed++) {
      const trace = new Trace();
      runAntiEntropy(trace, {
        seed,
        keys: 100,
        writes: 300,
        depth: 4,
        hashValues: true,
        loss: 0.05,
        duplicate: 0,
        crash: 5,
        partition: 5,
      });
      const faults = trace.events.filter((e) =>
        ["crash", "recover", "partition", "heal"].includes(e.kind),
      );
      expect(faults.length, `seed ${seed}`).toBeGreaterThanOrEqual(10);
      for (const e of faults)
        expect((e as { time: number }).time, `seed ${seed}`).toBeLessThanOrEqual(500);
    }
  });
});
