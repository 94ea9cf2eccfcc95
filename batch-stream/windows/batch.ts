/**
 * The same aggregation as a batch job (DDIA ch. 10, "Reduce-Side Joins and Grouping: GROUP BY"):
 * the whole input at once, every event mapped to (key, window) pairs, sorted, and each run of
 * equal pairs summed, as a MapReduce job with the window in its key would do. Written apart from
 * the window operator, and by other formulas (floor division, not the operator's remainder; a
 * session split wherever two consecutive events of a key are more than the gap apart), so that
 * the tests can hold one against the other: with a watermark that never passes an event still in
 * flight, the stream job's final panes must equal this.
 */
import type { WindowAssigner } from "./assigners.js";

export interface Event {
  readonly key: string;
  readonly value: number;
  readonly eventTime: number;
}

export interface WindowResult {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly value: number;
}

const byKeyThen = (a: { key: string }, b: { key: string }) =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0;

/**
 * Sum of values per key and window, sorted by key then window start. `admits`, for tumbling and
 * hopping windows, leaves out the (event, window) pairs it refuses: the batch answer over what a
 * stream job took, when it took an event into some of its windows and not others.
 */
export function batchWindows(
  events: readonly Event[],
  assigner: WindowAssigner,
  admits?: (event: Event, start: number, end: number) => boolean,
): WindowResult[] {
  if (assigner.kind === "session") return batchSessions(events, assigner.gapMs);
  const size = assigner.sizeMs;
  const slide = assigner.kind === "sliding" ? assigner.slideMs : size;
  // Map: each event to every window [k·slide, k·slide + size) holding it.
  const pairs: { key: string; start: number; value: number }[] = [];
  for (const e of events) {
    const lastK = Math.floor(e.eventTime / slide);
    for (let k = lastK; k * slide + size > e.eventTime; k--)
      if (admits === undefined || admits(e, k * slide, k * slide + size))
        pairs.push({ key: e.key, start: k * slide, value: e.value });
  }
  // Sort, then reduce each run of one (key, window).
  pairs.sort((a, b) => byKeyThen(a, b) || a.start - b.start);
  const results: WindowResult[] = [];
  for (let i = 0; i < pairs.length; ) {
    const first = pairs[i] as (typeof pairs)[number];
    let value = 0;
    for (; i < pairs.length; i++) {
      const p = pairs[i] as (typeof pairs)[number];
      if (p.key !== first.key || p.start !== first.start) break;
      value += p.value;
    }
    results.push({ key: first.key, start: first.start, end: first.start + size, value });
  }
  return results;
}

function batchSessions(events: readonly Event[], gapMs: number): WindowResult[] {
  const sorted = [...events].sort((a, b) => byKeyThen(a, b) || a.eventTime - b.eventTime);
  const results: WindowResult[] = [];
  for (let i = 0; i < sorted.length; ) {
    const first = sorted[i] as Event;
    let last = first;
    let value = 0;
    for (; i < sorted.length; i++) {
      const e = sorted[i] as Event;
      if (e.key !== first.key || e.eventTime - last.eventTime > gapMs) break;
      value += e.value;
      last = e;
    }
    results.push({ key: first.key, start: first.eventTime, end: last.eventTime + gapMs, value });
  }
  return results;
}
