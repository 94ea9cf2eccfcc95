/**
 * Hand-worked pane sequences for the window operator, from Flink's rules (see
 * batch-stream/windows/operator.ts): a window [start, end) fires when the watermark W reaches
 * end - 1; it is late, takes nothing more and is cleaned up once end - 1 + allowedLateness <= W;
 * an event added to a window that has fired fires it again at once (LATE). Each expected pane is
 * worked out in the comments; each case is also run against a deliberately broken operator (the
 * lateness test off by one, or sessions that merge only when they overlap) and must then differ.
 */
import { describe, expect, it } from "vitest";
import type { WindowAssigner } from "../../../batch-stream/windows/assigners.js";
import {
  type Mode,
  type OperatorOptions,
  type Pane,
  WindowOperator,
} from "../../../batch-stream/windows/operator.js";

type Step = ["e", string, number, number] | ["w", number];
type Row = [string, number, number, number, "ON_TIME" | "LATE", number];

/** Forgets Flink's "- 1": a window stays open one millisecond too long. */
class OffByOneLateness extends WindowOperator {
  protected override isLate(end: number): boolean {
    return end + (this as unknown as { latenessMs: number }).latenessMs <= this.watermark;
  }
}

/** Sessions that merge only when they overlap, not when they touch. */
class StrictSessions extends WindowOperator {
  protected override readonly touchingSessionsMerge = false;
}

type OperatorClass = new (options: OperatorOptions, emit: (p: Pane) => void) => WindowOperator;

function run(
  steps: Step[],
  assigner: WindowAssigner,
  allowedLatenessMs: number,
  mode: Mode,
  Operator: OperatorClass = WindowOperator,
) {
  const panes: Row[] = [];
  const op = new Operator({ assigner, allowedLatenessMs, mode }, (p) =>
    panes.push([p.key, p.start, p.end, p.value, p.timing, p.pane]),
  );
  for (const step of steps) {
    if (step[0] === "e") op.processElement(step[1], step[2], step[3]);
    else op.processWatermark(step[1]);
  }
  op.finish();
  return { panes, stats: op.stats };
}

const tumbling10: WindowAssigner = { kind: "tumbling", sizeMs: 10 };

// Tumbling windows of 10 ms, allowed lateness 5 ms: [0, 10) fires at W >= 9 and is late from
// W >= 9 + 5 = 14.
const lateAndDropped: Step[] = [
  ["e", "a", 1, 3], // [0, 10)
  ["e", "a", 2, 12], // [10, 20)
  ["w", 9], // 9 >= 9: [0, 10) fires ON_TIME, pane 0, a = 1
  ["e", "a", 4, 7], // [0, 10): 9 <= W = 9, 14 > 9: added, LATE pane 1
  ["w", 13], // [10, 20) waits (19 > 13); [0, 10) still open (14 > 13)
  ["e", "a", 8, 5], // 14 > 13: added, LATE pane 2
  ["w", 14], // 14 <= 14: [0, 10) cleaned up
  ["e", "a", 16, 1], // 14 <= 14: late, dropped
  ["e", "b", 32, 15], // [10, 20) of b
  ["w", 12], // lower than 14: ignored
  // end of input, W = +infinity: [10, 20) fires for a and b (same end and start: by key)
];

