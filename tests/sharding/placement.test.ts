import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assign,
  everyKeyHasOneOwner,
  keysFor,
  type Movement,
  movement as movementOf,
  nodeNames,
} from "../../sharding/measure.js";
import {
  ConsistentHashRing,
  FixedPartitions,
  HashModN,
  JumpHash,
  type Placement,
  Rendezvous,
} from "../../sharding/placement.js";
import { KeyHasher, murmur3_32 } from "../../shared/hash.js";

function movement(before: Placement, after: Placement, keys: string[], changed: string): Movement {
  return movementOf(assign(before, keys), assign(after, keys), changed);
}

const minimalSchemes: [string, (nodes: string[], seed: number) => Placement][] = [
  ["consistent hashing (64 vnodes)", (nodes, seed) => new ConsistentHashRing(nodes, 64, seed)],
  ["consistent hashing (1 vnode)", (nodes, seed) => new ConsistentHashRing(nodes, 1, seed)],
  ["jump hash", (nodes) => new JumpHash(nodes)],
  ["rendezvous", (nodes, seed) => new Rendezvous(nodes, seed)],
  ["fixed partitions", (nodes) => FixedPartitions.create(nodes, 64)],
];

describe("every key has exactly one owner", () => {
  it.each([...minimalSchemes, ["hash mod N", (nodes: string[]) => new HashModN(nodes)] as const])(
    "%s",
    (_, make) => {
      fc.assert(
        fc.property(fc.nat(), fc.integer({ min: 1, max: 12 }), (seed, n) => {
          const placement = make(nodeNames(n), seed);
          const keys = keysFor(seed, 300);
          expect(everyKeyHasOneOwner(assign(placement, keys), keys)).toBe(true);
        }),
        { numRuns: 30 },
      );
    },
  );

  it("the check rejects a placement that names a node outside the cluster (broken variant)", () => {
    const real = new HashModN(["node-1"]);
    const broken: Placement = {
      scheme: "broken",
      nodes: real.nodes,
      ownerOf: () => "node-9",
      withNode: (n) => real.withNode(n),
      withoutNode: (n) => real.withoutNode(n),
      metadataEntries: 1,
      lookupCost: "",
    };
    expect(everyKeyHasOneOwner(assign(broken, ["a"]), ["a"])).toBe(false);
    // ...and one whose answer changes from one call to the next.
    let calls = 0;
    const flaky: Placement = {
      ...broken,
      ownerOf: () => (calls++ % 2 === 0 ? "node-1" : "node-2"),
      nodes: ["node-1", "node-2"],
    };
    expect(everyKeyHasOneOwner(assign(flaky, ["a"]), ["a"])).toBe(false);
  });
});

describe("adding a node moves keys only to it, and removing one moves keys only away from it", () => {
  it.each(minimalSchemes)("%s", (name, make) => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 10 }), (seed, n) => {
        const placement = make(nodeNames(n), seed);
        const keys = keysFor(seed, 500);
        const added = movement(
          placement,
          placement.withNode(`node-${n + 1}`),
          keys,
          `node-${n + 1}`,
        );
        expect(added.onlyInvolvesChanged).toBe(true);
        if (n > 1) {
          // Jump hash can only shed its last bucket without extra movement.
          const victim = name === "jump hash" ? `node-${n}` : `node-${1 + (seed % n)}`;
          const removed = movement(placement, placement.withoutNode(victim), keys, victim);
          expect(removed.onlyInvolvesChanged).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("hash mod N moves most keys, about N/(N+1), and between existing nodes (the check catches it)", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const n = 2 + (seed % 8);
      const placement = new HashModN(nodeNames(n));
      const result = movement(
        placement,
        placement.withNode(`node-${n + 1}`),
        keysFor(seed, 5000),
        `node-${n + 1}`,
      );
      expect(result.onlyInvolvesChanged).toBe(false);
      expect(Math.abs(result.fraction - n / (n + 1))).toBeLessThan(0.03);
    }
  });

  it("jump hash moves extra keys when a node is removed from the middle", () => {
    const placement = new JumpHash(nodeNames(5));
    const result = movement(placement, placement.withoutNode("node-2"), keysFor(1, 5000), "node-2");
    expect(result.onlyInvolvesChanged).toBe(false);
  });
});

