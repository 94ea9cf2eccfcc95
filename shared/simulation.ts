/**
 * The discrete-event scheduler at the heart of every simulation. Time is simulated milliseconds;
 * events run in order of (time, seq), where seq is a global insertion counter, so two events at
 * the same time run in the order they were scheduled, on every machine and every run.
 *
 * Nothing here reads real time or real randomness: `random` is the root of the run's seeded
 * streams, and `now` only moves when the next event is taken from the queue.
 */

import { AssertionFailed, LimitExceeded } from "./assert.js";
import { Random } from "./random.js";
import { Trace } from "./trace.js";

export interface ScheduledEvent {
  readonly time: number;
  readonly seq: number;
  readonly action: () => void;
  cancelled: boolean;
}

/** A binary min-heap of events ordered by (time, seq). */
class EventQueue {
  private heap: ScheduledEvent[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(event: ScheduledEvent): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as ScheduledEvent;
      if (p.time < event.time || (p.time === event.time && p.seq < event.seq)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  pop(): ScheduledEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      let c = heap[left] as ScheduledEvent;
      if (right < n) {
        const r = heap[right] as ScheduledEvent;
        if (r.time < c.time || (r.time === c.time && r.seq < c.seq)) {
          child = right;
          c = r;
        }
      }
      if (last.time < c.time || (last.time === c.time && last.seq < c.seq)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
    return top;
  }

  peek(): ScheduledEvent | undefined {
    return this.heap[0];
  }
}

/** Kept under its old name for readers of the scheduler: a run that hit the event limit. */
export { LimitExceeded as SimulationLimitError } from "./assert.js";

export interface SimulationOptions {
  seed: number;
  trace?: Trace;
  /** Hard limit on events run, so that a livelock fails loudly instead of spinning. */
  maxEvents?: number;
}

export class Simulation {
  readonly seed: number;
  readonly random: Random;
  readonly trace: Trace;
  readonly maxEvents: number;
  /** Simulated time in milliseconds. */
  now = 0;
  /** Events run so far. */
  eventsRun = 0;
  private seq = 0;
  private readonly queue = new EventQueue();

  constructor(options: SimulationOptions) {
    this.seed = options.seed;
    this.random = new Random(options.seed);
    this.trace = options.trace ?? new Trace();
    this.maxEvents = options.maxEvents ?? 10_000_000;
  }

  /** Run `action` after `delayMs` of simulated time. */
  schedule(delayMs: number, action: () => void): ScheduledEvent {
    if (!(delayMs >= 0) || !Number.isFinite(delayMs)) {
      throw new AssertionFailed(
        `schedule: delay must be a finite number >= 0, got ${delayMs} (seed ${this.seed})`,
      );
    }
    const event: ScheduledEvent = {
      time: this.now + delayMs,
      seq: this.seq++,
      action,
      cancelled: false,
    };
    this.queue.push(event);
    return event;
  }

  /** Run `action` at simulated time `timeMs` (not before now). */
  at(timeMs: number, action: () => void): ScheduledEvent {
    return this.schedule(Math.max(0, timeMs - this.now), action);
  }

  /** Events still queued, cancelled ones included until they reach the top. */
  get pending(): number {
    return this.queue.size;
  }

  /**
   * Run events in (time, seq) order until the queue is empty or the next event lies after
   * `untilMs`; then time stands at `untilMs` (if given). Returns the number of events run.
   */
  run(untilMs = Number.POSITIVE_INFINITY): number {
    const before = this.eventsRun;
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || next.time > untilMs) break;
      if (next.cancelled) {
        this.queue.pop();
        continue;
      }
      // The limit is checked before the event is taken, so a run that hit it stays stuck there.
      if (this.eventsRun >= this.maxEvents) {
        throw new LimitExceeded(
          `event limit of ${this.maxEvents} reached at ${next.time.toFixed(1)} ms (seed ${this.seed}): replay with --seed ${this.seed}`,
        );
      }
      this.queue.pop();
      this.now = next.time;
      this.eventsRun++;
      try {
        next.action();
      } catch (error) {
        if (
          (error instanceof AssertionFailed || error instanceof LimitExceeded) &&
          !error.message.includes("(seed ")
        ) {
          error.message += ` (seed ${this.seed}, at ${this.now.toFixed(1)} ms)`;
        }
        throw error;
      }
    }
    if (Number.isFinite(untilMs) && untilMs > this.now) this.now = untilMs;
    return this.eventsRun - before;
  }

  /** Run until `done()` holds, checking after each instant of simulated time; gives up (returns false) past `limitMs`. */
  runUntil(done: () => boolean, limitMs: number): boolean {
    while (!done()) {
      const next = this.queue.peek();
      if (next === undefined || next.time > limitMs) return done();
      this.run(next.time);
    }
    return true;
  }
}
