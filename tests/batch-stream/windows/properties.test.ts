/**
 * Properties over random inputs (fast-check; a failure prints the seed and the shrunk input):
 *
 *   - batch and stream agree (DDIA ch. 11, "Reasoning About Time"): the batch job over the whole
 *     input and the stream job over the same events, out of order, with a watermark that never
 *     passes an event still in flight and a final watermark of +infinity, give the same final sum
 *     per key and window; with a watermark advanced past events still in flight they differ;
 *     with an allowed lateness that covers the watermark's error they agree again;
 *   - window assignment: each event in exactly one tumbling window, in size / slide hopping
 *     windows when slide divides size, and sessions of one key more than the gap apart.
 *
 * Each property is also run on a broken variant, and fast-check must find a counterexample.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assignWindows,
  type WindowAssigner,
  windowStart,
} from "../../../batch-stream/windows/assigners.js";
import { batchWindows, type Event } from "../../../batch-stream/windows/batch.js";
import { type Mode, type Pane, WindowOperator } from "../../../batch-stream/windows/operator.js";
import { finalResults } from "../../../batch-stream/windows/panes.js";
import { BoundedOutOfOrdernessWatermarks } from "../../../batch-stream/windows/watermarks.js";

const RUNS = 300;

/** Events with their delay in transit; they arrive in order of eventTime + delay. */
interface Flight {
  event: Event;
  delayMs: number;
  watermarkAfter: boolean;
}

const flights = (maxDelayMs: number) =>
  fc.array(
    fc.record({
      event: fc.record({
        key: fc.constantFrom("a", "b", "c"),
        value: fc.integer({ min: -5, max: 20 }),
        eventTime: fc.integer({ min: -50, max: 300 }),
      }),
      delayMs: fc.integer({ min: 0, max: maxDelayMs }),
      watermarkAfter: fc.boolean(),
    }),
    { maxLength: 60 },
  );

const assigners: fc.Arbitrary<WindowAssigner> = fc.oneof(
  fc.integer({ min: 1, max: 40 }).map((sizeMs) => ({ kind: "tumbling" as const, sizeMs })),
  fc
    .tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 4 }))
    .map(([slideMs, n]) => ({ kind: "sliding" as const, sizeMs: slideMs * n, slideMs })),
  fc.integer({ min: 1, max: 30 }).map((gapMs) => ({ kind: "session" as const, gapMs })),
);

/**
 * The stream job: events in arrival order through a bounded-out-of-orderness watermark of
 * `boundMs` (Flink's: max seen - bound - 1), emitted after the events drawn to carry one.
 */
function streamJob(
  input: readonly Flight[],
  assigner: WindowAssigner,
  boundMs: number,
  allowedLatenessMs: number,
  mode: Mode,
) {
  const arrival = input
    .map((f, i) => ({ ...f, i }))
    .sort((x, y) => x.event.eventTime + x.delayMs - (y.event.eventTime + y.delayMs) || x.i - y.i);
  const panes: Pane[] = [];
  const op = new WindowOperator({ assigner, allowedLatenessMs, mode }, (p) => panes.push(p));
  const watermarks = new BoundedOutOfOrdernessWatermarks(boundMs);
  for (const f of arrival) {
    op.processElement(f.event.key, f.event.value, f.event.eventTime);
    watermarks.onEvent(f.event.eventTime);
    if (f.watermarkAfter) op.processWatermark(watermarks.current());
  }
  op.finish();
  return { results: finalResults(panes, mode), dropped: op.stats.dropped, panes };
}

/** The batch job's windows that hold anything (a stream pane exists only for those). */
const batchJob = (input: readonly Flight[], assigner: WindowAssigner) =>
  batchWindows(
    input.map((f) => f.event),
    assigner,
  );

const agreement = (maxDelayMs: number, boundMs: number, latenessMs: number) =>
  fc.property(
    flights(maxDelayMs),
    assigners,
    fc.constantFrom<Mode>("accumulating", "discarding"),
    (input, assigner, mode) => {
      const stream = streamJob(input, assigner, boundMs, latenessMs, mode);
      expect(stream.results).toEqual(batchJob(input, assigner));
    },
  );

describe("batch and stream agree once the watermark has passed the end of the input", () => {
  it("with a watermark that never passes an event in flight (delays up to 20 ms, bound 20 ms)", () => {
    fc.assert(agreement(20, 20, 0), { numRuns: RUNS });
  });
  it("a watermark advanced past events in flight (bound 0 ms for delays up to 20 ms) makes them differ", () => {
    expect(() => fc.assert(agreement(20, 0, 0), { numRuns: RUNS, seed: 1 })).toThrow(
      /Property failed/,
    );
  });
  it("an allowed lateness as large as the watermark's error repairs it (accumulating or discarding)", () => {
    fc.assert(agreement(20, 0, 20), { numRuns: RUNS });
  });
  it("one millisecond less of allowed lateness does not", () => {
    // The event at 29 arrives first and moves the watermark to 29 - 0 - 1 = 28; the event at 9,
    // 20 ms in transit, then finds [0, 10) late: 9 + 19 <= 28. With 20 ms: 9 + 20 > 28.
    const input: Flight[] = [
      { event: { key: "a", value: 1, eventTime: 29 }, delayMs: 0, watermarkAfter: true },
      { event: { key: "a", value: 2, eventTime: 9 }, delayMs: 20, watermarkAfter: true },
    ];
    const tumbling: WindowAssigner = { kind: "tumbling", sizeMs: 10 };
    expect(batchJob(input, tumbling).map((r) => r.value)).toEqual([2, 1]);
    expect(streamJob(input, tumbling, 0, 19, "accumulating")).toMatchObject({
      dropped: 1,
      results: [{ key: "a", start: 20, end: 30, value: 1 }],
    });
    expect(streamJob(input, tumbling, 0, 20, "accumulating").results).toEqual(
      batchJob(input, tumbling),
    );
  });
});

