/** The distributed-transactions CLI as a user meets it (the suite every concept's CLI gets). */
import { distributedTransactions } from "../../distributed-transactions/main.js";
import { describeConceptCli } from "../shared/fixtures/cli-suite.js";

describeConceptCli(distributedTransactions, {
  scenarios: [
    "dirty-reads-and-writes",
    "read-skew",
    "lost-update",
    "write-skew",
    "phantoms",
    "hermitage",
    "two-phase-commit",
    "saga",
  ],
  dir: import.meta.dirname,
  timeoutMs: 30_000,
});
