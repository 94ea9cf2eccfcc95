/**
 * Each batch-stream scenario with its size flags all at their maxima together (args as after
 * `main.ts`), for the flag-edge test (the fast ones) and the benchmark (all of them). `fast`:
 * under about 2 s of CPU on the 2-core machine this project is built on, start-up included; the
 * others took 3 to 6.5 s there (`npm run bench -- largest` times them all).
 *
 * Size flags: counts (lines, records, map tasks through --block-records at its smallest useful
 * value, workers, reducers, users, events, searches, activities, social events, writes, keys,
 * commands, seats), the external sort's memory budget at its smallest (the most runs and merge
 * passes), the durations that keep windows open longest, the out-of-order bound, and the
 * checkpoint interval at its smallest (the most checkpoints). Fault counts and probabilities are
 * not size flags.
 */
export const largest: { args: string[]; fast: boolean }[] = [
  {
    args: ["unix", "--lines", "200000", "--top", "50", "--ranges", "64", "--memory-records", "3"],
    fast: false,
  },
  {
    args: [
      "mapreduce",
      "--workers",
      "16",
      "--reducers",
      "16",
      "--records",
      "200000",
      "--block-records",
      "500",
      "--top",
      "50",
    ],
    fast: false,
  },
  {
    args: ["joins", "--users", "5000", "--events", "50000", "--workers", "16", "--reducers", "16"],
    fast: false,
  },
  {
    args: ["windows", "--out-of-orderness", "1000d", "--allowed-lateness", "1000d"],
    fast: true,
  },
  {
    args: [
      "stream-joins",
      "--searches",
      "2000",
      "--activities",
      "2000",
      "--social-events",
      "2000",
      "--out-of-order",
      "59",
    ],
    fast: true,
  },
  {
    args: [
      "cdc-and-event-sourcing",
      "--writes",
      "5000",
      "--keys",
      "100",
      "--commit-every",
      "100",
      "--commands",
      "2000",
      "--capacity",
      "1000",
    ],
    fast: true,
  },
  {
    args: ["exactly-once", "--records", "20000", "--checkpoint-interval", "10"],
    fast: false,
  },
];
