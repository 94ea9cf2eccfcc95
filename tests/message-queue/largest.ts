/**
 * Each message-queue scenario with all its size flags at their maxima together (arguments as they
 * follow `main.ts`). The flag-edge test runs the entries marked `fast`; `npm run bench` times them
 * all. Fault counts (--crash, --partition) count as size flags: each fault adds recovery work.
 */
export const largest: { args: string[]; fast: boolean }[] = [
  {
    args: [
      "competing-consumers",
      "--messages",
      "100000",
      "--prefetch",
      "1000",
      "--consumers",
      "32",
      "--max-deliveries",
      "100",
    ],
    fast: false,
  },
  { args: ["partitions", "--partitions", "64", "--messages", "100000"], fast: true },
  {
    args: ["consumer-groups", "--partitions", "64", "--consumers", "32", "--messages", "100000"],
    fast: true,
  },
  {
    args: ["retention-and-compaction", "--users", "10000", "--updates", "1000000"],
    fast: false,
  },
  {
    args: [
      "replication",
      "--brokers",
      "9",
      "--partitions",
      "8",
      "--replication-factor",
      "9",
      "--messages",
      "10000",
      "--crash",
      "20",
      "--partition",
      "20",
      "--compare-seeds",
      "50",
    ],
    fast: false,
  },
  {
    args: [
      "idempotent-producer",
      "--partitions",
      "8",
      "--messages",
      "10000",
      "--crash",
      "20",
      "--partition",
      "20",
    ],
    fast: false,
  },
  { args: ["exactly-once", "--messages", "100000", "--batch", "1000"], fast: true },
];
