import { describe, expect, it } from "vitest";
import { runCatchUp } from "../../replication/scenarios/follower-catch-up.js";
import { Trace } from "../../shared/trace.js";

describe("follower catch-up and new followers", () => {
  it("a restarted follower resumes from its own LSN, and a follower set up from a snapshot converges, over seeds", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const run = runCatchUp(Trace.silent(), seed);
      expect(run.recoveredAtLsn, `seed ${seed}`).toBeGreaterThan(0);
      expect(run.recoveredAtLsn).toBeLessThan(run.leaderLsn);
      expect(run.caughtUpAtMs, `seed ${seed}`).toBeDefined();
      expect(run.identical, `seed ${seed}`).toBe(true);
      expect([...run.lsns.values()].every((lsn) => lsn === 120)).toBe(true);
    }
  });
});
