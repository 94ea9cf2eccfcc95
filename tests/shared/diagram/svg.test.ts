/**
 * The SVG space-time diagram (shared/render/diagram/svg.ts): well-formed, self-contained XML with
 * one arrow per delivered message and one cross per dropped one, drawn on a true time scale, with
 * gaps for crashes, histories as bars with the witness marked, escaped names and messages, and the
 * same bytes for the same seed.
 */
import { describe, expect, it } from "vitest";
import { replication } from "../../../replication/main.js";
import { buildDiagram } from "../../../shared/render/diagram/model.js";
import { renderSvg } from "../../../shared/render/diagram/svg.js";
import type { TraceEvent } from "../../../shared/trace.js";
import { runInProcess } from "../fixtures/cli.js";
import { byClass, elements, parseXml, textOf, titleOf, type XmlElement } from "./xml.js";

/** The events of a replication scenario run, message events included (`--json` records them). */
async function scenarioEvents(name: string, seed: number): Promise<TraceEvent[]> {
  const { code, stdout } = await runInProcess(replication, [
    name,
    "--seed",
    String(seed),
    "--json",
  ]);
  expect(code).toBe(0);
  return stdout
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as TraceEvent);
}

/**
 * One arrow per deliver event and one cross per drop event, counted from the trace's own events
 * rather than from the model the SVG is drawn from.
 */
function expectOneMarkPerFate(root: XmlElement, events: readonly TraceEvent[]): void {
  const delivered = events.filter((e) => e.kind === "deliver").length;
  const dropped = events.filter((e) => e.kind === "drop").length;
  expect(byClass(root, "msg", "delivered")).toHaveLength(delivered);
  expect(byClass(root, "msg", "dropped")).toHaveLength(dropped);
  expect(byClass(root, "cross")).toHaveLength(dropped);
  // Every delivered arrow ends in the arrowhead, every cross sits inside a dropped message.
  for (const arrow of byClass(root, "msg", "delivered")) {
    const wire = elements(arrow).find((el) => el.attributes.class === "wire");
    expect(wire?.attributes["marker-end"]).toBe("url(#arrowhead)");
  }
  for (const drop of byClass(root, "msg", "dropped"))
    expect(byClass(drop, "cross")).toHaveLength(1);
}

const COORDINATES = ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "width", "height"];

const events = await scenarioEvents("failover", 1);
const runs = buildDiagram(events);
const svg = renderSvg(runs, { title: "replication failover · seed 1" });
const parsed = parseXml(svg);

