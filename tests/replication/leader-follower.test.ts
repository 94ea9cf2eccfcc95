import { describe, expect, it } from "vitest";
import type { LeaderFollowerMessage } from "../../replication/leader-follower/messages.js";
import { Replica } from "../../replication/leader-follower/replica.js";
import { runLeaderFollower } from "../../replication/leader-follower/run.js";
import { checkLinearizable, kvModel } from "../../shared/check/linearizability.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace } from "../../shared/trace.js";
import { testDir } from "../shared/fixtures/temp.js";

const base = { followers: 2, clients: 3, operations: 40, failover: false, latencyMsMax: 10 };

describe("single-leader replication", () => {
  it("synchronous replication never acknowledges a write a follower lacks; asynchronous does", () => {
    let asyncAhead = 0;
    for (let seed = 1; seed <= 30; seed++) {
      expect(
        runLeaderFollower(Trace.silent(), { ...base, seed, mode: "sync", readFrom: "leader" })
          .ackedAheadOfFollowers,
        `seed ${seed}`,
      ).toBe(0);
      asyncAhead += runLeaderFollower(Trace.silent(), {
        ...base,
        seed,
        mode: "async",
        readFrom: "leader",
      }).ackedAheadOfFollowers;
    }
    expect(asyncAhead).toBeGreaterThan(0);
  });

  it("reads from the leader pass the linearizability checker; reads from lagging followers fail it on some seeds", () => {
    let followerFailures = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const leader = runLeaderFollower(Trace.silent(), {
        ...base,
        seed,
        mode: "async",
        readFrom: "leader",
      });
      expect(checkLinearizable(kvModel, leader.history).linearizable, `seed ${seed}`).toBe(true);
      const followers = runLeaderFollower(Trace.silent(), {
        ...base,
        seed,
        mode: "async",
        readFrom: "followers",
      });
      if (!checkLinearizable(kvModel, followers.history).linearizable) followerFailures++;
    }
    expect(followerFailures).toBeGreaterThan(0);
  });

  it("keeps both guarantees under loss, duplication, crashes and partitions (the fault flags), over 60 seeds", () => {
    const failures: string[] = [];
    let unknown = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const faults = {
        loss: [0.05, 0.1, 0.2][seed % 3] as number,
        duplicate: 0.1,
        crash: 1 + (seed % 3),
        partition: 1 + (seed % 2),
      };
      const sync = runLeaderFollower(Trace.silent(), {
        ...base,
        seed,
        mode: "sync",
        readFrom: "leader",
        faults,
      });
      if (sync.ackedAheadOfFollowers > 0) failures.push(`seed ${seed}: sync acknowledged ahead`);
      const leader = runLeaderFollower(Trace.silent(), {
        ...base,
        seed,
        mode: "async",
        readFrom: "leader",
        faults,
      });
      if (!checkLinearizable(kvModel, leader.history).linearizable)
        failures.push(`seed ${seed}: leader reads not linearizable`);
      unknown += leader.history.filter((op) => op.outcome !== "ok").length;
    }
    expect(failures).toEqual([]);
    // The faults did bite: operations timed out or were refused, and the checker had to allow for them.
    expect(unknown).toBeGreaterThan(60);
  });

  it("naive failover with asynchronous replication loses acknowledged writes and runs two leaders at once", () => {
    let lossRuns = 0;
    let splitRuns = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const r = runLeaderFollower(Trace.silent(), {
        ...base,
        seed,
        mode: "async",
        readFrom: "leader",
        failover: true,
        cutLeader: { atMs: 200, healAtMs: 500 },
      });
      if (r.lost.length > 0) lossRuns++;
      if (r.splitBrainMs > 0) splitRuns++;
      expect(r.finalLeader).not.toBe("r1");
    }
    expect(lossRuns).toBeGreaterThan(10);
    expect(splitRuns).toBe(20);
  });
});

describe("--export-history", () => {
  it("writes a Jepsen history that the checker, reading it back, judges as it judged the original", async () => {
    const { readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { parseJepsenHistory } = await import("../../shared/check/jepsen.js");
    const { exportHistory } = await import("../../replication/export.js");
    const path = join(testDir("export"), "history.edn");
    for (const readFrom of ["leader", "followers"] as const) {
      const run = runLeaderFollower(Trace.silent(), { ...base, seed: 3, mode: "async", readFrom });
      exportHistory(Trace.silent(), path, run.history);
      const reread = parseJepsenHistory(readFileSync(path, "utf8"));
      expect(reread).toHaveLength(run.history.length);
      expect(checkLinearizable(kvModel, reread).linearizable).toBe(
        checkLinearizable(kvModel, run.history).linearizable,
      );
    }
  });
});

describe("a leader, message by message", () => {
  it("appends a write once however often it arrives (a retry or a duplicated message)", () => {
    const sim = new Simulation({ seed: 1, trace: Trace.silent() });
    const net = new Network<LeaderFollowerMessage>(sim, { loss: 1 });
    const leader = net.add(
      new Replica("r1", net, { mode: "async", heartbeatMs: 20 }, true, ["r2"]),
    );
    const write = { type: "Write", requestId: "c-1", key: "k", value: "v" } as const;
    leader.receive("client", write);
    leader.receive("client", write);
    leader.receive("client", { ...write, requestId: "c-2", value: "w" });
    expect(leader.lsn).toBe(2);
    expect(leader.read("k")).toBe("w");
  });
});
