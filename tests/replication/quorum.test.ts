import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  readsAfterAcknowledgedWrite,
  readsDuringWrite,
  runFigure96,
  runQuorum,
  toCheckedOps,
} from "../../replication/leaderless/run.js";
import type { Versioned } from "../../shared/check/register.js";
import { History, type Operation } from "../../shared/history.js";
import { Trace } from "../../shared/trace.js";

const base = {
  n: 3,
  readRepair: true,
  clients: 3,
  operations: 40,
  loss: 0.1,
  duplicate: 0.05,
  crash: 1,
  partition: 1,
};

describe("leaderless quorums, over seeds with loss, a crash and a partition", () => {
  it("with w + r > n (and no sloppy quorum), every read returns the latest completed write", () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 100; seed++) {
      for (const [w, r] of [
        [2, 2],
        [3, 1],
        [1, 3],
      ] as const) {
        const result = runQuorum(Trace.silent(), { ...base, seed, w, r });
        if (result.stale.length > 0)
          failures.push(`seed ${seed}, w=${w}, r=${r}: ${JSON.stringify(result.stale[0])}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("with w + r ≤ n, the check finds a stale read", () => {
    let stale = 0;
    for (let seed = 1; seed <= 20; seed++)
      stale += runQuorum(Trace.silent(), { ...base, seed, w: 1, r: 1 }).stale.length;
    expect(stale).toBeGreaterThan(0);
  });
});

describe("which reads the recency check can judge", () => {
  it("counts the completed reads that began after a write of their key was acknowledged", () => {
    const history = new History<Versioned>();
    const w = history.invoke("c1", "write", "x", { version: 1 }, 0);
    const during = history.invoke("c2", "read", "x", { version: 0 }, 1);
    history.complete(during, "ok", { version: 0 }, 2);
    history.complete(w, "ok", undefined, 5);
    const after = history.invoke("c2", "read", "x", { version: 0 }, 6);
    history.complete(after, "ok", { version: 1 }, 7);
    const otherKey = history.invoke("c2", "read", "y", { version: 0 }, 8);
    history.complete(otherKey, "ok", { version: 0 }, 9);
    history.invoke("c3", "read", "x", { version: 0 }, 10);
    expect(readsAfterAcknowledgedWrite(history.operations())).toBe(1);
  });

  it("figure 9-6 has none: its write is acknowledged after both reads, at every seed", () => {
    for (let seed = 1; seed <= 5; seed++) {
      const f = runFigure96(Trace.silent(), { seed, readRepair: true });
      expect(f.readsAfterAcknowledgedWrite).toBe(0);
      expect(f.writer.completeTimeMs).toBeGreaterThan(f.readerB.completeTimeMs as number);
    }
  });
});

describe("quorums and linearizability (DDIA ch. 9, Linearizability and quorums)", () => {
  it("converts the history for the kv model: puts of key@version, gets of what was read", () => {
    const history = new History<Versioned>();
    const w = history.invoke("c1", "write", "x", { version: 1 }, 0);
    const r = history.invoke("c2", "read", "x", { version: 0 }, 1);
    history.complete(r, "ok", { version: 0 }, 2);
    history.complete(w, "info", undefined, 5);
    history.invoke("c2", "read", "x", { version: 0 }, 6);
    expect(toCheckedOps(history.operations())).toEqual([
      {
        id: 0,
        process: "c1",
        f: "put",
        key: "x",
        input: "x@1",
        output: null,
        outcome: "info",
        callTime: 0,
        returnTime: Infinity,
      },
      {
        id: 1,
        process: "c2",
        f: "get",
        key: "x",
        input: null,
        output: null,
        outcome: "ok",
        callTime: 1,
        returnTime: 2,
      },
      {
        id: 2,
        process: "c2",
        f: "get",
        key: "x",
        input: null,
        output: null,
        outcome: "info",
        callTime: 6,
        returnTime: Infinity,
      },
    ]);
  });

  it("with w + r > n no read is stale, yet the checker rejects some histories: staleness is not linearizability", () => {
    let rejected = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const result = runQuorum(Trace.silent(), { ...base, seed, operations: 60, w: 2, r: 2 });
      expect(result.stale, `seed ${seed}`).toEqual([]);
      if (result.linearizability?.linearizable === false) rejected++;
    }
    // Some seeds do (5 of 30 when measured); the claim is only that it happens.
    expect(rejected).toBeGreaterThan(0);
  });
});

describe("reads during a write (the book's first edge case)", () => {
  it("counts a read that overlapped an acknowledged write by whether it saw it", () => {
    const history = new History<Versioned>();
    const w1 = history.invoke("c1", "write", "x", { version: 1 }, 0);
    const sawIt = history.invoke("c2", "read", "x", { version: 0 }, 5);
    const missedIt = history.invoke("c3", "read", "x", { version: 0 }, 6);
    history.complete(sawIt, "ok", { version: 1 }, 8);
    history.complete(missedIt, "ok", { version: 0 }, 9);
    history.complete(w1, "ok", { version: 1 }, 10);
    // After the write: not concurrent with it.
    const after = history.invoke("c2", "read", "x", { version: 0 }, 20);
    history.complete(after, "ok", { version: 1 }, 25);
    // Overlapping only a write that was never acknowledged: not counted either.
    const w2 = history.invoke("c1", "write", "x", { version: 2 }, 30);
    history.complete(w2, "info", undefined, 40);
    const duringUnknown = history.invoke("c3", "read", "x", { version: 0 }, 31);
    history.complete(duringUnknown, "ok", { version: 1 }, 35);
    // Another key's write does not count for x.
    const wy = history.invoke("c1", "write", "y", { version: 1 }, 50);
    const readX = history.invoke("c2", "read", "x", { version: 0 }, 51);
    history.complete(readX, "ok", { version: 1 }, 52);
    history.complete(wy, "ok", { version: 1 }, 53);
    expect(readsDuringWrite(history.operations())).toEqual({ newer: 1, older: 1 });
  });

  it("looking only at the writes that could overlap each read, agrees with comparing every read with every write", () => {
    const brute = (ops: readonly Operation<Versioned>[]) => {
      const end = (op: Operation<Versioned>) => op.completeTime ?? Number.POSITIVE_INFINITY;
      let newer = 0;
      let older = 0;
      for (const read of ops) {
        if (read.f !== "read" || read.outcome !== "ok") continue;
        const overlapping = ops.filter(
          (w) =>
            w.f === "write" &&
            w.outcome === "ok" &&
            w.key === read.key &&
            w.invokeTime < end(read) &&
            end(w) > read.invokeTime,
        );
        if (overlapping.length === 0) continue;
        const latest = Math.max(...overlapping.map((w) => w.input.version));
        if ((read.output?.version ?? 0) >= latest) newer++;
        else older++;
      }
      return { newer, older };
    };
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            write: fc.boolean(),
            key: fc.constantFrom("x", "y"),
            at: fc.nat({ max: 50 }),
            length: fc.nat({ max: 20 }),
            version: fc.nat({ max: 5 }),
            outcome: fc.constantFrom("ok", "ok", "info", "fail"),
          }),
          { maxLength: 40 },
        ),
        (raw) => {
          // Writers may overlap one another here, which the scenario's one writer per key never does.
          const history = new History<Versioned>();
          for (const [i, o] of raw.entries()) {
            const op = history.invoke(
              `p${i}`,
              o.write ? "write" : "read",
              o.key,
              { version: o.version },
              o.at,
            );
            history.complete(
              op,
              o.outcome as "ok" | "info" | "fail",
              { version: o.version },
              o.at + o.length,
            );
          }
          expect(readsDuringWrite(history.operations())).toEqual(brute(history.operations()));
        },
      ),
    );
  });
});

describe("figure 9-6, scripted (DDIA ch. 9, Linearizability and quorums)", () => {
  it.each([true, false])(
    "every read hears from a quorum and none is stale, yet reader B, after reader A saw the new value, sees the old one while the write is in flight (read repair: %s)",
    (readRepair) => {
      for (const seed of [1, 2, 3]) {
        const f = runFigure96(Trace.silent(), { seed, readRepair });
        expect([f.n, f.w, f.r]).toEqual([3, 3, 2]);
        // A returns the new value, heard from replica-3.
        expect(f.readerA.version).toBe(1);
        expect(f.readerA.answers.map((a) => [a.replica, a.version])).toEqual([
          ["replica-3", 1],
          ["replica-1", 0],
        ]);
        // B starts after A has returned, and returns the old value from the other two.
        expect(f.readerB.invokeTimeMs).toBeGreaterThan(f.readerA.completeTimeMs as number);
        expect(f.readerB.version).toBe(0);
        expect(f.readerB.answers.map((a) => [a.replica, a.version])).toEqual([
          ["replica-1", 0],
          ["replica-2", 0],
        ]);
        // The write is still in flight through both reads.
        expect(f.writer.completeTimeMs).toBeGreaterThan(f.readerB.completeTimeMs as number);
        expect(f.repairedByA).toEqual(readRepair ? ["replica-1"] : []);
        expect(f.stale).toEqual([]);
        expect(f.linearizability.linearizable).toBe(false);
        expect(f.linearizability.witness?.op.process).toBe("reader-B");
      }
    },
  );
});
