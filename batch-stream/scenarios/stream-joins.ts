/** Placeholder: the stream-joins scenario is being built. */
import type { Scenario } from "../../shared/cli.js";

export const streamJoins: Scenario = {
  name: "stream-joins",
  summary: "(being built)",
  run: ({ trace }) => {
    trace.notExercised("stream-joins", "this scenario is being built");
  },
};
