import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  lamportMerge,
  lamportTick,
  PhysicalClock,
  type VectorClock,
  vcCompare,
  vcIncrement,
  vcMerge,
} from "../../shared/clocks.js";

const nodes = ["a", "b", "c"];
const vectorClock: fc.Arbitrary<VectorClock> = fc.dictionary(
  fc.constantFrom(...nodes),
  fc.nat({ max: 4 }),
);

/** a ≤ b in the partial order: before or equal. */
const leq = (a: VectorClock, b: VectorClock) => ["before", "equal"].includes(vcCompare(a, b));

describe("vector clocks obey the laws of a partial order", () => {
  it("reflexivity: every clock equals itself", () => {
    fc.assert(fc.property(vectorClock, (a) => vcCompare(a, a) === "equal"));
  });

  it("antisymmetry: a ≤ b and b ≤ a only when equal; before and after mirror each other", () => {
    fc.assert(
      fc.property(vectorClock, vectorClock, (a, b) => {
        const ab = vcCompare(a, b);
        const ba = vcCompare(b, a);
        const mirror = {
          before: "after",
          after: "before",
          equal: "equal",
          concurrent: "concurrent",
        } as const;
        expect(ba).toBe(mirror[ab]);
        if (leq(a, b) && leq(b, a)) expect(ab).toBe("equal");
      }),
    );
  });

  it("transitivity: a ≤ b and b ≤ c give a ≤ c", () => {
    fc.assert(
      fc.property(vectorClock, vectorClock, vectorClock, (a, b, c) => {
        // Build b and c above a so that the premise holds often enough to matter.
        const b2 = vcMerge(a, b);
        const c2 = vcMerge(b2, c);
        expect(leq(a, b2) && leq(b2, c2)).toBe(true);
        expect(leq(a, c2)).toBe(true);
        if (leq(a, b) && leq(b, c)) expect(leq(a, c)).toBe(true);
      }),
    );
  });

  it("merge is the least upper bound", () => {
    fc.assert(
      fc.property(vectorClock, vectorClock, vectorClock, (a, b, c) => {
        const m = vcMerge(a, b);
        expect(leq(a, m) && leq(b, m)).toBe(true);
        if (leq(a, c) && leq(b, c)) expect(leq(m, c)).toBe(true);
      }),
    );
  });

  it("an increment happens after the clock it came from; independent increments are concurrent", () => {
    fc.assert(
      fc.property(vectorClock, fc.constantFrom(...nodes), (a, node) => {
        expect(vcCompare(a, vcIncrement(a, node))).toBe("before");
      }),
    );
    expect(vcCompare(vcIncrement({}, "a"), vcIncrement({}, "b"))).toBe("concurrent");
    // A missing entry counts as zero.
    expect(vcCompare({ a: 1, b: 0 }, { a: 1 })).toBe("equal");
  });

  it("rejects a wrong answer: a compare that ignores missing entries would call these equal", () => {
    // The broken variant we guard against: comparing only the keys both clocks have.
    const brokenCompare = (x: VectorClock, y: VectorClock) =>
      Object.keys(x)
        .filter((k) => k in y)
        .every((k) => x[k] === y[k])
        ? "equal"
        : "other";
    const x = { a: 1 };
    const y = { a: 1, b: 1 };
    expect(brokenCompare(x, y)).toBe("equal");
    expect(vcCompare(x, y)).toBe("before");
  });
});

describe("Lamport and physical clocks", () => {
  it("Lamport merge moves past both timestamps", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (local, received) => {
        const merged = lamportMerge(local, received);
        return merged > local && merged > received && lamportTick(merged) === merged + 1;
      }),
    );
  });

  it("a physical clock reads simulated time with offset and drift, and jumps", () => {
    const clock = new PhysicalClock(100, 0.001);
    expect(clock.read(1000)).toBeCloseTo(1101, 9);
    clock.jump(-50);
    expect(clock.read(1000)).toBeCloseTo(1051, 9);
  });
});
