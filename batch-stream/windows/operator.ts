/**
 * The window operator (DDIA ch. 11, "Reasoning About Time"): sums each key's values per window of
 * event time, fires a window once the watermark says its events are in, and lets events that come
 * later update it for a while (the allowed lateness) before dropping them. The book leaves the
 * choice open ("ignore the straggler events" or "publish a correction"); we follow Flink's
 * WindowOperator with its EventTimeTrigger, exactly:
 *
 *   - The watermark W claims that no event at or before W is still to come. Watermarks only move
 *     forward: one no higher than the current is ignored (a lower one is counted), as Flink's
 *     input (StatusWatermarkValve) passes on only a watermark above the last it passed.
 *   - A window fires when W >= maxTimestamp = end - 1 (EventTimeTrigger's timer).
 *   - A window is late, and gets no more events, once cleanupTime <= W, where
 *     cleanupTime = maxTimestamp + allowedLateness (WindowOperator.isWindowLate); its state is
 *     deleted then (the cleanup timer, clearAllState).
 *   - An event added to a window whose maxTimestamp <= W, not yet late, fires it at once
 *     (EventTimeTrigger.onElement returns FIRE): a late pane. Usually the window has fired
 *     already and fires again; a window that first opens behind the watermark fires first so.
 *   - An event that every one of its windows refuses as late is dropped and counted (Flink's
 *     numLateRecordsDropped, for an element whose timestamp + allowedLateness <= W, which holds
 *     whenever all its windows are late). A hopping event refused by some windows and taken by
 *     others is not dropped: it counts in the windows that took it, as in Flink.
 *   - Sessions (MergingWindowSet, TimeWindow.mergeWindows): the event's window [t, t + gap)
 *     merges with every open session of its key that it overlaps or touches; the merged session's
 *     timer is set if its end - 1 is still ahead of W (EventTimeTrigger.onMerge), and it fires at
 *     once if not. Only a window that merges with nothing can be late, since every open session
 *     is not; so a late event can bridge two sessions and merge them, and one whose own window is
 *     not late opens a new session even beside (or over) one already cleaned up, which Flink has
 *     forgotten.
 *   - The end of the input is a final watermark of +infinity (Flink's Long.MAX_VALUE, which a
 *     bounded source emits when it ends): every window that has not fired fires, and then every
 *     window is cleaned up, allowed lateness or not. A window that had already fired gets no
 *     extra pane at the end: its cleanup timer is not its maxTimestamp, so EventTimeTrigger's
 *     onEventTime returns CONTINUE, and its last pane stands.
 *
 * Panes take their names from Apache Beam's PaneInfo (Flink has no such notion): `timing` is
 * ON_TIME for a firing by the watermark's timer and LATE for a firing caused by an event behind
 * the watermark; `pane` counts a window's firings from 0. A session made by merging continues from
 * the highest pane index among the sessions it absorbed, and fires ON_TIME again if its new end is
 * ahead of the watermark (Beam would call every pane after a window's first on-time one LATE).
 * Accumulating and discarding are Beam's accumulation modes too. In accumulating mode a pane
 * carries the window's whole sum (Flink's default: EventTimeTrigger returns FIRE, which keeps the
 * window's contents); in discarding mode only what arrived since the window's last firing (in
 * Flink, PurgingTrigger.of(EventTimeTrigger), whose FIRE_AND_PURGE clears the contents).
 *
 * The order of output. Late panes come out as their events arrive; the late panes of one hopping
 * event in Flink's order, the latest window first (SlidingEventTimeWindows.assignWindows). Panes
 * fired by one watermark come out by window end, then start, then key (JavaScript string order),
 * an order of our own: Flink's timer queue orders by time alone.
 *
 * Memory: state per open window (its key, bounds, sum and pane count) and two timer heaps of at
 * most one live entry per open window each. A session absorbed by a merge leaves its two entries
 * behind, stale; they go when the watermark passes their times (no later than those of the
 * session that absorbed it), and whenever a merge leaves a heap with more than two entries per
 * open window plus 1,024, the heap is rebuilt without them, so that merges without watermarks do
 * not pile them up. Nothing is kept per event. A window stays open until the watermark passes its
 * end plus the allowed lateness, so an input without watermarks keeps every window until its end.
 */

