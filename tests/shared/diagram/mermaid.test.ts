/**
 * The Mermaid sequence diagram (`--mermaid`). Mermaid parses in a browser, so its grammar is
 * checked here by the rules of its lexer and parser (packages/mermaid/src/diagrams/sequence/
 * parser/sequenceDiagram.jison), for the statements we write:
 * - entity codes `#name;` are set aside before parsing (encodeEntities in utils.ts);
 * - then a message's or note's text runs from `:` up to the first `#`, `;` or newline
 *   (`":"[^#\n;]*`), so neither may appear raw; `<` and `>` would be read as HTML;
 * - a participant's alias is the rest of its line, up to `#`, `;` or a newline;
 * - keywords are matched before actor names, without a word boundary, so an actor id must not
 *   begin with one; `Note over` names one or two actors; each `rect` closes with `end`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { distributedTransactions } from "../../../distributed-transactions/main.js";
import { escapeText, renderMermaid } from "../../../shared/render/diagram/mermaid.js";
import { buildDiagram, type DiagramRun } from "../../../shared/render/diagram/model.js";
import { gossipTrace } from "../../pictures/runs.js";
import { runInProcess } from "../fixtures/cli.js";
import { testDir } from "../fixtures/temp.js";

const KEYWORDS = [
  "participant",
  "actor",
  "create",
  "destroy",
  "box",
  "loop",
  "rect",
  "opt",
  "alt",
  "else",
  "par",
  "and",
  "critical",
  "option",
  "break",
  "end",
  "left of",
  "right of",
  "links",
  "link",
  "properties",
  "details",
  "over",
  "note",
  "activate",
  "deactivate",
  "title",
  "autonumber",
  "off",
  "sequencediagram",
];

const ID = "[A-Za-z][A-Za-z0-9_]*";
/** Text after `:` once entity codes are set aside: no `#`, `;`, newline, `<`, `>` or `%`. */
const TEXT = "[^#;\\n<>%]*";
const STATEMENTS: RegExp[] = [
  new RegExp(`^  participant (${ID}) as (${TEXT})$`),
  new RegExp(`^  (${ID})(->>|-x|--\\))(${ID}): ${TEXT}$`),
  new RegExp(`^  Note (?:over|right of) (${ID})(?:,(${ID}))?: ${TEXT}$`),
  /^ {2}rect rgba?\(\d+, \d+, \d+(?:, [\d.]+)?\)$/,
  /^ {2}end$/,
  /^ {2}%%[^\n]*$/,
];

/** Grammar problems in a diagram's text, by the rules above; empty when Mermaid would parse it. */
function grammarProblems(text: string): string[] {
  const problems: string[] = [];
  const lines = text.replace(/\n$/, "").split("\n");
  if (lines[0] !== "sequenceDiagram") problems.push(`first line is ${lines[0]}`);
  const declared = new Set<string>();
  let depth = 0;
  for (const line of lines.slice(1)) {
    const encoded = line.replace(/#\w+;/g, "ENTITY");
    const match = STATEMENTS.map((s) => s.exec(encoded)).find((m) => m !== null);
    if (match === undefined || match === null) {
      problems.push(`not a statement Mermaid reads: ${line}`);
      continue;
    }
    if (encoded.startsWith("  participant ")) {
      const id = match[1] as string;
      if (KEYWORDS.some((k) => id.toLowerCase().startsWith(k)))
        problems.push(`participant id ${id} begins with a keyword`);
      declared.add(id);
    } else if (encoded.startsWith("  rect ")) depth += 1;
    else if (encoded === "  end") {
      depth -= 1;
      if (depth < 0) problems.push("end without rect");
    } else {
      const ids = match.slice(1).filter((g) => g !== undefined && /^[A-Za-z]/.test(g));
      for (const id of ids) if (!declared.has(id)) problems.push(`undeclared participant ${id}`);
    }
  }
  if (depth !== 0) problems.push(`${depth} rect left open`);
  return problems;
}

const arrows = (text: string) =>
  text.split("\n").filter((l) => /^ {2}\w+(->>|-x|--\))\w+:/.test(l));

function runsOf(seed: number, runs = 1, names?: [string, string, string]): DiagramRun[] {
  return buildDiagram(gossipTrace({ seed, runs, ...(names ? { names } : {}) }));
}

