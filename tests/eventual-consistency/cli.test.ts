/** The eventual-consistency CLI as a user meets it (the suite every concept's CLI gets). */
import { eventualConsistency } from "../../eventual-consistency/main.js";
import { describeConceptCli } from "../shared/fixtures/cli-suite.js";

describeConceptCli(eventualConsistency, {
  scenarios: [
    "read-your-writes",
    "monotonic-reads",
    "consistent-prefix",
    "last-write-wins",
    "version-vectors",
    "crdts",
    "gossip",
    "cap",
    "consistency-models",
  ],
  dir: import.meta.dirname,
  // gossip's default run (225 runs up to N = 1,000) takes 2 to 3 s of CPU alone, more than
  // vitest's 5 s default on the shared 2-core machine when run twice or under load.
  timeoutMs: 30_000,
});
