/** Placeholder: the cdc-and-event-sourcing scenario is being built. */
import type { Scenario } from "../../shared/cli.js";

export const cdcAndEventSourcing: Scenario = {
  name: "cdc-and-event-sourcing",
  summary: "(being built)",
  run: ({ trace }) => {
    trace.notExercised("cdc-and-event-sourcing", "this scenario is being built");
  },
};
