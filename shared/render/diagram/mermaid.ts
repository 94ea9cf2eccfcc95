/** Placeholder: the Mermaid sequence diagram (`--mermaid`) is being built. */
import type { DiagramRun } from "./model.js";

export interface MermaidOptions {
  /** Most messages drawn; a note says what was cut. */
  maxMessages?: number;
}

export function renderMermaid(_runs: readonly DiagramRun[], _options: MermaidOptions = {}): string {
  throw new Error("the Mermaid diagram is being built");
}
