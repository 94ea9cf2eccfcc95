/**
 * Each sharding scenario with its size flags all at their maxima together (issue 9, section 3):
 * the arguments after `sharding/main.ts`. Every one completes in under 30 s here; `fast` marks
 * those that take under about 3 s, which the flag-edge test runs, while `npm run bench` times all.
 * Fault counts (--crash, --partition) and rates stay at their defaults: they are not sizes.
 */
export const largest: { args: string[]; fast: boolean }[] = [
  { args: ["key-range", "--keys", "1000000", "--partitions", "64"], fast: false },
  { args: ["hash-mod-n", "--nodes", "64", "--keys", "1000000"], fast: false },
  {
    args: ["consistent-hashing", "--nodes", "64", "--keys", "1000000", "--vnodes", "1024"],
    fast: false,
  },
  { args: ["jump-hash", "--nodes", "64", "--keys", "1000000"], fast: false },
  { args: ["rendezvous", "--nodes", "64", "--keys", "1000000"], fast: false },
  {
    args: ["fixed-partitions", "--nodes", "64", "--keys", "1000000", "--partitions", "4096"],
    fast: false,
  },
  {
    args: ["dynamic-partitions", "--nodes", "64", "--keys", "100000", "--split-size", "100000"],
    fast: true,
  },
  {
    args: [
      "hot-key",
      "--nodes",
      "64",
      "--keys",
      "100000",
      "--requests",
      "1000000",
      "--hot",
      "1000",
      "--salt",
      "100",
    ],
    fast: true,
  },
  { args: ["secondary-index", "--keys", "10000", "--partitions", "26"], fast: true },
  {
    args: [
      "rebalance",
      "--nodes",
      "64",
      "--partitions",
      "256",
      "--keys",
      "10000",
      "--clients",
      "32",
    ],
    fast: true,
  },
  {
    args: [
      "compare",
      "--nodes",
      "64",
      "--keys",
      "1000000",
      "--vnodes",
      "1024",
      "--partitions",
      "4096",
    ],
    fast: false,
  },
];
