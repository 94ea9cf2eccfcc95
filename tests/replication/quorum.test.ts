import { describe, expect, it } from "vitest";
import { runQuorum } from "../../replication/leaderless/run.js";
import { Trace } from "../../shared/trace.js";

const quiet = () => new Trace({ messages: false, keep: false });
const base = {
  n: 3,
  readRepair: true,
  clients: 3,
  operations: 40,
  loss: 0.1,
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
        const result = runQuorum(quiet(), { ...base, seed, w, r });
        if (result.stale.length > 0)
          failures.push(`seed ${seed}, w=${w}, r=${r}: ${JSON.stringify(result.stale[0])}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("with w + r ≤ n, the check finds a stale read", () => {
    let stale = 0;
    for (let seed = 1; seed <= 20; seed++)
      stale += runQuorum(quiet(), { ...base, seed, w: 1, r: 1 }).stale.length;
    expect(stale).toBeGreaterThan(0);
  });
});
