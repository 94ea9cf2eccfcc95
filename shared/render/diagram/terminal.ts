/** Placeholder: the terminal space-time diagram (`--diagram`) is being built. */
import type { DiagramRun } from "./model.js";

export interface TerminalDiagramOptions {
  /** The terminal's width: no line of the diagram is wider. */
  widthColumns: number;
  /** Only what happens in [fromMs, toMs] of simulated time. */
  fromMs?: number;
  toMs?: number;
  /** chalk colour level: 0 for plain text. */
  colorLevel: 0 | 1 | 2 | 3;
}

export function renderTerminalDiagram(
  _run: DiagramRun,
  _options: TerminalDiagramOptions,
): string[] {
  throw new Error("the terminal diagram is being built");
}
