/**
 * The diagram model read from trace events: one copy per message on the wire, its fate, crash and
 * partition spans, runs split at `run` events, and the --from/--to window the files use. Every
 * expected value below is worked by hand from the events written out in runs.ts.
 */
import { describe, expect, it } from "vitest";
import { buildDiagram, windowRuns } from "../../../shared/render/diagram/model.js";
import type { TraceEvent } from "../../../shared/trace.js";
import { twoRuns } from "./runs.js";

describe("buildDiagram", () => {
  const [broken, fixed] = buildDiagram(twoRuns);

  it("splits runs at run events and titles each by the heading before it", () => {
    expect(buildDiagram(twoRuns)).toHaveLength(2);
    expect(broken?.title).toBe("broken");
    expect(fixed?.title).toBe("fixed");
    expect(broken?.nodes).toEqual(["c", "n1", "n2"]);
    expect([broken?.startMs, broken?.endMs]).toEqual([0, 13]);
  });

  it("names a run made before its heading by the heading that follows, else by the scenario", () => {
    const ping = (id: number, time: number): TraceEvent[] => [
      { kind: "send", time, id, from: "a", to: "b", msg: { type: "Ping" } },
      { kind: "deliver", time: time + 1, id, from: "a", to: "b", msg: { type: "Ping" } },
    ];
    const start: TraceEvent = { kind: "start", scenario: "demo s", seed: 1, replay: "" };
    // sharding's secondary-index: the network is made, then the first heading is printed.
    const early = buildDiagram([
      start,
      { kind: "run", time: 0 },
      { kind: "section", title: "first" },
      ...ping(1, 1),
      { kind: "section", title: "second" },
      ...ping(2, 5),
    ]);
    expect(early.map((r) => r.title)).toEqual(["first"]);
    // Under one heading, a second run made just before the next heading takes it; a third whose
    // messages come before the next heading is not named by it (it belongs to "B").
    const runs = buildDiagram([
      { kind: "section", title: "A" },
      { kind: "run", time: 0 },
      ...ping(1, 1),
      { kind: "run", time: 0 },
      { kind: "section", title: "B" },
      ...ping(1, 1),
      { kind: "run", time: 0 },
      ...ping(1, 1),
      { kind: "section", title: "C" },
    ]);
    expect(runs.map((r) => r.title)).toEqual(["A", "B", "B"]);
    expect(buildDiagram([start, { kind: "run", time: 0 }, ...ping(1, 1)])[0]?.title).toBe("demo s");
  });

  it("keeps the nodes of an earlier run in its order, so a scenario's panels line up", () => {
    const ping = (time: number): TraceEvent[] => [
      { kind: "send", time, id: 1, from: "a", to: "b", msg: { type: "Ping" } },
      { kind: "deliver", time: time + 1, id: 1, from: "a", to: "b", msg: { type: "Ping" } },
    ];
    // In the second run c (new) and b crash before a sends anything: a and b as before, then c.
    const runs = buildDiagram([
      { kind: "run", time: 0 },
      ...ping(1),
      { kind: "run", time: 0 },
      { kind: "crash", time: 0, node: "c" },
      { kind: "crash", time: 0, node: "b" },
      ...ping(1),
    ]);
    expect(runs.map((r) => r.nodes)).toEqual([
      ["a", "b"],
      ["a", "b", "c"],
    ]);
  });

  it("makes a duplicated message two copies, and keeps each copy's fate", () => {
    const fates = broken?.messages.map((m) => [m.id, m.type, m.fate.kind, m.duplicate ?? false]);
    // The network sends a duplicate once and delivers it twice: the second copy is known when
    // it arrives (at 4), before message 2 is sent.
    expect(fates).toEqual([
      [1, "Put", "delivered", false],
      [1, "Put", "delivered", true],
      [2, "Replicate", "dropped", false],
      [3, "Replicate", "dropped", false],
      [4, "PutOk", "in-flight", false],
    ]);
    expect(broken?.messages[3]?.fate).toEqual({ kind: "dropped", atMs: 9, reason: "crashed" });
    expect(fixed?.messages[0]?.type).toBe("message");
  });

  it("turns crash and restart into an outage, partition and heal into a span", () => {
    expect(broken?.outages).toEqual([{ node: "n2", fromMs: 7, untilMs: 12 }]);
    expect(fixed?.partitions).toEqual([{ fromMs: 2, untilMs: 10, groups: [["a"], ["b"]] }]);
    expect(broken?.marks.map((m) => m.kind)).toEqual(["note", "crash", "recover"]);
  });

  it("draws nothing for a trace without messages, crashes or partitions", () => {
    expect(buildDiagram([{ kind: "note", text: "hi", level: "story" }])).toEqual([]);
  });
});

describe("windowRuns", () => {
  const runs = buildDiagram(twoRuns);

  it("keeps what overlaps the window and leaves out a run with nothing in it", () => {
    // [8, 9]: message 3 (sent 8, dropped 9) and message 4 (sent 13, still in flight: not yet
    // sent at 9) of the first run; in the second, the partition (2 to 10) overlaps, message 2
    // (sent 11) does not.
    const windowed = windowRuns(runs, 8, 9);
    expect(windowed.map((r) => r.title)).toEqual(["broken", "fixed"]);
    expect(windowed[0]?.messages.map((m) => m.id)).toEqual([3]);
    expect(windowed[0]?.outages).toHaveLength(1);
    expect(windowed[1]?.messages).toEqual([]);
    expect(windowed[1]?.partitions).toHaveLength(1);
    expect([windowed[0]?.startMs, windowed[0]?.endMs]).toEqual([8, 9]);
    // From 12.5 on: the PutOk sent at 13 (in flight to the run's end, 13) and the second run's
    // Ping (sent 11, delivered 14); the restart at 12 is before the window.
    const late = windowRuns(runs, 12.5, undefined);
    expect(late[0]?.marks).toEqual([]);
    expect(late.map((r) => r.messages.map((m) => m.type))).toEqual([["PutOk"], ["Ping"]]);
  });

  it("returns the runs as they are without a window", () => {
    expect(windowRuns(runs, undefined, undefined)).toEqual(runs);
  });
});
