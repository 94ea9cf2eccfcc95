/**
 * The terminal space-time diagram: one arrowhead per delivered message in the window, no line
 * wider than the width it was given (in terminal cells), crash and partition marks, the window's
 * account of what it left out, and the same lines for the same run. Each property's counter is
 * shown to catch a diagram that breaks it.
 */
import { describe, expect, it } from "vitest";
import { buildDiagram, type DiagramRun } from "../../../shared/render/diagram/model.js";
import {
  abbreviate,
  cellWidth,
  DiagramPrinter,
  renderTerminalDiagram,
  truncateCells,
  wrap,
} from "../../../shared/render/diagram/terminal.js";
import { TextRenderer } from "../../../shared/render/text.js";
import type { TraceEvent } from "../../../shared/trace.js";
import { twoRuns } from "./runs.js";

/**
 * Arrowheads of delivered messages: ▶ and ◀ between two nodes, ↺ for a node to itself; the legend
 * under the diagram ("└ ...") shows the glyphs too and is not counted.
 */
function arrowheads(lines: readonly string[]): number {
  const rows = lines.filter((line) => !line.startsWith("└ "));
  return rows.join("\n").match(/[▶◀↺]/gu)?.length ?? 0;
}

function widest(lines: readonly string[]): number {
  return Math.max(0, ...lines.map(cellWidth));
}

/**
 * A run among `count` nodes: node i sends to node (i * 7 + 3) mod count, every fifth message is
 * lost, node 1 crashes at 40 ms and restarts at 60 ms, nodes are cut in two from 50 to 70 ms, and
 * each node notes something long. Delivered: every message not lost, counted by hand below.
 */
function ring(count: number): TraceEvent[] {
  const name = (i: number) => (i === 0 ? "client-1" : `node-${i}`);
  const events: TraceEvent[] = [
    { kind: "section", title: `${count} nodes` },
    { kind: "run", time: 0 },
  ];
  let id = 1;
  for (let t = 0; t < 100; t += 10) {
    if (t === 40) events.push({ kind: "crash", time: 40, node: name(1) });
    if (t === 50)
      events.push({
        kind: "partition",
        time: 50,
        groups: [
          Array.from({ length: Math.ceil(count / 2) }, (_, i) => name(i)),
          Array.from({ length: Math.floor(count / 2) }, (_, i) => name(i + Math.ceil(count / 2))),
        ],
      });
    if (t === 60) events.push({ kind: "recover", time: 60, node: name(1) });
    if (t === 70) events.push({ kind: "heal", time: 70 });
    for (let i = 0; i < count; i++) {
      const from = name(i);
      const to = name((i * 7 + 3) % count);
      const msg = { type: i % 2 === 0 ? "AppendEntries" : "Ack" };
      events.push({ kind: "send", time: t, id, from, to, msg });
      if (id % 5 === 0)
        events.push({ kind: "drop", time: t + 1, id, from, to, msg, reason: "loss" });
      else events.push({ kind: "deliver", time: t + 2, id, from, to, msg });
      id++;
    }
    events.push({
      kind: "note",
      time: t + 3,
      node: name((t / 10) % count),
      text: `round ${t / 10}: a note long enough to be wrapped in the margin of a narrow terminal`,
      level: "story",
    });
  }
  return events;
}

const runOf = (events: TraceEvent[]): DiagramRun => buildDiagram(events)[0] as DiagramRun;
const delivered = (run: DiagramRun, from = -Infinity, to = Infinity) =>
  run.messages.filter(
    (m) => m.fate.kind === "delivered" && m.fate.atMs >= from && m.fate.atMs <= to,
  ).length;

