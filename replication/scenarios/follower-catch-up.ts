/**
 * Setting up new followers and catching up after a crash (DDIA ch. 5, "Setting Up New Followers"
 * and "Handling Node Outages: Follower failure: Catch-up recovery").
 */

import { networkFaultOptions, type Scenario } from "../../shared/cli.js";
import { describeFaults, type FaultFlags } from "../../shared/faults.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import type { LeaderFollowerMessage } from "../leader-follower/messages.js";
import { Replica } from "../leader-follower/replica.js";
import { REF } from "../refs.js";
import { describeLoss } from "./loss-option.js";

export interface CatchUpRun {
  leaderLsn: number;
  lsns: Map<string, number>;
  identical: boolean;
  recoveredAtLsn: number;
  caughtUpAtMs: number | undefined;
}

type NetworkFaults = Pick<FaultFlags, "loss" | "duplicate">;

/**
 * A leader takes a steady stream of writes while r3 crashes and returns, and r4 joins from a
 * snapshot; messages may be lost or duplicated (the leader re-sends from each follower's last
 * acknowledged LSN on every heartbeat, and a follower takes only the next LSN it lacks).
 */
export function runCatchUp(
  trace: Trace,
  seed: number,
  faults: NetworkFaults = { loss: 0, duplicate: 0 },
): CatchUpRun {
  const sim = new Simulation({ seed, trace });
  const net = new Network<LeaderFollowerMessage>(sim, {
    latencyMsMin: 1,
    latencyMsMax: 10,
    loss: faults.loss,
    duplicate: faults.duplicate,
  });
  const described = describeFaults(faults, []);
  if (described !== undefined) trace.note(described, { level: "summary" });
  const config = { mode: "async" as const, heartbeatMs: 20 };
  const leader = net.add(new Replica("r1", net, config, true, ["r2", "r3"]));
  const followers = [
    net.add(new Replica("r2", net, config, false, [])),
    net.add(new Replica("r3", net, config, false, [])),
  ];
  const r4 = net.add(new Replica("r4", net, config, false, []));
  const r3 = () => followers[1] as Replica;
  // A writer: one write every 5 ms for 600 ms (it talks to the leader directly; acknowledgements are not needed here).
  for (let i = 0; i < 120; i++)
    sim.at(5 + i * 5, () =>
      leader.onMessage("writer", {
        type: "Write",
        requestId: `w${i}`,
        key: `k${i % 5}`,
        value: `v${i}`,
      }),
    );
  let recoveredAtLsn = 0;
  let caughtUpAtMs: number | undefined;
  sim.at(100, () => (followers[1] as Replica).crash());
  sim.at(350, () => {
    const r3 = followers[1] as Replica;
    r3.recover();
    recoveredAtLsn = r3.lsn;
    r3.note(
      `restarts with its log at LSN ${r3.lsn}, while the leader is at LSN ${leader.lsn}; it asks for everything after it`,
      { ref: REF.catchUp },
    );
    const watch = () => {
      if (r3.lsn >= leader.lsn) caughtUpAtMs = sim.now;
      else sim.schedule(1, watch);
    };
    watch();
  });
  sim.at(400, () => {
    const at = leader.lsn;
    r4.installSnapshot(leader.snapshot(at));
    leader.addFollower("r4", at);
  });
  const replicas = [...followers, r4];
  const identical = () => {
    // Evaluated after every event: compare positions first, and whole logs only when they match.
    if (replicas.some((r) => r.lsn !== leader.lsn)) return false;
    const leaderLog = JSON.stringify(leader.snapshot());
    return replicas.every((r) => JSON.stringify(r.snapshot()) === leaderLog);
  };
  // At least until the writes are done and r4 has joined; then until every follower has the
  // leader's log (under heavy loss that takes a while), or a minute of simulated time.
  sim.run(1_500);
  sim.runUntil(identical, 60_000);
  // The run stops the moment the logs agree, which may come before the watch's next look.
  if (caughtUpAtMs === undefined && sim.now >= 350 && r3().lsn >= leader.lsn)
    caughtUpAtMs = sim.now;
  return {
    leaderLsn: leader.lsn,
    lsns: new Map(replicas.map((r) => [r.id, r.lsn])),
    identical: identical(),
    recoveredAtLsn,
    caughtUpAtMs,
  };
}

export const followerCatchUp: Scenario<NetworkFaults> = {
  name: "follower-catch-up",
  networked: true,
  summary:
    "a follower crashes and catches up from its own log position; a new follower starts from a snapshot plus the log after it",
  options: describeLoss(
    networkFaultOptions({ loss: 0, duplicate: 0 }),
    "at most 0.9, since the point is that the crashed follower catches up, which over a network that loses nearly everything it may not do within the run's minute of simulated time (at 1, never)",
    0.9,
  ),
  run: ({ trace, seed }, options) => {
    trace.section(
      "A crashed follower catches up, and a new one joins from a snapshot",
      REF.catchUp,
    );
    trace.note(
      "The leader takes 120 writes over 600 ms. Follower r3 crashes at 100 ms and returns at 350 ms with the log it had on disk: it knows the last LSN it processed and receives everything after it. At 400 ms a new follower r4 is set up as the book describes: a consistent snapshot of the leader tied to a log position, copied over, then the leader's log from that position on.",
      { ref: REF.newFollowers },
    );
    const run = runCatchUp(trace, seed, options);
    trace.table(
      "At the end",
      ["replica", "LSN"],
      [
        ["r1 (leader)", run.leaderLsn],
        ...[...run.lsns].map(([id, lsn]): [string, number] => [id, lsn]),
      ],
    );
    trace.check(
      "the crashed follower caught up from its own position",
      run.caughtUpAtMs !== undefined,
      {
        ref: REF.catchUp,
        detail:
          run.caughtUpAtMs === undefined
            ? "still behind"
            : `from LSN ${run.recoveredAtLsn}, caught up by ${run.caughtUpAtMs.toFixed(1)} ms`,
      },
    );
    trace.check(
      "every follower, the new one included, ends with exactly the leader's log",
      run.identical,
    );
  },
};
