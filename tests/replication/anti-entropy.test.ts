import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { antiEntropy, MerkleTree, type Store } from "../../replication/leaderless/merkle.js";
import { runAntiEntropy } from "../../replication/scenarios/anti-entropy.js";

describe("anti-entropy with Merkle trees", () => {
  it("brings replicas to identical contents, over seeds, sending far less than a full copy", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const run = runAntiEntropy(seed, 500, 1_500, 0.01, 8);
      expect(run.converged, `seed ${seed}`).toBe(true);
      expect(run.entriesSent).toBeLessThan(run.fullCopy / 5);
    }
  });

  it("equal stores have equal roots, and one changed entry changes the root (the check a broken exchange would fail)", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 5 }), fc.nat({ max: 9 })),
        fc.integer({ min: 1, max: 8 }),
        (entries, depth) => {
          const a: Store = new Map(
            Object.entries(entries).map(([k, v]) => [k, { value: `v${v}`, version: v }]),
          );
          const b: Store = new Map([...a].map(([k, v]) => [k, { ...v }]));
          expect(new MerkleTree(a, depth).hashes[1]).toBe(new MerkleTree(b, depth).hashes[1]);
          const first = [...b.keys()][0];
          if (first !== undefined) {
            b.set(first, { value: "changed", version: 99 });
            expect(new MerkleTree(a, depth).hashes[1]).not.toBe(new MerkleTree(b, depth).hashes[1]);
            antiEntropy(a, b, depth);
            expect(a.get(first)).toEqual({ value: "changed", version: 99 });
          }
        },
      ),
    );
  });
});
