/** Placeholder: the SVG space-time diagram (`--svg`) is being built. */
import type { DiagramRun } from "./model.js";

export interface SvgOptions {
  /** The page's title: the scenario and seed. */
  title: string;
}

export function renderSvg(_runs: readonly DiagramRun[], _options: SvgOptions): string {
  throw new Error("the SVG diagram is being built");
}
