import type { Scenario } from "../../shared/cli.js";

/** Placeholder: the engineer building this scenario replaces this file. */
export const readSkew: Scenario<Record<string, never>> = {
  name: "read-skew",
  summary: "(not built yet)",
  options: [],
  run: ({ trace }) => {
    trace.note("not built yet");
  },
};
