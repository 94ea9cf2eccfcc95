/** Placeholder: the windows scenario is being built. */
import type { Scenario } from "../../shared/cli.js";

export const windows: Scenario = {
  name: "windows",
  summary: "(being built)",
  run: ({ trace }) => {
    trace.notExercised("windows", "this scenario is being built");
  },
};