describe("the Mermaid sequence diagram", () => {
  test("has one arrow per message, -x for each drop, and a note per crash, restart and partition", () => {
    const runs = runsOf(3, 2, ["n1", "n2", "n3"]);
    const text = renderMermaid(runs, { maxMessages: 1000 });
    const lines = text.split("\n");
    expect(lines[0]).toBe("sequenceDiagram");
    expect(lines.slice(1, 4)).toEqual([
      "  participant p0 as n1",
      "  participant p1 as n2",
      "  participant p2 as n3",
    ]);
    const messages = runs.flatMap((r) => r.messages);
    expect(arrows(text)).toHaveLength(messages.length);
    const drops = messages.filter((m) => m.fate.kind === "dropped").length;
    expect(drops).toBeGreaterThan(0);
    expect(arrows(text).filter((l) => /^ {2}\w+-x\w+:/.test(l))).toHaveLength(drops);
    // Each run: its heading, one partition (a shaded region), one crash and one restart of n2.
    expect(lines.filter((l) => l.startsWith("  Note over p0,p2: run "))).toEqual([
      "  Note over p0,p2: run 1: gossip run 1",
      "  Note over p0,p2: run 2: gossip run 2",
    ]);
    expect(lines.filter((l) => l === "  rect rgba(255, 80, 80, 0.12)")).toHaveLength(2);
    expect(lines.filter((l) => /^ {2}Note over p1: ✗ 30\.0ms crashed$/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /^ {2}Note over p1: ↻ 50\.0ms restarted$/.test(l))).toHaveLength(2);
    expect(grammarProblems(text)).toEqual([]);
  });

  test("a message's label says its type, payload and times; arrows come in delivery order", () => {
    const runs = runsOf(3);
    const text = renderMermaid(runs);
    const first = runs[0]?.messages.find((m) => m.fate.kind === "delivered");
    // The first message delivered in gossip run 1, seed 3: n1's rumor to n2, sent at 0 and
    // delivered 4.7 ms later (the model's numbers, written as the trace writes times).
    expect(first?.fate).toEqual({ kind: "delivered", atMs: expect.closeTo(4.7, 1) });
    expect(arrows(text)[0]).toBe("  p0->>p1: Rumor hops=0 · 0.0ms→4.7ms");
    const times = arrows(text)
      .map((l) => /→(\d+\.\d)ms|· (\d+\.\d)ms, dropped/.exec(l))
      .map((m) => Number(m?.[1] ?? m?.[2]));
    expect(times.length).toBeGreaterThan(3);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  test("a long run is cut at maxMessages, with a note saying how many more there were", () => {
    const runs = runsOf(4, 2);
    const total = runs.reduce((n, r) => n + r.messages.length, 0);
    const cap = 5;
    expect(total).toBeGreaterThan(cap);
    const text = renderMermaid(runs, { maxMessages: cap });
    expect(arrows(text)).toHaveLength(cap);
    const last = text.trimEnd().split("\n").at(-1) ?? "";
    expect(last).toMatch(
      new RegExp(
        `^ {2}Note over p0,p2: … ${total - cap} more messages not shown \\(from \\d+\\.\\dms of run 1 on\\)#59; use --from/--to to draw a window of the run, or --svg to draw all of it$`,
      ),
    );
    expect(grammarProblems(text)).toEqual([]);
    // No cut, no note.
    expect(renderMermaid(runs, { maxMessages: total })).not.toContain("not shown");
    // The default cap is 60 messages.
    const many = buildDiagram(gossipTrace({ seed: 1, rumors: 20, loss: 0, duplicate: 0 }));
    expect(many[0]?.messages.length).toBeGreaterThan(60);
    expect(arrows(renderMermaid(many))).toHaveLength(60);
  });

  test("escapes what Mermaid would read as syntax, in names and in text", () => {
    expect(escapeText("a;b#c<d>%e: f")).toBe("a#59;b#35;c#lt;d#gt;#37;e: f");
    expect(escapeText("two\nlines")).toBe("two lines");
    const names: [string, string, string] = ["client;1", "n#2", "<end> %%x"];
    const text = renderMermaid(runsOf(3, 1, names));
    expect(text).toContain("  participant p0 as client#59;1\n");
    expect(text).toContain("  participant p1 as n#35;2\n");
    expect(text).toContain("  participant p2 as #lt;end#gt; #37;#37;x\n");
    expect(text).toContain("network partition: {#lt;end#gt; #37;#37;x} | {client#59;1, n#35;2}");
    expect(grammarProblems(text)).toEqual([]);
  });

  test("the grammar check rejects a broken variant that does not escape", () => {
    const names: [string, string, string] = ["client;1", "n#2", "<n3>"];
    const good = renderMermaid(runsOf(3, 1, names));
    const unescaped = good
      .replaceAll("#59;", ";")
      .replaceAll("#35;", "#")
      .replaceAll("#lt;", "<")
      .replaceAll("#gt;", ">");
    expect(grammarProblems(unescaped).length).toBeGreaterThan(0);
    // And one that leaves a partition's region open, or names a node by its own name.
    expect(grammarProblems(good.replace(/\n {2}end\n/, "\n"))).toContain("1 rect left open");
    expect(grammarProblems(good.replace("p0->>p1", "client;1->>p1")).length).toBeGreaterThan(0);
  });

  test("the same seed writes the same bytes", () => {
    const a = renderMermaid(runsOf(5, 2));
    expect(renderMermaid(runsOf(5, 2))).toBe(a);
    expect(renderMermaid(runsOf(6, 2))).not.toBe(a);
  });

  test("a real run through the command line: Mermaid's grammar holds, and the same seed writes the same bytes", async () => {
    const dir = testDir("mermaid");
    const draw = async (name: string) => {
      const file = join(dir, name);
      const run = await runInProcess(distributedTransactions, [
        "two-phase-commit",
        "--transactions",
        "3",
        "--mermaid",
        file,
      ]);
      expect(run.code).toBe(0);
      return readFileSync(file, "utf8");
    };
    const text = await draw("a.mmd");
    expect(grammarProblems(text)).toEqual([]);
    // The six stories and the random run, each introduced by a note over every participant.
    expect(text.match(/^ {2}Note over p0,p\d+: run \d+: /gm)?.length).toBeGreaterThan(1);
    expect(text).toContain(": The coordinator crashes at the commit point\n");
    expect(await draw("b.mmd")).toBe(text);
  }, 60_000);

  test("no runs: a diagram with nothing in it, still one Mermaid reads", () => {
    const text = renderMermaid([]);
    expect(text.split("\n")[0]).toBe("sequenceDiagram");
    expect(grammarProblems(text)).toEqual([]);
  });
});