describe("the moved fraction stays near the ideal 1/(N+1) across seeds", () => {
  // With K keys the fraction has a standard deviation of about sqrt(p(1-p)/K) ≈ 0.006 at K = 4000;
  // a ring adds the variance of the new node's arcs, about 1/sqrt(V) relative at V tokens.
  const cases: [string, (nodes: string[], seed: number) => Placement, number][] = [
    ["jump hash", (nodes) => new JumpHash(nodes), 0.03],
    ["rendezvous", (nodes, seed) => new Rendezvous(nodes, seed), 0.03],
    [
      "consistent hashing (256 vnodes)",
      (nodes, seed) => new ConsistentHashRing(nodes, 256, seed),
      0.06,
    ],
  ];
  it.each(cases)("%s", (_, make, tolerance) => {
    for (let seed = 1; seed <= 25; seed++) {
      const n = 2 + (seed % 9);
      const placement = make(nodeNames(n), seed);
      const result = movement(
        placement,
        placement.withNode(`node-${n + 1}`),
        keysFor(seed, 4000),
        `node-${n + 1}`,
      );
      expect(Math.abs(result.fraction - 1 / (n + 1)), `seed ${seed}, ${n} nodes`).toBeLessThan(
        tolerance,
      );
    }
  });
});

describe("clever against dumb", () => {
  it("ring lookup by binary search agrees with a linear scan of the tokens", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 16 }),
        (seed, n, v) => {
          const nodes = nodeNames(n);
          const ring = new ConsistentHashRing(nodes, v, seed);
          const tokens = nodes
            .flatMap((node) =>
              Array.from({ length: v }, (_, i) => ({
                token: murmur3_32(`${node}#${i}`, seed),
                node,
              })),
            )
            .sort((a, b) => a.token - b.token || (a.node < b.node ? -1 : 1));
          for (const key of keysFor(seed, 100)) {
            const h = murmur3_32(key);
            const owner = (tokens.find((t) => t.token >= h) ?? tokens[0])?.node;
            expect(ring.ownerOf(key)).toBe(owner);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it("rendezvous's key hasher is murmur3_32, bit for bit, for any key and seed", () => {
    const hasher = new KeyHasher();
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: "grapheme", maxLength: 20 })),
        fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { minLength: 1, maxLength: 5 }),
        (key, seeds) => {
          hasher.load(key);
          for (const seed of seeds) expect(hasher.hash(seed)).toBe(murmur3_32(key, seed));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("rendezvous picks the node with the highest hash of (node, key)", () => {
    const nodes = nodeNames(7);
    const r = new Rendezvous(nodes, 3);
    for (const key of keysFor(3, 200)) {
      const best = [...nodes].sort(
        (a, b) => murmur3_32(key, murmur3_32(b, 3)) - murmur3_32(key, murmur3_32(a, 3)),
      )[0];
      expect(r.ownerOf(key)).toBe(best);
    }
  });
});

describe("fixed partitions", () => {
  it("a new node steals its fair share, whole partitions only, and nobody else's assignment changes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 300 }),
        (n, partitions) => {
          const before = FixedPartitions.create(nodeNames(n), partitions);
          const after = before.withNode(`node-${n + 1}`);
          const counts = after.nodes.map((node) => after.partitionsOf(node).length);
          expect(counts.reduce((a, b) => a + b, 0)).toBe(partitions);
          expect(after.partitionsOf(`node-${n + 1}`)).toHaveLength(
            Math.floor(partitions / (n + 1)),
          );
          after.partitionMap.forEach((owner, p) => {
            expect(owner === before.partitionMap[p] || owner === `node-${n + 1}`).toBe(true);
          });
          if (n > 1) {
            const removed = before.withoutNode("node-1");
            removed.partitionMap.forEach((owner, p) => {
              expect(owner === before.partitionMap[p] || before.partitionMap[p] === "node-1").toBe(
                true,
              );
            });
          }
        },
      ),
    );
  });
});
