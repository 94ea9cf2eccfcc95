/** Placeholder: the ShiViz log (`--shiviz`) is being built. */
import type { DiagramRun } from "./model.js";

export function renderShiviz(_runs: readonly DiagramRun[]): string {
  throw new Error("the ShiViz log is being built");
}
