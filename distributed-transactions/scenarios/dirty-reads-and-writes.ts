import type { Scenario } from "../../shared/cli.js";

/** Placeholder: the engineer building this scenario replaces this file. */
export const dirtyReadsAndWrites: Scenario<Record<string, never>> = {
  name: "dirty-reads-and-writes",
  summary: "(not built yet)",
  options: [],
  run: ({ trace }) => {
    trace.note("not built yet");
  },
};
