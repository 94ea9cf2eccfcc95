/** Placeholder: the unix scenario is being built. */
import type { Scenario } from "../../shared/cli.js";

export const unix: Scenario = {
  name: "unix",
  summary: "(being built)",
  run: ({ trace }) => {
    trace.notExercised("unix", "this scenario is being built");
  },
};