import { type WindowAssigner, windowStart } from "./assigners.js";

export type Timing = "ON_TIME" | "LATE";
export type Mode = "accumulating" | "discarding";

export interface Pane {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly value: number;
  readonly timing: Timing;
  readonly pane: number;
}

export interface OperatorOptions {
  readonly assigner: WindowAssigner;
  readonly allowedLatenessMs: number;
  readonly mode: Mode;
}

/** What became of one event. */
export type Admission = "on-time" | "late" | "dropped";

interface WindowState {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  /** The window's contents: its whole sum (accumulating) or the sum since its last firing. */
  sum: number;
  /** Whether `sum` holds anything to emit (discarding mode empties it at each firing). */
  filled: boolean;
  panes: number;
  /** False once cleaned up or absorbed by a session merge; heap entries for it are then stale. */
  live: boolean;
}

/** Rebuild a heap once it holds more than this many entries beyond two per open window. */
const STALE_TIMERS_MAX = 1_024;

/** A binary min-heap of windows, by (time, end, start, key). */
class TimerHeap {
  private times: number[] = [];
  private windows: WindowState[] = [];

  get size(): number {
    return this.times.length;
  }

  /** Drop the entries of windows no longer live and restore the heap order (Floyd's heapify). */
  removeStale(): void {
    const times: number[] = [];
    const windows: WindowState[] = [];
    for (let i = 0; i < this.times.length; i++) {
      const window = this.windows[i] as WindowState;
      if (!window.live) continue;
      times.push(this.times[i] as number);
      windows.push(window);
    }
    this.times = times;
    this.windows = windows;
    for (let i = (times.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftDown(from: number): void {
    const n = this.times.length;
    let i = from;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.less(right, left) ? right : left;
      if (!this.less(child, i)) break;
      this.swap(i, child);
      i = child;
    }
  }

  private less(i: number, j: number): boolean {
    const ti = this.times[i] as number;
    const tj = this.times[j] as number;
    if (ti !== tj) return ti < tj;
    const a = this.windows[i] as WindowState;
    const b = this.windows[j] as WindowState;
    if (a.end !== b.end) return a.end < b.end;
    if (a.start !== b.start) return a.start < b.start;
    return a.key < b.key;
  }

  private swap(i: number, j: number): void {
    const t = this.times[i] as number;
    this.times[i] = this.times[j] as number;
    this.times[j] = t;
    const w = this.windows[i] as WindowState;
    this.windows[i] = this.windows[j] as WindowState;
    this.windows[j] = w;
  }

  push(time: number, window: WindowState): void {
    this.times.push(time);
    this.windows.push(window);
    let i = this.times.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** The earliest window if its time is at most `limit`, removed; otherwise undefined. */
  popUntil(limit: number): WindowState | undefined {
    if (this.times.length === 0 || (this.times[0] as number) > limit) return undefined;
    const top = this.windows[0] as WindowState;
    const lastTime = this.times.pop() as number;
    const lastWindow = this.windows.pop() as WindowState;
    if (this.times.length > 0) {
      this.times[0] = lastTime;
      this.windows[0] = lastWindow;
      this.siftDown(0);
    }
    return top;
  }
}

export class WindowOperator {
  /** The current watermark; -infinity until the first one (Flink: Long.MIN_VALUE). */
  watermark = Number.NEGATIVE_INFINITY;
  readonly stats = {
    events: 0,
    /** Events added to at least one window whose end - 1 the watermark had reached: each fired it at once. */
    lateAdmitted: 0,
    /** Events refused by every window they belong to (Flink's numLateRecordsDropped). */
    dropped: 0,
    watermarks: 0,
    /** Watermarks lower than the current one, ignored. */
    ignoredWatermarks: 0,
    panes: 0,
    openWindows: 0,
    maxOpenWindows: 0,
  };
  private readonly assigner: WindowAssigner;
  private readonly latenessMs: number;
  private readonly discarding: boolean;
  /** Tumbling and hopping windows: key, then window start. */
  private readonly fixed = new Map<string, Map<number, WindowState>>();
  /** Sessions: each key's open sessions, disjoint and not touching, by start. */
  private readonly sessions = new Map<string, WindowState[]>();
  private readonly fireTimers = new TimerHeap();
  private readonly cleanupTimers = new TimerHeap();
  private readonly firedByEvent: WindowState[] = [];

  constructor(
    options: OperatorOptions,
    private readonly emit: (pane: Pane) => void,
  ) {
    this.assigner = options.assigner;
    this.latenessMs = options.allowedLatenessMs;
    this.discarding = options.mode === "discarding";
  }

  /** One event, in arrival order. Its late panes, if any, are emitted before this returns. */
  processElement(key: string, value: number, eventTime: number): Admission {
    this.stats.events++;
    const admission =
      this.assigner.kind === "session"
        ? this.addToSession(key, value, eventTime, this.assigner.gapMs)
        : this.addToFixed(key, value, eventTime);
    if (admission === "dropped") this.stats.dropped++;
    else if (admission === "late") this.stats.lateAdmitted++;
    return admission;
  }

  /** Advance the watermark: fire every window whose end - 1 it reaches, then clean up. */
  processWatermark(watermark: number): void {
    this.stats.watermarks++;
    if (watermark <= this.watermark) {
      if (watermark < this.watermark) this.stats.ignoredWatermarks++;
      return;
    }
    this.watermark = watermark;
    for (;;) {
      const window = this.fireTimers.popUntil(watermark);
      if (window === undefined) break;
      if (window.live) this.fire(window, "ON_TIME");
    }
    for (;;) {
      const window = this.cleanupTimers.popUntil(watermark);
      if (window === undefined) break;
      if (window.live) this.remove(window);
    }
  }

  /** End of input: the final watermark, +infinity. */
  finish(): void {
    this.processWatermark(Number.POSITIVE_INFINITY);
  }

  /**
   * Flink's isWindowLate: cleanupTime = maxTimestamp + allowedLateness <= watermark. Protected so
   * that the tests can run a variant with an off-by-one here and see the pane sequences change.
   */
  protected isLate(end: number): boolean {
    return end - 1 + this.latenessMs <= this.watermark;
  }

  /** Entries in the two timer heaps, stale ones included: what the memory bound is about. */
  get timerEntries(): number {
    return this.fireTimers.size + this.cleanupTimers.size;
  }

  /**
   * How many stale timer entries beyond two per open window a heap may hold after a merge. The
   * tests raise it to see stale entries pile up without the rebuild.
   */
  protected readonly staleTimersMax: number = STALE_TIMERS_MAX;

  /**
   * Whether sessions that only touch ([0, 10) and [10, 20)) merge, as Flink's
   * TimeWindow.intersects has them do. The tests turn it off to see the session property fail.
   */
  protected readonly touchingSessionsMerge: boolean = true;

  private addToFixed(key: string, value: number, eventTime: number): Admission {
    const assigner = this.assigner as Exclude<WindowAssigner, { kind: "session" }>;
    const size = assigner.sizeMs;
    const slide = assigner.kind === "sliding" ? assigner.slideMs : size;
    let byStart = this.fixed.get(key);
    let admitted = false;
    const fired = this.firedByEvent;
    fired.length = 0;
    // Flink's order (SlidingEventTimeWindows.assignWindows): the latest window first, so that an
    // event's late panes come out in the order Flink fires them.
    const lastStart = windowStart(eventTime, slide);
    for (let start = lastStart; start > eventTime - size; start -= slide) {
      const end = start + size;
      if (this.isLate(end)) continue;
      admitted = true;
      if (byStart === undefined) {
        byStart = new Map();
        this.fixed.set(key, byStart);
      }
      let window = byStart.get(start);
      if (window === undefined) {
        window = this.open(key, start, end);
        byStart.set(start, window);
      }
      window.sum += value;
      window.filled = true;
      if (end - 1 <= this.watermark) fired.push(window);
    }
    if (!admitted) return "dropped";
    for (const window of fired) this.fire(window, "LATE");
    return fired.length > 0 ? "late" : "on-time";
  }

  private addToSession(key: string, value: number, eventTime: number, gapMs: number): Admission {
    let start = eventTime;
    let end = eventTime + gapMs;
    let open = this.sessions.get(key);
    if (open === undefined) {
      if (this.isLate(end)) return "dropped";
      open = [];
      this.sessions.set(key, open);
    }
    // The sessions this one overlaps or touches are contiguous in `open`, which is sorted by start.
    const touching = this.touchingSessionsMerge;
    let first = 0;
    for (; first < open.length; first++) {
      const before = (open[first] as WindowState).end;
      if (touching ? before >= start : before > start) break;
    }
    let last = first;
    for (; last < open.length; last++) {
      const after = (open[last] as WindowState).start;
      if (touching ? after > end : after >= end) break;
    }
    let window: WindowState;
    if (last - first === 1 && (open[first] as WindowState).start <= start) {
      const only = open[first] as WindowState;
      if (only.end >= end) {
        window = only; // inside an open session: no merge
      } else {
        window = this.merge(open, first, last, start, end);
      }
    } else if (last > first) {
      window = this.merge(open, first, last, start, end);
    } else {
      // A new session. Only a window that merges with nothing can be late: an open session is not.
      if (this.isLate(end)) {
        if (open.length === 0) this.sessions.delete(key);
        return "dropped";
      }
      window = this.open(key, start, end);
      open.splice(first, 0, window);
    }
    start = window.start;
    end = window.end;
    window.sum += value;
    window.filled = true;
    if (end - 1 <= this.watermark) {
      this.fire(window, "LATE");
      return "late";
    }
    return "on-time";
  }

  /** Replace open[first..last) and the new window [start, end) by the session that covers them. */
  private merge(
    open: WindowState[],
    first: number,
    last: number,
    start: number,
    end: number,
  ): WindowState {
    const parts = open.slice(first, last);
    const covered = this.open(
      (parts[0] as WindowState).key,
      Math.min(start, (parts[0] as WindowState).start),
      Math.max(end, (parts[parts.length - 1] as WindowState).end),
    );
    for (const part of parts) {
      covered.sum += part.sum;
      covered.filled ||= part.filled;
      covered.panes = Math.max(covered.panes, part.panes);
      part.live = false;
      this.stats.openWindows--;
    }
    open.splice(first, last - first, covered);
    const limit = 2 * this.stats.openWindows + this.staleTimersMax;
    if (this.fireTimers.size > limit) this.fireTimers.removeStale();
    if (this.cleanupTimers.size > limit) this.cleanupTimers.removeStale();
    return covered;
  }

  /** A new window's state and its two timers (the firing only if still ahead of the watermark). */
  private open(key: string, start: number, end: number): WindowState {
    const window: WindowState = { key, start, end, sum: 0, filled: false, panes: 0, live: true };
    if (end - 1 > this.watermark) this.fireTimers.push(end - 1, window);
    this.cleanupTimers.push(end - 1 + this.latenessMs, window);
    this.stats.openWindows++;
    if (this.stats.openWindows > this.stats.maxOpenWindows)
      this.stats.maxOpenWindows = this.stats.openWindows;
    return window;
  }

  private fire(window: WindowState, timing: Timing): void {
    if (!window.filled) return;
    this.stats.panes++;
    this.emit({
      key: window.key,
      start: window.start,
      end: window.end,
      value: window.sum,
      timing,
      pane: window.panes++,
    });
    if (this.discarding) {
      window.sum = 0;
      window.filled = false;
    }
  }

  private remove(window: WindowState): void {
    window.live = false;
    this.stats.openWindows--;
    if (this.assigner.kind === "session") {
      const open = this.sessions.get(window.key) as WindowState[];
      const i = open.indexOf(window);
      open.splice(i, 1);
      if (open.length === 0) this.sessions.delete(window.key);
    } else {
      const byStart = this.fixed.get(window.key) as Map<number, WindowState>;
      byStart.delete(window.start);
      if (byStart.size === 0) this.fixed.delete(window.key);
    }
  }
}