describe("tumbling windows: late panes within the allowed lateness, then a drop", () => {
  it("accumulating: each pane carries the whole window", () => {
    const { panes, stats } = run(lateAndDropped, tumbling10, 5, "accumulating");
    expect(panes).toEqual([
      ["a", 0, 10, 1, "ON_TIME", 0],
      ["a", 0, 10, 5, "LATE", 1], // 1 + 4
      ["a", 0, 10, 13, "LATE", 2], // 1 + 4 + 8
      ["a", 10, 20, 2, "ON_TIME", 0],
      ["b", 10, 20, 32, "ON_TIME", 0],
    ]);
    expect(stats).toMatchObject({
      events: 6,
      dropped: 1,
      lateAdmitted: 2,
      watermarks: 5, // four in the input and the final one
      ignoredWatermarks: 1,
      panes: 5,
      openWindows: 0,
    });
  });

  it("discarding: each pane carries what arrived since the window's last pane", () => {
    const { panes } = run(lateAndDropped, tumbling10, 5, "discarding");
    expect(panes.map((p) => p[3])).toEqual([1, 4, 8, 2, 32]);
  });

  it("an operator whose lateness test forgets the -1 takes the event at W = 14 (caught)", () => {
    // Its cleanup still ran at W = 14, so the event reopens [0, 10) as a new window.
    const { panes, stats } = run(lateAndDropped, tumbling10, 5, "accumulating", OffByOneLateness);
    expect(stats.dropped).toBe(0);
    expect(panes).toContainEqual(["a", 0, 10, 16, "LATE", 0]);
  });
});

describe("the exact boundaries, without allowed lateness", () => {
  // [0, 10): at W = 8 an event at 9 is on time; W = 9 fires the window, and since
  // 9 + 0 <= 9 it is also late: another event at 9 is dropped.
  const steps: Step[] = [
    ["w", 8],
    ["e", "a", 1, 9],
    ["w", 9],
    ["e", "a", 2, 9],
  ];
  it("fires at end - 1 and drops at maxTimestamp + lateness <= W", () => {
    const { panes, stats } = run(steps, tumbling10, 0, "accumulating");
    expect(panes).toEqual([["a", 0, 10, 1, "ON_TIME", 0]]);
    expect(stats.dropped).toBe(1);
  });
  it("the off-by-one operator admits the second event as a late pane (caught)", () => {
    const { panes } = run(steps, tumbling10, 0, "accumulating", OffByOneLateness);
    expect(panes).toEqual([
      ["a", 0, 10, 1, "ON_TIME", 0],
      ["a", 0, 10, 2, "LATE", 0], // [0, 10) cleaned up at W = 9, then reopened
    ]);
  });
});

describe("hopping windows of 20 ms every 10 ms", () => {
  const hopping: WindowAssigner = { kind: "sliding", sizeMs: 20, slideMs: 10 };
  it("an event refused by one of its windows counts in the other and is not dropped", () => {
    const { panes, stats } = run(
      [
        ["e", "a", 1, 15], // [0, 20) and [10, 30)
        ["w", 19], // [0, 20) fires (19 >= 19) and is late (19 + 0 <= 19)
        ["e", "a", 2, 18], // [0, 20) refuses it; [10, 30) takes it
        ["e", "a", 4, 5], // [-10, 10) and [0, 20): both late (9 <= 19, 19 <= 19): dropped
      ],
      hopping,
      0,
      "accumulating",
    );
    expect(panes).toEqual([
      ["a", 0, 20, 1, "ON_TIME", 0],
      ["a", 10, 30, 3, "ON_TIME", 0], // 1 + 2, at the final watermark
    ]);
    expect(stats.dropped).toBe(1);
    expect(stats.lateAdmitted).toBe(0);
  });
  it("one late event's panes come out in Flink's order, the latest window first", () => {
    const { panes } = run(
      [
        ["e", "a", 1, 15],
        ["w", 40], // [0, 20) then [10, 30) fire (by end)
        // Both fired, both within 100 ms of lateness: two LATE panes, in the order of
        // SlidingEventTimeWindows.assignWindows, which starts from the last start, 10.
        ["e", "a", 2, 16],
      ],
      hopping,
      100,
      "accumulating",
    );
    expect(panes).toEqual([
      ["a", 0, 20, 1, "ON_TIME", 0],
      ["a", 10, 30, 1, "ON_TIME", 0],
      ["a", 10, 30, 3, "LATE", 1],
      ["a", 0, 20, 3, "LATE", 1],
    ]);
  });
});

