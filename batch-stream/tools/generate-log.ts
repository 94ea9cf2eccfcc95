/** Placeholder: the generate-log command is being built. */
import type { Tool } from "../../shared/cli.js";

export const generateLog: Tool = {
  name: "generate-log",
  summary: "(being built)",
  run: (_options, io) => {
    io.stderr("generate-log is being built\n");
    return 1;
  },
};
