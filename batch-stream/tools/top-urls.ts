/** Placeholder: the top-urls command is being built. */
import type { Tool } from "../../shared/cli.js";

export const topUrls: Tool = {
  name: "top-urls",
  summary: "(being built)",
  run: (_options, io) => {
    io.stderr("top-urls is being built\n");
    return 1;
  },
};