// Sessions with a gap of 10 ms and 20 ms of allowed lateness. Each event opens [t, t + 10);
// windows that overlap or touch merge.
const sessionSteps: Step[] = [
  ["e", "a", 1, 0], // [0, 10)
  ["e", "a", 2, 25], // [25, 35): 25 > 10, apart
  ["w", 9], // [0, 10) fires ON_TIME, pane 0: 1
  ["e", "a", 4, 10], // [10, 20) touches [0, 10): [0, 20), end - 1 = 19 > 9: waits
  ["e", "a", 8, 17], // [17, 27) bridges [0, 20) and [25, 35): [0, 35) = 1 + 4 + 8 + 2
  ["w", 34], // [0, 35) fires ON_TIME; pane 1, continuing from [0, 10)'s pane 0
  ["e", "a", 16, 30], // [30, 40) grows it to [0, 40) = 31; 39 > 34: waits
  ["w", 39], // [0, 40) fires ON_TIME, pane 2: 31
  ["e", "a", 32, 5], // inside [0, 40), which has fired (39 <= 39), not late (59 > 39): LATE pane 3
  ["w", 60], // 59 <= 60: [0, 40) cleaned up
  ["e", "a", 64, 45], // [45, 55): 54 + 20 = 74 > 60, so not late; 54 <= 60: fires LATE at once, pane 0
  ["e", "a", 128, 20], // [20, 30) merges with nothing open; 29 + 20 = 49 <= 60: dropped
];

describe("session windows: merging on touch and overlap, late panes, a drop", () => {
  const session10: WindowAssigner = { kind: "session", gapMs: 10 };
  it("accumulating", () => {
    const { panes, stats } = run(sessionSteps, session10, 20, "accumulating");
    expect(panes).toEqual([
      ["a", 0, 10, 1, "ON_TIME", 0],
      ["a", 0, 35, 15, "ON_TIME", 1],
      ["a", 0, 40, 31, "ON_TIME", 2],
      ["a", 0, 40, 63, "LATE", 3],
      ["a", 45, 55, 64, "LATE", 0],
    ]);
    expect(stats).toMatchObject({ events: 8, dropped: 1, lateAdmitted: 2, openWindows: 0 });
  });
  it("discarding: [0, 10)'s 1 was emitted, so [0, 35)'s pane is 4 + 8 + 2", () => {
    const { panes } = run(sessionSteps, session10, 20, "discarding");
    expect(panes.map((p) => p[3])).toEqual([1, 14, 16, 32, 64]);
  });
  it("sessions that merge only on overlap keep [0, 10) and [10, 20) apart (caught)", () => {
    const { panes } = run(sessionSteps, session10, 20, "accumulating", StrictSessions);
    expect(panes[1]).not.toEqual(["a", 0, 35, 15, "ON_TIME", 1]);
  });
});

describe("a late event bridging two sessions that have both fired", () => {
  // Gap 10 ms, 100 ms of allowed lateness: [0, 10) and [12, 22) both fire at W = 30. The event at
  // 9, behind the watermark, opens [9, 19), which overlaps [0, 10) and [12, 22): they merge into
  // [0, 22), whose end - 1 = 21 <= 30, so it fires at once, LATE, continuing from pane 0.
  const steps: Step[] = [
    ["e", "a", 1, 0],
    ["e", "a", 2, 12],
    ["w", 30],
    ["e", "a", 4, 9],
  ];
  const session10: WindowAssigner = { kind: "session", gapMs: 10 };
  it("accumulating: one pane with the three events", () => {
    const { panes, stats } = run(steps, session10, 100, "accumulating");
    expect(panes).toEqual([
      ["a", 0, 10, 1, "ON_TIME", 0],
      ["a", 12, 22, 2, "ON_TIME", 0],
      ["a", 0, 22, 7, "LATE", 1], // 1 + 2 + 4; nothing more at the final watermark
    ]);
    expect(stats).toMatchObject({ lateAdmitted: 1, dropped: 0, openWindows: 0 });
  });
  it("discarding: both sessions' contents went out with their panes, so only the 4", () => {
    const { panes } = run(steps, session10, 100, "discarding");
    expect(panes.map((p) => p[3])).toEqual([1, 2, 4]);
  });
});

