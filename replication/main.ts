/**
 * Replication (DDIA chapter 5, "Replication"; chapter 9 for consensus and linearizability).
 *
 *   npx tsx replication/main.ts              the tour
 *   npx tsx replication/main.ts <scenario>   one scenario; --help lists them and their flags
 */
import { type Concept, main } from "../shared/cli.js";
import { antiEntropyScenario } from "./scenarios/anti-entropy.js";
import { concurrentWrites } from "./scenarios/concurrent-writes.js";
import { fencing } from "./scenarios/fencing.js";
import { followerCatchUp } from "./scenarios/follower-catch-up.js";
import { failover, readFromFollowers, syncVsAsync } from "./scenarios/leader-follower.js";
import { multiLeader } from "./scenarios/multi-leader.js";
import { quorum } from "./scenarios/quorum.js";
import { sloppyQuorum } from "./scenarios/sloppy-quorum.js";
import { topologies } from "./scenarios/topologies.js";

export const replication: Concept = {
  folder: "replication",
  description:
    "Replication: leaders and followers, failover, and what reads can see (DDIA chapter 5).",
  scenarios: [
    syncVsAsync,
    followerCatchUp,
    failover,
    readFromFollowers,
    multiLeader,
    topologies,
    quorum,
    sloppyQuorum,
    antiEntropyScenario,
    concurrentWrites,
    fencing,
  ],
  tour: ["failover", "read-from-followers", "quorum"],
};

if (import.meta.url === `file://${process.argv[1]}`) main(replication);
