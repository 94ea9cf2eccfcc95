import { describe, expect, it } from "vitest";
import { runMultiLeader } from "../../replication/multi-leader.js";
import { multiLeaderWrites } from "../../replication/scenarios/multi-leader.js";
import { Random } from "../../shared/random.js";

describe("multi-leader conflict resolution, over seeds", () => {
  it("every strategy converges; siblings and merge lose nothing; last write wins is caught losing writes", () => {
    let lwwLost = 0;
    for (let seed = 1; seed <= 40; seed++) {
      for (const resolution of ["lww", "siblings", "merge"] as const) {
        const run = runMultiLeader(
          new Random(seed).fork("wan"),
          resolution,
          multiLeaderWrites(new Random(seed).fork("writes"), 100),
          40,
        );
        expect(run.converged, `seed ${seed}, ${resolution}`).toBe(true);
        if (resolution === "lww") lwwLost += run.silentlyLost.length;
        else expect(run.silentlyLost, `seed ${seed}, ${resolution}`).toEqual([]);
      }
    }
    expect(lwwLost).toBeGreaterThan(0);
  });

  it("merges figure 5-7's titles into B/C", () => {
    const run = runMultiLeader(new Random(1), "merge", multiLeaderWrites(new Random(1), 0), 40);
    expect(run.leaders.map((l) => l.read("title"))).toEqual([["B/C"], ["B/C"]]);
  });
});
