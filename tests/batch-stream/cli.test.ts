/** The batch-stream CLI as a user meets it (the suite every concept's CLI gets). */
import { batchStream } from "../../batch-stream/main.js";
import { describeConceptCli } from "../shared/fixtures/cli-suite.js";

describeConceptCli(batchStream, {
  scenarios: [
    "unix",
    "mapreduce",
    "joins",
    "windows",
    "stream-joins",
    "cdc-and-event-sourcing",
    "exactly-once",
  ],
  dir: import.meta.dirname,
  // mapreduce's default run (two simulated jobs of 2,000 records, three times over) takes a few
  // seconds of CPU, more than vitest's 5 s default on the shared 2-core machine under load.
  timeoutMs: 30_000,
});
