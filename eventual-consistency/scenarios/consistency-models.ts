import type { Scenario } from "../../shared/cli.js";

/** Placeholder: the helper building this scenario replaces this file. */
export const consistencyModels: Scenario<Record<string, never>> = {
  name: "consistency-models",
  summary: "(not built yet)",
  options: [],
  run: ({ trace }) => {
    trace.note("not built yet");
  },
};
