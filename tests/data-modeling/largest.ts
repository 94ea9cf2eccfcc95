/**
 * Each data-modeling scenario with its size flags all at their maxima together (issue 9,
 * section 3): the arguments after `data-modeling/main.ts`. Every one completes in under 30 s
 * here; `fast` marks those that take under about 3 s, which the flag-edge test runs, while
 * `npm run bench` times all.
 */
export const largest: { args: string[]; fast: boolean }[] = [
  { args: ["resume", "--profiles", "10000"], fast: false },
  { args: ["normalization", "--orders", "1000"], fast: false },
  {
    args: ["denormalization", "--products", "10000", "--reads", "100000", "--writes", "100000"],
    fast: false,
  },
  { args: ["graph", "--people", "10000"], fast: false },
  { args: ["schema-flexibility", "--users", "100000"], fast: false },
];