describe("the SVG of a real run with loss and a crash (replication failover, seed 1)", () => {
  it("is a run with what the test needs: drops, a crash, two runs", () => {
    expect(events.filter((e) => e.kind === "drop").length).toBeGreaterThan(0);
    expect(events.filter((e) => e.kind === "crash").length).toBeGreaterThan(0);
    expect(runs).toHaveLength(2);
  });

  it("parses as XML, one panel per run, each titled by its heading", () => {
    const root = parsed;
    expect(root.name).toBe("svg");
    expect(root.attributes.xmlns).toBe("http://www.w3.org/2000/svg");
    const panels = byClass(root, "run");
    expect(panels.map((p) => textOf(byClass(p, "run-title")[0] as XmlElement))).toEqual([
      "Naive failover with asynchronous replication",
      "Failover by consensus: Raft",
    ]);
  });

  it("numbers panels whose runs share a heading (crdts runs several under one)", () => {
    const same = buildDiagram(events).map((run) => ({ ...run, title: "one heading" }));
    const root = parseXml(renderSvg(same, { title: "same" }));
    expect(byClass(root, "run-title").map(textOf)).toEqual([
      "one heading (1 of 2)",
      "one heading (2 of 2)",
    ]);
  });

  it("has one arrow per delivered message and one cross per dropped one", () => {
    expectOneMarkPerFate(parsed, events);
  });

  it("fails that count when a renderer forgets the crosses (the broken variant)", () => {
    const broken = svg.replace(/<path class="cross" d="[^"]*"\/>/g, "");
    expect(() => expectOneMarkPerFate(parseXml(broken), events)).toThrow();
  });

  it("draws every crash as a gap in the node's line, with a mark", () => {
    const root = parsed;
    const crashes = events.filter((e) => e.kind === "crash").length;
    expect(byClass(root, "crash-mark")).toHaveLength(crashes);
    // Raft's run: s1 crashed once and came back, so its line is two segments.
    const raft = byClass(root, "run")[1] as XmlElement;
    const s1 = elements(raft).find((el) => el.attributes["data-node"] === "s1") as XmlElement;
    expect(byClass(s1, "lifeline")).toHaveLength(2);
  });

  it("gives every arrow a hover title with the message's JSON and its times", () => {
    const root = parsed;
    for (const arrow of byClass(root, "msg")) {
      const title = titleOf(arrow) ?? "";
      expect(title).toMatch(/sent at \d+\.\d ms/);
      expect(title).toContain('{"type":');
    }
  });

  it("is self-contained, with coordinates rounded to 0.1 px", () => {
    const wrong: string[] = [];
    for (const el of elements(parsed)) {
      for (const [name, value] of Object.entries(el.attributes)) {
        if (name === "xmlns") continue;
        if (/https?:|\/\//.test(value) || name.endsWith("href")) wrong.push(`${name}=${value}`);
        if (COORDINATES.includes(name) && !/^-?\d+(\.\d)?$/.test(value))
          wrong.push(`${name}=${value}`);
      }
    }
    expect(wrong).toEqual([]);
    // The check above would see float noise:
    expect("123.45600000000002").not.toMatch(/^-?\d+(\.\d)?$/);
  });

  it("is byte-identical for the same seed, and differs for another", async () => {
    const again = renderSvg(buildDiagram(await scenarioEvents("failover", 1)), {
      title: "replication failover · seed 1",
    });
    expect(again).toBe(svg);
    const other = renderSvg(buildDiagram(await scenarioEvents("failover", 2)), {
      title: "replication failover · seed 1",
    });
    expect(other).not.toBe(svg);
  });
});

/** A hand-made run: two nodes a and b, 100 ms, every fate a message can have, a crash of a. */
const HAND_MADE: TraceEvent[] = [
  { kind: "section", title: "hand-made" },
  { kind: "run", time: 0 },
  { kind: "send", time: 10, id: 1, from: "a", to: "b", msg: { type: "Ping" } },
  { kind: "deliver", time: 30, id: 1, from: "a", to: "b", msg: { type: "Ping" } },
  { kind: "send", time: 40, id: 2, from: "a", to: "b", msg: { type: "Ping" } },
  { kind: "drop", time: 40, id: 2, from: "a", to: "b", msg: { type: "Ping" }, reason: "loss" },
  { kind: "send", time: 50, id: 3, from: "b", to: "a", msg: { type: "Pong" } },
  { kind: "crash", time: 55, node: "a" },
  { kind: "drop", time: 70, id: 3, from: "b", to: "a", msg: { type: "Pong" }, reason: "crashed" },
  { kind: "recover", time: 80, node: "a" },
  { kind: "send", time: 90, id: 4, from: "a", to: "b", msg: { type: "Ping" } },
  { kind: "note", time: 100, node: "b", text: "the end <of> it & all", level: "story" },
];

function wireOf(message: XmlElement): Record<string, string> {
  const wire = elements(message).find((el) => el.attributes.class === "wire");
  if (wire === undefined) throw new Error("a message without a wire");
  return wire.attributes;
}

describe("the SVG's geometry, worked by hand", () => {
  // 100 ms: 2 px per ms (the scale a run gets when it fits), so 200 px of plot below a 64 px head.
  // The time axis is 84 px wide and each node's column 130 px: a's line at x 149, b's at 279.
  const root = parseXml(renderSvg(buildDiagram(HAND_MADE), { title: "hand-made" }));
  const message = (id: number) =>
    byClass(root, "msg").find((el) => el.attributes["data-id"] === String(id)) as XmlElement;

  it("draws a delivered message from (sender, send time) to (receiver, delivery time)", () => {
    expect(message(1).attributes.class).toBe("msg delivered");
    expect(wireOf(message(1))).toMatchObject({ x1: "149", y1: "84", x2: "279", y2: "124" });
  });

  it("draws a message dropped as it was sent as a short stub ending in a cross", () => {
    // Sent at 40 ms (y 144): a stub 30% of the way (39 px, capped at 36) and 8 px down.
    expect(wireOf(message(2))).toMatchObject({ x1: "149", y1: "144", x2: "185", y2: "152" });
    const cross = byClass(message(2), "cross")[0] as XmlElement;
    expect(cross.attributes.d).toBe("M180,147 L190,157 M190,147 L180,157");
    // A stub does not reach its receiver's line, so its label names it.
    expect(
      elements(message(2))
        .filter((e) => e.name === "text")
        .map(textOf),
    ).toEqual(["Ping → b"]);
    expect(
      elements(message(3))
        .filter((e) => e.name === "text")
        .map(textOf),
    ).toEqual(["Pong"]);
  });

  it("draws a message dropped on arrival at full length, ending in a cross", () => {
    expect(wireOf(message(3))).toMatchObject({ x1: "279", y1: "164", x2: "149", y2: "204" });
    expect(byClass(message(3), "cross")).toHaveLength(1);
  });

  it("draws a message still in flight dashed to the bottom edge", () => {
    expect(message(4).attributes.class).toBe("msg in-flight");
    expect(wireOf(message(4))).toMatchObject({ x1: "149", y1: "244", x2: "279", y2: "264" });
  });

  it("leaves a gap in a's line from its crash (55 ms) to its restart (80 ms)", () => {
    const a = elements(root).find((el) => el.attributes["data-node"] === "a") as XmlElement;
    expect(byClass(a, "lifeline").map((l) => [l.attributes.y1, l.attributes.y2])).toEqual([
      ["64", "174"],
      ["224", "264"],
    ]);
  });

  it("puts a note marker with the full note as its hover text", () => {
    const note = byClass(root, "note-mark")[0] as XmlElement;
    expect(titleOf(note)).toBe("100.0 ms b: the end <of> it & all");
  });

  it("windows the drawing with fromMs and toMs, cutting a message that crosses the edge", () => {
    const windowed = parseXml(
      renderSvg(buildDiagram(HAND_MADE), { title: "hand-made", fromMs: 20, toMs: 60 }),
    );
    // Messages 1 (10 to 30 ms), 2 (40 ms) and 3 (50 to 70 ms) overlap 20..60 ms; 4 (90 ms) does not.
    expect(byClass(windowed, "msg").map((m) => m.attributes["data-id"])).toEqual(["1", "2", "3"]);
    // 40 ms of window: 5 px per ms fits the 300 px minimum height and is round (7.5 is not).
    // Message 1 is cut at the top edge (20 ms): halfway from a to b.
    const one = byClass(windowed, "msg").find((m) => m.attributes["data-id"] === "1") as XmlElement;
    expect(wireOf(one)).toMatchObject({ x1: "214", y1: "64", x2: "279", y2: "114" });
  });

  it("labels no wire cut to nothing at the window's bottom edge", () => {
    // Message 3 is sent at 50 ms, the window's end: its wire is a point, and gets no label;
    // message 1, sent at 10 ms and delivered at 30, keeps its label.
    const windowed = parseXml(
      renderSvg(buildDiagram(HAND_MADE), { title: "hand-made", fromMs: 0, toMs: 50 }),
    );
    const labels = (id: string) =>
      elements(
        byClass(windowed, "msg").find((m) => m.attributes["data-id"] === id) as XmlElement,
      ).filter((e) => e.name === "text").length;
    expect([labels("1"), labels("3")]).toEqual([1, 0]);
  });
});

describe("the time scale of a long run", () => {
  // Two messages 10 ms on the wire, at the start and at the end of 10,000 ms.
  const long: TraceEvent[] = [
    { kind: "run", time: 0 },
    { kind: "send", time: 0, id: 1, from: "a", to: "b", msg: { type: "Ping" } },
    { kind: "deliver", time: 10, id: 1, from: "a", to: "b", msg: { type: "Ping" } },
    { kind: "send", time: 9990, id: 2, from: "b", to: "a", msg: { type: "Pong" } },
    { kind: "deliver", time: 10_000, id: 2, from: "b", to: "a", msg: { type: "Pong" } },
  ];

  it("is squeezed to fit 5000 px, and says so", () => {
    const root = parseXml(renderSvg(buildDiagram(long), { title: "long" }));
    // A 10 ms flight drawn 32 px tall wants 3.2 px per ms: 10,000 ms would be 32,000 px, and
    // 0.5 px per ms fits 5000 px exactly.
    expect(textOf(byClass(root, "scale")[0] as XmlElement)).toBe(
      "time goes down: 1 px = 2 simulated ms, squeezed to fit 5000 px (--from and --to window it)",
    );
    expect(wireOf(byClass(root, "msg")[0] as XmlElement)).toMatchObject({ y1: "64", y2: "69" });
    expect(wireOf(byClass(root, "msg")[1] as XmlElement)).toMatchObject({
      y1: "5059",
      y2: "5064",
    });
  });

  it("draws a message's flight tall enough to slant, on a round scale", () => {
    // A run of 2 ms flights: 32 px / 2 ms is 16 px per ms, rounded down to 10.
    const short: TraceEvent[] = [
      { kind: "run", time: 0 },
      { kind: "send", time: 0, id: 1, from: "a", to: "b", msg: { type: "Ping" } },
      { kind: "deliver", time: 2, id: 1, from: "a", to: "b", msg: { type: "Ping" } },
      { kind: "send", time: 40, id: 2, from: "b", to: "a", msg: { type: "Pong" } },
      { kind: "deliver", time: 42, id: 2, from: "b", to: "a", msg: { type: "Pong" } },
    ];
    const root = parseXml(renderSvg(buildDiagram(short), { title: "short" }));
    expect(textOf(byClass(root, "scale")[0] as XmlElement)).toBe(
      "time goes down: 1 px = 0.1 simulated ms",
    );
    expect(wireOf(byClass(root, "msg")[1] as XmlElement)).toMatchObject({ y1: "464", y2: "484" });
  });

  it("is not squeezed when a window of it fits", () => {
    // Only the first message is in the window: 3.2 px per ms wanted, rounded down to 2.
    const root = parseXml(renderSvg(buildDiagram(long), { title: "long", fromMs: 0, toMs: 1000 }));
    expect(textOf(byClass(root, "scale")[0] as XmlElement)).toBe(
      "time goes down: 1 px = 0.5 simulated ms; showing 0.0 ms to 1000.0 ms of 0.0 ms to 10000.0 ms",
    );
  });
});

describe("histories as bars, Knossos- and Porcupine-style", () => {
  const events: TraceEvent[] = [
    { kind: "run", time: 0 },
    { kind: "send", time: 10, id: 1, from: "c1", to: "c2", msg: { type: "Hello" } },
    { kind: "deliver", time: 12, id: 1, from: "c1", to: "c2", msg: { type: "Hello" } },
    {
      kind: "history",
      name: "linearizability of key x",
      operations: [
        {
          op: 0,
          process: "c1",
          f: "write",
          key: "x",
          input: "3",
          outcome: "ok",
          invokeMs: 10,
          completeMs: 20,
        },
        {
          op: 1,
          process: "c1",
          f: "read",
          key: "x",
          output: "3",
          outcome: "ok",
          invokeMs: 30,
          completeMs: 40,
        },
        { op: 2, process: "c2", f: "write", key: "x", input: "4", outcome: "info", invokeMs: 15 },
        {
          op: 3,
          process: "c2",
          f: "write",
          key: "x",
          input: "5",
          outcome: "fail",
          invokeMs: 50,
          completeMs: 60,
        },
      ],
      witness: [1, 2],
    },
  ];
  const root = parseXml(renderSvg(buildDiagram(events), { title: "history" }));
  const ops = byClass(root, "op");
  const label = (op: XmlElement) =>
    textOf(elements(op).find((e) => e.name === "text") as XmlElement);

  it("draws one labelled bar per operation", () => {
    expect(ops.map(label)).toEqual(["w x=3", "★ r x→3", "★ w x=4 ? unknown", "w x=5 ✗ failed"]);
  });

  it("marks the witness with a class and a star, not colour alone", () => {
    expect(byClass(root, "op", "witness").map((o) => o.attributes["data-op"])).toEqual(["1", "2"]);
  });

  it("gives each client room on its left for its operations' labels, clear of the time axis", () => {
    // The axis is 84 px wide and each column 130: c1 and c2 each get 110 px more on their left.
    expect(byClass(root, "node-label").map((e) => e.attributes.x)).toEqual(["259", "499"]);
  });

  it("leaves an info operation open to the end of the run (60 ms), hatched", () => {
    const info = byClass(root, "op", "info")[0] as XmlElement;
    const rect = elements(info).find((e) => e.name === "rect") as XmlElement;
    // The one message flies 2 ms (10 to 12), drawn 32 px: 16 px per ms, rounded down to 10 (above
    // the 5 px per ms that 60 ms needs for the 300 px minimum): from 15 ms to 60 ms is 450 px.
    expect(rect.attributes.height).toBe("450");
    expect(titleOf(info)).toContain("never completed (info)");
  });
});

describe("escaping", () => {
  const name = `a<&"'b`;
  const msg = { type: "T<&>", text: `"quoted" 'single' </title> ]]>` };
  const events: TraceEvent[] = [
    { kind: "run", time: 0 },
    { kind: "send", time: 1, id: 1, from: name, to: "c\u0001d", msg },
    { kind: "deliver", time: 2, id: 1, from: name, to: "c\u0001d", msg },
  ];
  const svg = renderSvg(buildDiagram(events), { title: `title <&"'>` });

  it("keeps the XML well-formed and the text intact", () => {
    const root = parseXml(svg);
    expect(textOf(byClass(root, "page-title")[0] as XmlElement)).toBe(`title <&"'>`);
    expect(byClass(root, "node-label").map(textOf)).toEqual([name, "cd"]);
    const arrow = byClass(root, "msg")[0] as XmlElement;
    expect(titleOf(arrow)).toContain(JSON.stringify(msg));
    expect(elements(root).find((e) => e.attributes["data-node"] === name)).toBeDefined();
  });

  it("would be rejected unescaped (the broken variant)", () => {
    expect(() => parseXml(`<svg><text>${name}</text></svg>`)).toThrow(/not well-formed/);
    expect(() => parseXml(`<svg><g data-node="${name}"/></svg>`)).toThrow(/not well-formed/);
    expect(() => parseXml("<svg><g></svg>")).toThrow(/not well-formed/);
  });
});
