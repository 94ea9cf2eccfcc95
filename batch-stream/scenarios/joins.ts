/** Placeholder: the joins scenario is being built. */
import type { Scenario } from "../../shared/cli.js";

export const joins: Scenario = {
  name: "joins",
  summary: "(being built)",
  run: ({ trace }) => {
    trace.notExercised("joins", "this scenario is being built");
  },
};