/** Assignment properties, as functions of an assigner so that a broken one can be fed in. */
type Assign = (assigner: WindowAssigner, time: number) => [number, number][];

const times = fc.integer({ min: -1_000_000, max: 1_000_000 });

const tumblingProperty = (assign: Assign) =>
  fc.property(times, fc.integer({ min: 1, max: 1000 }), (time, sizeMs) => {
    const windows = assign({ kind: "tumbling", sizeMs }, time);
    // Exactly one window, of the size, aligned at a multiple of it, holding the event.
    expect(windows).toHaveLength(1);
    const [start, end] = windows[0] as [number, number];
    expect(end - start).toBe(sizeMs);
    expect(Math.abs(start % sizeMs)).toBe(0);
    expect(start <= time && time < end).toBe(true);
  });

const hoppingProperty = (assign: Assign) =>
  fc.property(
    times,
    fc.integer({ min: 1, max: 100 }),
    fc.integer({ min: 1, max: 10 }),
    (time, slideMs, n) => {
      const sizeMs = slideMs * n;
      const windows = assign({ kind: "sliding", sizeMs, slideMs }, time);
      // size / slide distinct windows, each of the size, aligned at multiples of the slide, each
      // holding the event.
      expect(windows).toHaveLength(n);
      expect(new Set(windows.map(([s]) => s)).size).toBe(n);
      for (const [start, end] of windows) {
        expect(end - start).toBe(sizeMs);
        expect(Math.abs(start % slideMs)).toBe(0);
        expect(start <= time && time < end).toBe(true);
      }
    },
  );

/** Tumbling start by truncation: wrong for negative times. */
const truncating: Assign = (assigner, time) => {
  if (assigner.kind !== "tumbling") return assignWindows(assigner, time);
  const start = time - (time % assigner.sizeMs);
  return [[start, start + assigner.sizeMs]];
};

/** Hopping windows counted with one window too many (start >= time - size). */
const oneTooMany: Assign = (assigner, time) => {
  if (assigner.kind !== "sliding") return assignWindows(assigner, time);
  const windows: [number, number][] = [];
  for (
    let s = windowStart(time, assigner.slideMs);
    s >= time - assigner.sizeMs;
    s -= assigner.slideMs
  )
    windows.push([s, s + assigner.sizeMs]);
  return windows;
};

describe("window assignment", () => {
  it("each event is in exactly one tumbling window, negative times included", () => {
    fc.assert(tumblingProperty(assignWindows), { numRuns: 2_000 });
  });
  it("a start by truncation puts negative times in the wrong window (caught)", () => {
    expect(() => fc.assert(tumblingProperty(truncating), { numRuns: 2_000, seed: 1 })).toThrow(
      /Property failed/,
    );
  });
  it("each event is in size / slide hopping windows when the slide divides the size", () => {
    fc.assert(hoppingProperty(assignWindows), { numRuns: 2_000 });
  });
  it("one window too many is caught", () => {
    expect(() => fc.assert(hoppingProperty(oneTooMany), { numRuns: 2_000, seed: 1 })).toThrow(
      /Property failed/,
    );
  });

  /** The operator's final sessions of each key, with the events each holds. */
  const sessionProperty = (Operator: typeof WindowOperator) =>
    fc.property(flights(0), fc.integer({ min: 1, max: 30 }), (input, gapMs) => {
      const panes: Pane[] = [];
      const op = new Operator(
        { assigner: { kind: "session", gapMs }, allowedLatenessMs: 0, mode: "accumulating" },
        (p) => panes.push(p),
      );
      for (const f of input) op.processElement(f.event.key, f.event.value, f.event.eventTime);
      op.finish();
      const sessions = finalResults(panes, "accumulating");
      for (const key of ["a", "b", "c"]) {
        const own = sessions.filter((s) => s.key === key);
        const eventTimes = input.filter((f) => f.event.key === key).map((f) => f.event.eventTime);
        own.forEach((s, i) => {
          const inside = eventTimes.filter((t) => s.start <= t && t < s.end).sort((x, y) => x - y);
          // A session runs from its first event to its last event plus the gap...
          expect(inside[0]).toBe(s.start);
          expect((inside.at(-1) as number) + gapMs).toBe(s.end);
          // ...its events are at most the gap apart...
          for (let j = 1; j < inside.length; j++)
            expect((inside[j] as number) - (inside[j - 1] as number)).toBeLessThanOrEqual(gapMs);
          // ...and the next session of the key starts more than the gap after its last event.
          const next = own[i + 1];
          if (next !== undefined) expect(next.start - (s.end - gapMs)).toBeGreaterThan(gapMs);
        });
        // Every event of the key is in one session.
        const counted = own.reduce(
          (n, s) => n + eventTimes.filter((t) => s.start <= t && t < s.end).length,
          0,
        );
        expect(counted).toBe(eventTimes.length);
      }
    });

  it("sessions of one key are more than the gap apart, and hold all its events", () => {
    fc.assert(sessionProperty(WindowOperator), { numRuns: RUNS });
  });
  it("sessions that merge only on overlap leave two exactly the gap apart (caught)", () => {
    class StrictSessions extends WindowOperator {
      protected override readonly touchingSessionsMerge = false;
    }
    expect(() => fc.assert(sessionProperty(StrictSessions), { numRuns: RUNS, seed: 1 })).toThrow(
      /Property failed/,
    );
  });
});