describe("the terminal diagram", () => {
  for (const nodes of [2, 30]) {
    const run = runOf(ring(nodes));
    for (const width of [40, 80, 200]) {
      it(`${nodes} nodes at width ${width}: one arrowhead per delivered message, no line wider`, () => {
        const lines = renderTerminalDiagram(run, { widthColumns: width, colorLevel: 0 });
        // 10 rounds of `nodes` messages, every fifth lost.
        const sent = 10 * nodes;
        expect(delivered(run)).toBe(sent - sent / 5);
        expect(arrowheads(lines)).toBe(sent - sent / 5);
        expect(widest(lines)).toBeLessThanOrEqual(width);
        // With colour the same cells, and escape codes that take none.
        const coloured = renderTerminalDiagram(run, { widthColumns: width, colorLevel: 1 });
        expect(widest(coloured)).toBeLessThanOrEqual(width);
        expect(coloured.join("\n")).toContain(`${String.fromCharCode(27)}[`);
      });
    }
  }

  it("shows a node down from its crash on, in trace order: what arrived just before finds it up", () => {
    const msg = { type: "Prepare" };
    const events: TraceEvent[] = [
      { kind: "run", time: 0 },
      { kind: "send", time: 0, id: 1, from: "c", to: "p", msg },
      { kind: "deliver", time: 5, id: 1, from: "c", to: "p", msg },
      { kind: "crash", time: 5, node: "p" },
      { kind: "send", time: 6, id: 2, from: "c", to: "p", msg },
      { kind: "drop", time: 7, id: 2, from: "c", to: "p", msg, reason: "crashed" },
    ];
    const lines = renderTerminalDiagram(buildDiagram(events)[0] as DiagramRun, {
      widthColumns: 80,
      colorLevel: 0,
    });
    const row = (at: string) => lines.find((l) => l.trimStart().startsWith(at)) ?? "";
    expect(row("5.0 ")).toMatch(/▶│/);
    expect(row("7.0 ")).toMatch(/✗┊/);
  });

  it("names every column under the diagram when names were shortened, since they can look alike", () => {
    const events: TraceEvent[] = [
      { kind: "run", time: 0 },
      { kind: "send", time: 0, id: 1, from: "controller", to: "consumer", msg: { type: "M" } },
      { kind: "deliver", time: 1, id: 1, from: "controller", to: "consumer", msg: { type: "M" } },
    ];
    const run = buildDiagram(events)[0] as DiagramRun;
    // 38 columns: 14 for the times and a space, 12 kept for the notes, 11 for two node columns of
    // 5, each name cut to 4 cells: "con…" and "con…".
    const narrow = renderTerminalDiagram(run, { widthColumns: 38, colorLevel: 0 });
    expect(narrow[1]).toMatch(/con… +con…/);
    expect(narrow.slice(-2)).toEqual(["  columns, left to right: controller,", "  consumer"]);
    expect(widest(narrow)).toBeLessThanOrEqual(38);
    const wide = renderTerminalDiagram(run, { widthColumns: 100, colorLevel: 0 });
    expect(wide[1]).toMatch(/controller +consumer/);
    expect(wide.join("\n")).not.toMatch(/columns, left to right/);
  });

  it("collapses the rightmost nodes into one column and says so", () => {
    const lines = renderTerminalDiagram(runOf(ring(30)), { widthColumns: 80, colorLevel: 0 });
    expect(lines.join("\n")).toMatch(/\+\d+: \d+ nodes share the last column \(node-/);
    const two = renderTerminalDiagram(runOf(ring(2)), { widthColumns: 80, colorLevel: 0 });
    expect(two.join("\n")).not.toMatch(/share the last column/);
    expect(two[1]).toMatch(/client-1\s+node-1/);
  });

  it("marks the crash, the node down, its restart, the partition and the heal", () => {
    const lines = renderTerminalDiagram(runOf(ring(2)), { widthColumns: 100, colorLevel: 0 });
    const row = (atMs: string) => lines.filter((l) => l.trimStart().startsWith(atMs));
    expect(row("40.0").join("\n")).toMatch(/╳.*node-1 crashed/);
    expect(row("50.0")[0]).toMatch(/║ ═+ partition ═+ +\{client-1\} \| \{node-1\}/);
    // node-1 is down from 40 to 60: its line is broken (┊) on the rows between.
    expect(row("42.0").join("\n")).toMatch(/┊/);
    expect(row("62.0").join("\n")).not.toMatch(/┊/);
    expect(row("60.0").join("\n")).toMatch(/↻.*node-1 restarted/);
    expect(row("70.0").join("\n")).toMatch(/─+ healed ─+/);
    // The side column shows the partition from 50 until the heal at 70, and not after.
    expect(row("62.0").every((l) => l.includes("║"))).toBe(true);
    expect(row("72.0").some((l) => l.includes("║"))).toBe(false);
    expect(lines.join("\n")).toMatch(/✗ lost/);
  });

  it("shows a window of time and says how many messages it leaves out on each side", () => {
    const run = runOf(ring(2));
    const lines = renderTerminalDiagram(run, {
      widthColumns: 80,
      fromMs: 20,
      toMs: 49,
      colorLevel: 0,
    });
    // Rounds at 0 and 10 end before 20 (4 messages); rounds at 20, 30 and 40 are inside (6, of
    // which messages 5 and 10 are lost: 4 arrowheads); rounds 50 to 90 after (10).
    expect(lines).toContain("(4 messages before 20.0ms not shown)");
    expect(lines).toContain("(10 messages after 49.0ms not shown)");
    expect(arrowheads(lines)).toBe(delivered(run, 20, 49));
    expect(delivered(run, 20, 49)).toBe(4);
  });

  it("draws the same lines for the same run", () => {
    const a = renderTerminalDiagram(runOf(ring(30)), { widthColumns: 80, colorLevel: 0 });
    const b = renderTerminalDiagram(runOf(ring(30)), { widthColumns: 80, colorLevel: 0 });
    expect(a).toEqual(b);
  });

  it("draws a message to itself, a duplicate, a drop on a crashed node and one in flight", () => {
    const [broken] = buildDiagram(twoRuns);
    const lines = renderTerminalDiagram(broken as DiagramRun, { widthColumns: 90, colorLevel: 0 });
    const text = lines.join("\n");
    expect(arrowheads(lines)).toBe(2);
    expect(text).toMatch(/\(duplicate\)/);
    expect(text).toMatch(/✗ receiver crashed/);
    expect(text).toMatch(/still in flight at the end/);
    const self = runOf([
      { kind: "send", time: 1, id: 1, from: "n1", to: "n1", msg: { type: "Tick" } },
      { kind: "deliver", time: 2, id: 1, from: "n1", to: "n1", msg: { type: "Tick" } },
    ]);
    const selfLines = renderTerminalDiagram(self, { widthColumns: 40, colorLevel: 0 });
    expect(arrowheads(selfLines)).toBe(1);
    expect(selfLines.join("\n")).toMatch(/↺Tick/);
  });

  it("its counters catch a diagram that breaks the rules", () => {
    const run = runOf(ring(30));
    // Drawn for 200 columns, it is wider than 40.
    const wide = renderTerminalDiagram(run, { widthColumns: 200, colorLevel: 0 });
    expect(widest(wide)).toBeGreaterThan(40);
    // A message turned into a drop loses its arrowhead: the count no longer matches the run's.
    const first = run.messages.find((m) => m.fate.kind === "delivered");
    const tampered: DiagramRun = {
      ...run,
      messages: run.messages.map((m) =>
        m === first ? { ...m, fate: { kind: "dropped", atMs: 2, reason: "loss" } } : m,
      ),
    };
    const lines = renderTerminalDiagram(tampered, { widthColumns: 80, colorLevel: 0 });
    expect(arrowheads(lines)).toBe(delivered(run) - 1);
  });
});

describe("text in cells", () => {
  it("counts wide characters twice and colour codes not at all", () => {
    expect(cellWidth("ab✗╳│")).toBe(5);
    expect(cellWidth("日本")).toBe(4);
    expect(cellWidth("\u001b[31mred\u001b[39m")).toBe(3);
  });

  it("cuts a line to its width with an ellipsis, keeping colour codes closed", () => {
    expect(truncateCells("abcdef", 4)).toBe("abc…");
    expect(truncateCells("abc", 4)).toBe("abc");
    expect(cellWidth(truncateCells("日本語です", 5))).toBeLessThanOrEqual(5);
    expect(truncateCells("\u001b[31mabcdef\u001b[39m", 4)).toBe("\u001b[31mabc…\u001b[0m");
  });

  it("shortens a name keeping its number, so client-12 and client-13 stay apart", () => {
    expect(abbreviate("client-12", 6)).toBe("cli…12");
    expect(abbreviate("client-13", 6)).toBe("cli…13");
    expect(abbreviate("monitor", 5)).toBe("moni…");
    expect(abbreviate("n1", 5)).toBe("n1");
  });

  it("wraps words into lines, cutting the last when there are too many", () => {
    expect(wrap("one two three four", 9, 3)).toEqual({
      lines: ["one two", "three", "four"],
      whole: true,
    });
    const cut = wrap("one two three four five six", 9, 2);
    expect(cut.whole).toBe(false);
    expect(cut.lines).toHaveLength(2);
    expect(cut.lines[1]?.endsWith("…")).toBe(true);
  });
});

describe("the diagram printer (--diagram's output)", () => {
  const events: TraceEvent[] = [
    { kind: "section", title: "a run" },
    { kind: "run", time: 0 },
    { kind: "send", time: 1, id: 1, from: "a", to: "b", msg: { type: "Put" } },
    { kind: "deliver", time: 2, id: 1, from: "a", to: "b", msg: { type: "Put" } },
    { kind: "note", time: 2, node: "b", text: "stores it", level: "story" },
    {
      kind: "note",
      time: 3,
      node: "b",
      text: Array.from({ length: 40 }, (_, i) => `word${i}`).join(" "),
      level: "story",
    },
    { kind: "note", text: "the run is over", level: "story" },
    { kind: "summary", held: 0, violated: 0, notExercised: 0, unexpected: 0, ok: true },
  ];
  const print = (verbosity: "normal" | "verbose") => {
    const printer = new DiagramPrinter({
      renderer: new TextRenderer({ colorLevel: 0, verbosity }),
      verbosity,
      colorLevel: 0,
      widthColumns: 60,
    });
    return events.flatMap((e) => printer.render(e)).join("\n");
  };

  it("draws the run when narration without a time follows, then that narration", () => {
    const out = print("normal");
    expect(out.startsWith("\na run\n\n┌ a run")).toBe(true);
    expect(out.indexOf("┌ a run")).toBeLessThan(out.indexOf("the run is over"));
    expect(out).toMatch(/├─Put.*▶│/);
  });

  it("prints a note the margin shows whole once, and one it cuts short again in full", () => {
    const out = print("normal");
    expect(out.split("stores it")).toHaveLength(2);
    // The long note: cut in the margin, then printed in full as a line of text.
    expect(out).toContain("word0 word1");
    expect(out).toMatch(/ {5}3\.0ms {2}b {9}word0 word1 .* word39/);
  });

  it("does not print as text the messages it draws, even with --verbose", () => {
    const out = print("verbose");
    expect(out).not.toMatch(/→ b {2}\{"type":"Put"\}/);
    expect(arrowheads(out.split("\n"))).toBe(1);
  });
});
