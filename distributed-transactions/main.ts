/**
 * Distributed transactions (DDIA chapter 7, "Transactions"; chapter 9, "Atomic Commit and
 * Two-Phase Commit (2PC)" and "Distributed Transactions in Practice").
 *
 *   npx tsx distributed-transactions/main.ts              the tour
 *   npx tsx distributed-transactions/main.ts <scenario>   one scenario; --help lists them and their flags
 */
import { type Concept, main } from "../shared/cli.js";
import { dirtyReadsAndWrites } from "./scenarios/dirty-reads-and-writes.js";
import { hermitage } from "./scenarios/hermitage.js";
import { lostUpdate } from "./scenarios/lost-update.js";
import { phantoms } from "./scenarios/phantoms.js";
import { readSkew } from "./scenarios/read-skew.js";
import { saga } from "./scenarios/saga.js";
import { twoPhaseCommit } from "./scenarios/two-phase-commit.js";
import { writeSkew } from "./scenarios/write-skew.js";

export const distributedTransactions: Concept = {
  folder: "distributed-transactions",
  description:
    "Transactions: isolation levels step by step as PostgreSQL runs them, the anomalies each allows, and atomic commit across nodes (DDIA chapters 7 and 9).",
  scenarios: [
    dirtyReadsAndWrites,
    readSkew,
    lostUpdate,
    writeSkew,
    phantoms,
    hermitage,
    twoPhaseCommit,
    saga,
  ],
  tour: ["read-skew", "write-skew", "hermitage"],
};

if (import.meta.url === `file://${process.argv[1]}`) main(distributedTransactions);
