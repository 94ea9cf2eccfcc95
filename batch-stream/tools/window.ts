/** Placeholder: the window command is being built. */
import type { Tool } from "../../shared/cli.js";

export const window: Tool = {
  name: "window",
  summary: "(being built)",
  run: (_options, io) => {
    io.stderr("window is being built\n");
    return 1;
  },
};
