/**
 * The stream-stream window join (DDIA ch. 11, "Stream joins": searches and clicks within an hour):
 * a hand-worked arrival sequence, then seeds with out-of-order arrivals judged against the batch
 * join over the whole input, and the broken variant that buffers only searches, caught.
 */
import { describe, expect, it } from "vitest";
import {
  judgeWindowJoin,
  runWindowJoin,
  WINDOW_MS,
} from "../../../batch-stream/scenarios/stream-joins.js";
import type { SearchOrClick } from "../../../batch-stream/streams/window-join.js";
import {
  arrivalOrder,
  firstArrivals,
  MINUTE_MS,
  searchesAndClicks,
} from "../../../batch-stream/streams/workloads.js";
import { Random } from "../../../shared/random.js";

const m = (minutes: number) => minutes * MINUTE_MS;
const search = (id: string, session: string, minutes: number): SearchOrClick => ({
  kind: "search",
  id,
  session,
  timeMs: m(minutes),
});
const click = (id: string, session: string, of: string, minutes: number): SearchOrClick => ({
  kind: "click",
  id,
  session,
  search: of,
  timeMs: m(minutes),
});

// In arrival order, with a 10-minute out-of-orderness bound: c1 (09:02) comes before its search
// q1 (09:00); c2 is 70 minutes after q1, outside the hour; c3 is 59 minutes after q3, inside; c4 is
// exactly 60 minutes after q3, outside (the window is [search, search + 1 h)).
const ARRIVALS: SearchOrClick[] = [
  click("c1", "s1", "q1", 2),
  search("q1", "s1", 0),
  search("q2", "s1", 5),
  click("c2", "s1", "q1", 70),
  search("q3", "s2", 100),
  click("c3", "s2", "q3", 159),
  click("c4", "s2", "q3", 160),
];

describe("window join, worked by hand", () => {
  it("joins a click that arrived first, says 'no click' once the hour has passed, and drops clicks outside the window", () => {
    const run = runWindowJoin(ARRIVALS, m(10));
    // q1 arrives and finds c1 waiting. c2 (event time 70) moves the watermark to 60: q1's hour
    // [0, 60) is over and q1 leaves state (it was clicked, so nothing is said). q3 (100) moves
    // it to 90: q2's hour [5, 65) is over with no click, and c2 (70 < 90) leaves unjoined. c3
    // joins q3; c4, at q3 + 60 min, does not. At the end q3 leaves (clicked), c4 leaves unjoined.
    expect(run.outputs).toEqual([
      { kind: "clicked", search: "q1", click: "c1" },
      { kind: "no click", search: "q2" },
      { kind: "clicked", search: "q3", click: "c3" },
    ]);
    expect(run.unmatchedClicks).toBe(2);
    expect(run.clicksBeforeSearch).toEqual(["c1"]);
    const judged = judgeWindowJoin(ARRIVALS, run.outputs);
    expect(judged.clickProblems).toEqual([]);
    expect(judged.noClickProblems).toEqual([]);
    expect(judged.expectedPairs).toBe(2);
  });

  it("the broken join that buffers only searches loses c1 and says 'no click' for q1; the judge sees both", () => {
    const run = runWindowJoin(ARRIVALS, m(10), true);
    expect(run.outputs).toEqual([
      { kind: "no click", search: "q1" },
      { kind: "no click", search: "q2" },
      { kind: "clicked", search: "q3", click: "c3" },
    ]);
    const judged = judgeWindowJoin(ARRIVALS, run.outputs);
    expect(judged.clickProblems).toEqual(["q1→c1 joined 0 times"]);
    expect(judged.noClickProblems).toEqual(['q1: "no click" although it was clicked']);
  });

  it("the judge also rejects a pair emitted twice and a pair outside the window", () => {
    const twice = [
      { kind: "clicked", search: "q1", click: "c1" },
      { kind: "clicked", search: "q1", click: "c1" },
      { kind: "clicked", search: "q3", click: "c4" },
      { kind: "clicked", search: "q3", click: "c3" },
      { kind: "no click", search: "q2" },
    ] as const;
    const judged = judgeWindowJoin(ARRIVALS, twice);
    expect(judged.clickProblems).toEqual([
      "q1→c1 joined 2 times",
      "q3→c4 joined outside the window",
    ]);
  });
});

describe("window join at the watermark's edge", () => {
  it("keeps a click whose time equals the watermark: a search at that very time may still arrive", () => {
    // Bound 10 minutes. c1 (at 0) arrives first; x9 (another session, at 10) moves the watermark
    // to 0; q1 (at 0) arrives last, 10 minutes late, which the bound allows. c1 must still be
    // waiting for it.
    const arrivals = [click("c1", "s1", "q1", 0), search("x9", "s9", 10), search("q1", "s1", 0)];
    const run = runWindowJoin(arrivals, m(10));
    expect(run.outputs).toContainEqual({ kind: "clicked", search: "q1", click: "c1" });
    const judged = judgeWindowJoin(arrivals, run.outputs);
    expect(judged.clickProblems).toEqual([]);
    expect(judged.noClickProblems).toEqual([]);
  });
});

describe("window join over seeds", () => {
  const seeds = Array.from({ length: 150 }, (_, i) => i + 1);

  it.each(seeds)(
    "seed %i: every in-window click joined once, 'no click' exactly for the others; the broken join is caught",
    (seed) => {
      const random = new Random(seed);
      const searches = random.int(1, 40);
      const boundMs = m(random.int(1, 59));
      const events = searchesAndClicks(random.fork("events"), searches, WINDOW_MS);
      const arrivals = arrivalOrder(
        events,
        random.fork("arrival"),
        boundMs,
        (e) => e.timeMs,
        firstArrivals,
      );
      const run = runWindowJoin(arrivals, boundMs);
      const judged = judgeWindowJoin(events, run.outputs);
      const replay = `seed ${seed}, ${searches} searches, bound ${boundMs / MINUTE_MS} min`;
      expect(judged.clickProblems, replay).toEqual([]);
      expect(judged.noClickProblems, replay).toEqual([]);
      // The story's opening: q1 at 09:00 reaches the join `bound` late, its click c1 at 09:02 at
      // once, so with a bound over 2 minutes c1 arrives first and the broken join misses it.
      const broken = judgeWindowJoin(events, runWindowJoin(arrivals, boundMs, true).outputs);
      if (boundMs > m(2)) expect(broken.clickProblems, replay).toContain("q1→c1 joined 0 times");
      else expect(broken.clickProblems, replay).not.toContain("q1→c1 joined 0 times");
    },
  );

  it("in arrival order with no delay, the join that buffers only searches is right: the clicks it loses are exactly those that came first", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const events = searchesAndClicks(new Random(seed), 20, WINDOW_MS);
      const broken = judgeWindowJoin(events, runWindowJoin(events, 0, true).outputs);
      expect(broken.clickProblems, `seed ${seed}`).toEqual([]);
    }
  });
});
