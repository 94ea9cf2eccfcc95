import type { Scenario } from "../../shared/cli.js";

/** Placeholder: the engineer building this scenario replaces this file. */
export const lostUpdate: Scenario<Record<string, never>> = {
  name: "lost-update",
  summary: "(not built yet)",
  options: [],
  run: ({ trace }) => {
    trace.note("not built yet");
  },
};
