/** Placeholder: the self-contained web page (`--html`) is being built. */
import type { TraceEvent } from "../../trace.js";
import type { DiagramRun } from "./model.js";

export interface HtmlOptions {
  /** The page's title: the scenario and seed. */
  title: string;
}

export function renderHtml(
  _runs: readonly DiagramRun[],
  _events: readonly TraceEvent[],
  _options: HtmlOptions,
): string {
  throw new Error("the HTML page is being built");
}
