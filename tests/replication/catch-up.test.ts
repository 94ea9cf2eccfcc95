import { describe, expect, it } from "vitest";
import { runCatchUp } from "../../replication/scenarios/follower-catch-up.js";
import { Trace } from "../../shared/trace.js";

describe("follower catch-up and new followers", () => {
  it("a restarted follower resumes from its own LSN, and a follower set up from a snapshot converges, over seeds, with and without loss and duplication", () => {
    for (let seed = 1; seed <= 60; seed++) {
      // Half the seeds run over a network that loses up to 30% and duplicates 20% of messages.
      const faults =
        seed % 2 === 0 ? { loss: 0, duplicate: 0 } : { loss: (seed % 4) / 10, duplicate: 0.2 };
      const run = runCatchUp(Trace.silent(), seed, faults);
      expect(run.recoveredAtLsn, `seed ${seed}`).toBeGreaterThan(0);
      expect(run.recoveredAtLsn).toBeLessThan(run.leaderLsn);
      expect(run.caughtUpAtMs, `seed ${seed}`).toBeDefined();
      expect(run.identical, `seed ${seed}`).toBe(true);
      expect([...run.lsns.values()].every((lsn) => lsn === 120)).toBe(true);
    }
  });

  it("a follower catches up over a network that loses 90% of messages (the flag's maximum), and the run records when, over 30 seeds", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const run = runCatchUp(Trace.silent(), seed, { loss: 0.9, duplicate: seed % 2 });
      // The run stops the moment the logs agree; the catch-up time is recorded all the same.
      expect(run.identical, `seed ${seed}`).toBe(true);
      expect(
        run.caughtUpAtMs,
        `npx tsx replication/main.ts follower-catch-up --loss 0.9 --duplicate ${seed % 2} --seed ${seed}`,
      ).toBeDefined();
    }
  });
});
