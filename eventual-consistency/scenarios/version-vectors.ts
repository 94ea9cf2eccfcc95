import type { Scenario } from "../../shared/cli.js";

/** Placeholder: the helper building this scenario replaces this file. */
export const versionVectors: Scenario<Record<string, never>> = {
  name: "version-vectors",
  summary: "(not built yet)",
  options: [],
  run: ({ trace }) => {
    trace.note("not built yet");
  },
};
