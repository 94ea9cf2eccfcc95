/**
 * Each distributed-transactions scenario with its size flags all at their maxima together (args
 * as after `main.ts`), for the flag-edge test (the fast ones) and the benchmark (all of them).
 * `fast`: under about 1 s of CPU on the 2-core machine this project is built on, start-up
 * included; the others took 1.3 to 2.7 s there. Size flags: counts of transactions and
 * participants. Fault counts (--crash) and probabilities are not size flags.
 */
export const largest: { args: string[]; fast: boolean }[] = [
  { args: ["dirty-reads-and-writes"], fast: true },
  { args: ["read-skew"], fast: true },
  { args: ["lost-update", "--transactions", "500"], fast: false },
  { args: ["write-skew", "--transactions", "500"], fast: false },
  { args: ["phantoms"], fast: true },
  { args: ["hermitage"], fast: true },
  {
    args: ["two-phase-commit", "--transactions", "2000", "--participants", "8"],
    fast: false,
  },
  { args: ["saga", "--transactions", "2000"], fast: false },
];
