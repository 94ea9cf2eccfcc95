/** Placeholder: the exactly-once scenario is being built. */
import type { Scenario } from "../../shared/cli.js";

export const exactlyOnce: Scenario = {
  name: "exactly-once",
  summary: "(being built)",
  run: ({ trace }) => {
    trace.notExercised("exactly-once", "this scenario is being built");
  },
};
