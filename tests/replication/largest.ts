/**
 * Each replication scenario with its size flags all at their maxima together (args as after
 * `main.ts`), for the flag-edge test (the fast ones) and the benchmark (all of them). A scenario
 * without size flags appears with its defaults. `fast`: under about 3 s on the 2-core machine this
 * project is built on, start-up included (`node --import tsx`, best of two, with others at work
 * on it); the others took 3 to 11 s there.
 *
 * Size flags: counts of nodes, operations, writes and keys, tree depth and quorum sizes, and the
 * two delays that lengthen a run (multi-leader's --wan, fencing's --pause). Fault counts
 * (--crash, --partition) and probabilities are not size flags.
 */
export const largest: { args: string[]; fast: boolean }[] = [
  { args: ["sync-vs-async", "--followers", "8", "--operations", "10000"], fast: false },
  { args: ["follower-catch-up"], fast: true },
  { args: ["failover"], fast: true },
  { args: ["read-from-followers", "--operations", "10000"], fast: false },
  { args: ["multi-leader", "--writes", "100000", "--wan", "10000"], fast: false },
  { args: ["topologies"], fast: true },
  { args: ["quorum", "--n", "9", "--w", "9", "--r", "9", "--operations", "10000"], fast: false },
  { args: ["sloppy-quorum"], fast: true },
  {
    args: ["anti-entropy", "--keys", "100000", "--writes", "200000", "--depth", "16"],
    fast: false,
  },
  { args: ["concurrent-writes"], fast: true },
  { args: ["fencing", "--pause", "10000"], fast: true },
];
