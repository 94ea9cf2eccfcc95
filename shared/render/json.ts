/** The NDJSON renderer: one JSON object per trace event, with the event's own field names. */
import type { TraceEvent } from "../trace.js";

export function renderJson(event: TraceEvent): string {
  return JSON.stringify(event);
}
