/**
 * Each eventual-consistency scenario with its size flags all at their maxima together (args as
 * after `main.ts`), for the flag-edge test (the fast ones) and the benchmark (all of them).
 * `fast`: under about 2 s of CPU on the 2-core machine this project is built on, start-up
 * included; the others took 2 to 3.6 s there (`npm run bench -- largest` times them all).
 *
 * Size flags: counts (users, operations, replicas, clients, writes, keys, updates, nodes, seeds,
 * conversations, observers), the checker's step budget, and the delays that lengthen a run (lag,
 * the read-from-leader window, clock skew, the partition's length, latency, partition rounds).
 * Fault counts (--crash) and probabilities are not size flags; gossip's table runs every N up to
 * --nodes-max.
 */
export const largest: { args: string[]; fast: boolean }[] = [
  {
    args: [
      "read-your-writes",
      "--users",
      "10",
      "--operations",
      "200",
      "--lag-ms",
      "5000",
      "--recent-ms",
      "10000",
    ],
    fast: false,
  },
  {
    args: ["monotonic-reads", "--users", "10", "--operations", "200", "--lag-ms", "5000"],
    fast: false,
  },
  {
    args: ["consistent-prefix", "--conversations", "100", "--observers", "5", "--lag-ms", "5000"],
    fast: false,
  },
  {
    args: [
      "last-write-wins",
      "--replicas",
      "9",
      "--writes",
      "5000",
      "--keys",
      "10",
      "--skew-ms",
      "1000",
    ],
    fast: false,
  },
  {
    args: ["version-vectors", "--replicas", "9", "--clients", "18", "--writes", "2000"],
    fast: false,
  },
  { args: ["crdts", "--replicas", "16", "--updates", "1000"], fast: true },
  {
    args: [
      "gossip",
      "--nodes-max",
      "1000",
      "--partition-rounds",
      "50",
      "--stop-after",
      "20",
      "--seeds",
      "10",
    ],
    fast: false,
  },
  {
    args: [
      "cap",
      "--replicas",
      "9",
      "--clients",
      "10",
      "--operations",
      "50",
      "--keys",
      "10",
      "--partition-ms",
      "5000",
      "--latency-ms",
      "100",
    ],
    fast: true,
  },
  {
    args: [
      "consistency-models",
      "--clients",
      "8",
      "--operations",
      "100",
      "--keys",
      "5",
      "--max-steps",
      "5000000",
    ],
    fast: true,
  },
];
