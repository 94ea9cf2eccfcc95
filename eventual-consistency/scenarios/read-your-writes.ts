import type { Scenario } from "../../shared/cli.js";

/** Placeholder: the helper building this scenario replaces this file. */
export const readYourWrites: Scenario<Record<string, never>> = {
  name: "read-your-writes",
  summary: "(not built yet)",
  options: [],
  run: ({ trace }) => {
    trace.note("not built yet");
  },
};
