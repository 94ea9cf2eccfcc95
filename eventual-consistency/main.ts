/**
 * Eventual consistency, consistency models and CAP (DDIA chapter 5, "Problems with Replication
 * Lag" and "Detecting Concurrent Writes"; chapter 8, "Unreliable Clocks"; chapter 9,
 * "Linearizability" and "Ordering Guarantees").
 *
 *   npx tsx eventual-consistency/main.ts              the tour
 *   npx tsx eventual-consistency/main.ts <scenario>   one scenario; --help lists them and their flags
 */
import { type Concept, main } from "../shared/cli.js";
import { cap } from "./scenarios/cap.js";
import { consistencyModels } from "./scenarios/consistency-models.js";
import { consistentPrefix } from "./scenarios/consistent-prefix.js";
import { crdts } from "./scenarios/crdts.js";
import { gossip } from "./scenarios/gossip.js";
import { lastWriteWins } from "./scenarios/last-write-wins.js";
import { monotonicReads } from "./scenarios/monotonic-reads.js";
import { readYourWrites } from "./scenarios/read-your-writes.js";
import { versionVectors } from "./scenarios/version-vectors.js";

export const eventualConsistency: Concept = {
  folder: "eventual-consistency",
  description:
    "Eventual consistency: replication lag and session guarantees, conflicts and CRDTs, gossip, CAP, and consistency models (DDIA chapters 5, 8 and 9).",
  scenarios: [
    readYourWrites,
    monotonicReads,
    consistentPrefix,
    lastWriteWins,
    versionVectors,
    crdts,
    gossip,
    cap,
    consistencyModels,
  ],
  tour: ["read-your-writes", "last-write-wins", "crdts", "cap"],
};

if (import.meta.url === `file://${process.argv[1]}`) main(eventualConsistency);
