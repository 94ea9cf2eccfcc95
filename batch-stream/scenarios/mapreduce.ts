/** Placeholder: the mapreduce scenario is being built. */
import type { Scenario } from "../../shared/cli.js";

export const mapreduce: Scenario = {
  name: "mapreduce",
  summary: "(being built)",
  run: ({ trace }) => {
    trace.notExercised("mapreduce", "this scenario is being built");
  },
};