describe("an event whose own window is late, joining an open session", () => {
  // Gap 10 ms, no allowed lateness. Events at 10 and 18 make [10, 28), which fires at W >= 27. At
  // W = 20 an event at 5 opens [5, 15), late on its own (14 + 0 <= 20), but Flink merges first
  // and asks whether the merged window is late: [5, 28) is not (27 > 20), so the event counts.
  const steps: Step[] = [
    ["e", "a", 1, 10],
    ["e", "a", 2, 18],
    ["w", 20],
    ["e", "a", 4, 5],
  ];
  const session10: WindowAssigner = { kind: "session", gapMs: 10 };
  it("is merged, not dropped", () => {
    const { panes, stats } = run(steps, session10, 0, "accumulating");
    expect(panes).toEqual([["a", 5, 28, 7, "ON_TIME", 0]]);
    expect(stats.dropped).toBe(0);
  });
  it("an operator that tests lateness before merging drops it (caught)", () => {
    class LateBeforeMerge extends WindowOperator {
      override processElement(key: string, value: number, eventTime: number) {
        if (this.isLate(eventTime + 10)) {
          this.stats.events++;
          this.stats.dropped++;
          return "dropped" as const;
        }
        return super.processElement(key, value, eventTime);
      }
    }
    const { panes, stats } = run(steps, session10, 0, "accumulating", LateBeforeMerge);
    expect(stats.dropped).toBe(1);
    expect(panes).toEqual([["a", 10, 28, 3, "ON_TIME", 0]]);
  });
});

describe("memory: merges leave stale timers, which do not pile up", () => {
  // One key, events at 0, 1, 2, ... with a gap of 10 ms and no watermark: each event extends the
  // one open session by a merge, which leaves the absorbed session's two timer entries stale.
  const steps: Step[] = Array.from({ length: 20_000 }, (_, t): Step => ["e", "a", 1, t]);
  const session10: WindowAssigner = { kind: "session", gapMs: 10 };
  const entries = (Operator: OperatorClass) => {
    const op = new Operator(
      { assigner: session10, allowedLatenessMs: 0, mode: "accumulating" },
      () => {},
    );
    for (const step of steps) if (step[0] === "e") op.processElement(step[1], step[2], step[3]);
    return { entries: op.timerEntries, open: op.stats.openWindows };
  };
  it("the heaps are rebuilt: at most two entries per open window plus 1,024 each", () => {
    const { entries: n, open } = entries(WindowOperator);
    expect(open).toBe(1);
    expect(n).toBeLessThanOrEqual(2 * (2 * open + 1_024));
  });
  it("without the rebuild they grow with the events (caught)", () => {
    class NeverRebuilt extends WindowOperator {
      protected override readonly staleTimersMax = Number.POSITIVE_INFINITY;
    }
    expect(entries(NeverRebuilt).entries).toBe(2 * steps.length);
  });
});

describe("the order of panes fired by one watermark: by end, then start, then key", () => {
  it("tumbling: end 10 before end 20, and key a before c", () => {
    const { panes } = run(
      [
        ["e", "b", 1, 15],
        ["e", "a", 2, 15],
        ["e", "c", 4, 3],
        ["e", "a", 8, 5],
        ["w", 100],
      ],
      tumbling10,
      0,
      "accumulating",
    );
    expect(panes.map((p) => `${p[0]}[${p[1]},${p[2]})`)).toEqual([
      "a[0,10)",
      "c[0,10)",
      "a[10,20)",
      "b[10,20)",
    ]);
  });
  it("sessions with the same end: the earlier start first, whatever the key", () => {
    const { panes } = run(
      [
        ["e", "a", 1, 5], // [5, 15)
        ["e", "b", 2, 0], // [0, 10)
        ["e", "b", 4, 5], // [0, 15)
        ["w", 100],
      ],
      { kind: "session", gapMs: 10 },
      0,
      "accumulating",
    );
    expect(panes).toEqual([
      ["b", 0, 15, 6, "ON_TIME", 0],
      ["a", 5, 15, 1, "ON_TIME", 0],
    ]);
  });
});
