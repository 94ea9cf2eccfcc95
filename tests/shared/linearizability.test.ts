import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bruteForceLinearizable,
  type CheckedOp,
  casRegisterModel,
  checkLinearizable,
  kvModel,
  registerModel,
  SearchCache,
} from "../../shared/check/linearizability.js";
import { Random } from "../../shared/random.js";
import { linearizableKvHistory, randomRegisterHistory } from "./fixtures/histories.js";

let nextId = 0;
function op(
  process: string,
  f: string,
  input: unknown,
  output: unknown,
  callTime: number,
  returnTime: number,
  outcome: CheckedOp["outcome"] = "ok",
  key = "x",
): CheckedOp {
  return {
    id: nextId++,
    process,
    f,
    key,
    input,
    output,
    outcome,
    callTime,
    returnTime: outcome === "info" ? Number.POSITIVE_INFINITY : returnTime,
  };
}

describe("hand-built classics", () => {
  it("rejects the book's Figure 9-1: Bob reads the old value after Alice has seen the new one", () => {
    const history = [
      op("referee", "write", 1, null, 0, 10), // the final score is written...
      op("alice", "read", null, 1, 2, 4), // ...Alice sees it while the write is in progress...
      op("bob", "read", null, null, 5, 6), // ...and Bob, later, does not.
    ];
    const verdict = checkLinearizable(registerModel, history);
    expect(verdict.linearizable).toBe(false);
    expect(verdict.witness?.op.process).toBe("bob");
    expect(bruteForceLinearizable(registerModel, history)).toBe(false);
  });

  it("accepts reads concurrent with a write returning either value, in any order they may be placed", () => {
    const history = [
      op("w", "write", 1, null, 0, 10),
      op("r1", "read", null, null, 1, 2),
      op("r2", "read", null, 1, 3, 4),
    ];
    expect(checkLinearizable(registerModel, history).linearizable).toBe(true);
  });

  it("rejects a read of a value nobody wrote, and one that goes back in time", () => {
    expect(checkLinearizable(registerModel, [op("r", "read", null, 7, 0, 1)]).linearizable).toBe(
      false,
    );
    const backwards = [
      op("w1", "write", 1, null, 0, 1),
      op("w2", "write", 2, null, 2, 3),
      op("r", "read", null, 1, 4, 5),
    ];
    expect(checkLinearizable(registerModel, backwards).linearizable).toBe(false);
  });

  it("lets an info write take effect late or never, but not before it was invoked", () => {
    const late = [
      op("w", "write", 1, null, 0, 0, "info"),
      op("r1", "read", null, null, 1, 2),
      op("r2", "read", null, 1, 3, 4),
    ];
    expect(checkLinearizable(registerModel, late).linearizable).toBe(true);
    const never = [op("w", "write", 1, null, 0, 0, "info"), op("r", "read", null, null, 5, 6)];
    expect(checkLinearizable(registerModel, never).linearizable).toBe(true);
    const early = [op("r", "read", null, 1, 0, 1), op("w", "write", 1, null, 2, 0, "info")];
    expect(checkLinearizable(registerModel, early).linearizable).toBe(false);
  });

  it("uses failed compare-and-sets: a failure means the value differed at that moment", () => {
    // cas(null → 1) failed, so something other than null was there: impossible if nothing was written.
    expect(
      checkLinearizable(casRegisterModel, [op("c", "cas", [null, 1], null, 0, 1, "fail")])
        .linearizable,
    ).toBe(false);
    const explained = [
      op("w", "write", 2, null, 0, 1),
      op("c", "cas", [null, 1], null, 2, 3, "fail"),
      op("r", "read", null, 2, 4, 5),
    ];
    expect(checkLinearizable(casRegisterModel, explained).linearizable).toBe(true);
    const doubleCas = [
      op("a", "cas", [null, 1], null, 0, 5),
      op("b", "cas", [null, 2], null, 0, 5),
    ];
    expect(checkLinearizable(casRegisterModel, doubleCas).linearizable).toBe(false);
  });

  it("checks key-value histories key by key, with appends", () => {
    const ok = [
      op("a", "append", "x", null, 0, 1, "ok", "k1"),
      op("b", "append", "y", null, 2, 3, "ok", "k1"),
      op("c", "get", null, "xy", 4, 5, "ok", "k1"),
      // k2 is never written: it holds nil.
      op("d", "get", null, null, 0, 9, "ok", "k2"),
    ];
    expect(checkLinearizable(kvModel, ok).linearizable).toBe(true);
    const lostAppend = [
      op("a", "append", "x", null, 0, 1, "ok", "k1"),
      op("b", "append", "y", null, 2, 3, "ok", "k1"),
      op("c", "get", null, "y", 4, 5, "ok", "k1"),
    ];
    const verdict = checkLinearizable(kvModel, lostAppend);
    expect(verdict.linearizable).toBe(false);
    expect(verdict.witness?.key).toBe("k1");
  });
});

describe("agreement with brute force", () => {
  it("on thousands of small random register histories", () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 6 }), fc.boolean(), (seed, ops, withCas) => {
        const history = randomRegisterHistory(new Random(seed), ops, withCas);
        const model = withCas ? casRegisterModel : registerModel;
        expect(checkLinearizable(model, history).linearizable).toBe(
          bruteForceLinearizable(model, history),
        );
      }),
      { numRuns: 3000 },
    );
  });

  it("accepts histories that are linearizable by construction, and rejects them once a read is corrupted", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const history = linearizableKvHistory(new Random(seed), { ops: 200, keys: 3, clients: 5 });
      expect(checkLinearizable(kvModel, history).linearizable, `seed ${seed}`).toBe(true);
      const read = history.find(
        (o) => o.f === "get" && o.outcome === "ok" && String(o.output).length > 0,
      );
      if (read === undefined) continue;
      const corrupted = history.map((o) =>
        o === read ? { ...o, output: `${String(o.output)}!` } : o,
      );
      expect(checkLinearizable(kvModel, corrupted).linearizable, `seed ${seed}`).toBe(false);
    }
  });
});

describe("the search's cache of (linearized set, state) pairs", () => {
  it("answers exactly as a set of strings would over 200,000 random additions", () => {
    // 1,000 operations keep the bitsets long; flipping mostly among eight of them revisits pairs
    // often. With some 100,000 entries, 32-bit hashes are likely to collide at least once (the
    // birthday bound), so the comparison behind an equal hash gets used.
    const operations = 1_000;
    const random = new Random(7);
    const cache = new SearchCache(operations);
    const reference = new Set<string>();
    const members = new Uint32Array(Math.ceil(operations / 32));
    let disagreements = 0;
    let repeats = 0;
    for (let step = 0; step < 200_000; step++) {
      const bit = random.int(0, step % 10 === 0 ? operations - 1 : 7);
      cache.flip(bit);
      // The reference keeps its own bitset and joins it into a string key.
      members[bit >>> 5] = (members[bit >>> 5] as number) ^ (1 << (bit & 31));
      const state = `s${random.int(0, 2)}`;
      const key = `${members.join(",")}|${state}`;
      const fresh = !reference.has(key);
      reference.add(key);
      if (!fresh) repeats++;
      if (cache.add(state) !== fresh) disagreements++;
    }
    expect(disagreements).toBe(0);
    // Both answers occur often, so neither "always new" nor "always seen" could pass.
    expect(repeats).toBeGreaterThan(4_000);
    expect(reference.size).toBeGreaterThan(100_000);
  });
});
