/**
 * Window assigners (DDIA ch. 11, "Reasoning About Time: Types of windows"): which windows an
 * event belongs to, from its event time alone. The rules are Flink's
 * (TumblingEventTimeWindows, SlidingEventTimeWindows and EventTimeSessionWindows, offset 0):
 *
 *   - tumbling, size S: the one window [start, start + S) with start = t - ((t mod S) + S) mod S,
 *     so that negative times round down too (Flink's TimeWindow.getWindowStartWithOffset, as
 *     fixed for negative times by FLINK-26334 in 2022);
 *   - hopping (Flink: sliding), size S every D: every window [k·D, k·D + S) that contains t,
 *     that is S / D windows when D divides S, listed here earliest first (Flink's
 *     SlidingEventTimeWindows lists them latest first, and the operator takes them in its order);
 *   - session, gap G: each event opens [t, t + G), and windows that overlap or touch merge
 *     (Flink's TimeWindow.intersects is `start <= other.end && end >= other.start`), so two
 *     events of one key share a session exactly when a chain of events less than or equal to G
 *     apart joins them.
 *
 * A window is [start, end): `end` is excluded and its last instant, Flink's maxTimestamp, is
 * end - 1 (times are whole milliseconds).
 */

export type WindowAssigner =
  | { readonly kind: "tumbling"; readonly sizeMs: number }
  | { readonly kind: "sliding"; readonly sizeMs: number; readonly slideMs: number }
  | { readonly kind: "session"; readonly gapMs: number };

/** Start of the window of length `sizeMs` aligned at 0 that contains `time`. */
export function windowStart(time: number, sizeMs: number): number {
  return time - (((time % sizeMs) + sizeMs) % sizeMs);
}

/**
 * The windows an event at `time` is assigned to, as [start, end) pairs, earliest first. For a
 * session this is the event's own window before any merge.
 */
export function assignWindows(assigner: WindowAssigner, time: number): [number, number][] {
  switch (assigner.kind) {
    case "tumbling": {
      const start = windowStart(time, assigner.sizeMs);
      return [[start, start + assigner.sizeMs]];
    }
    case "sliding": {
      const windows: [number, number][] = [];
      const last = windowStart(time, assigner.slideMs);
      for (let start = last; start > time - assigner.sizeMs; start -= assigner.slideMs)
        windows.push([start, start + assigner.sizeMs]);
      return windows.reverse();
    }
    case "session":
      return [[time, time + assigner.gapMs]];
  }
}

/** "tumbling 1m", "hopping 2m every 1m", "session (gap 30s)", with `format` for durations. */
export function describeAssigner(assigner: WindowAssigner, format: (ms: number) => string): string {
  switch (assigner.kind) {
    case "tumbling":
      return `tumbling windows of ${format(assigner.sizeMs)}`;
    case "sliding":
      return `hopping windows of ${format(assigner.sizeMs)} every ${format(assigner.slideMs)}`;
    case "session":
      return `session windows with a gap of ${format(assigner.gapMs)}`;
  }
}
