/**
 * The self-contained web page (shared/render/diagram/html.ts): no network, the SVG and every trace
 * line tagged with its event, the model the script reads, nothing a message can carry breaking
 * out of its element, a script that parses, and the same bytes for the same seed. The browser test
 * (tests/browser/html.test.ts) runs the page in Chromium.
 */
import { describe, expect, it } from "vitest";
import { replication } from "../../../replication/main.js";
import { renderHtml } from "../../../shared/render/diagram/html.js";
import { buildDiagram } from "../../../shared/render/diagram/model.js";
import { isVisible } from "../../../shared/render/text.js";
import type { TraceEvent } from "../../../shared/trace.js";
import { runInProcess } from "../fixtures/cli.js";

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

const events = await scenarioEvents("failover", 1);
const runs = buildDiagram(events);
const html = renderHtml(runs, events, { title: "replication failover · seed 1" });

/** The text inside each `<script>` element, in order. */
function scripts(page: string): string[] {
  return [...page.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1] as string);
}

describe("the web page of a replication run (failover, seed 1)", () => {
  it("loads nothing from elsewhere: no external script, style, font or image", () => {
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link\b/);
    expect(html).not.toMatch(/@import|@font-face/);
    expect(html).not.toMatch(/\bhref=/);
    // url(...) only for the SVG's own patterns and markers.
    expect(
      [...html.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1]).filter((u) => !u?.startsWith("#")),
    ).toEqual([]);
    // The one URL in the page is the SVG namespace, an identifier never fetched.
    expect([...html.matchAll(/https?:\/\/[^"'\s)]*/g)].map((m) => m[0])).toEqual(
      expect.arrayContaining(["http://www.w3.org/2000/svg"]),
    );
    expect(new Set([...html.matchAll(/https?:\/\/[^"'\s)]*/g)].map((m) => m[0]))).toEqual(
      new Set(["http://www.w3.org/2000/svg"]),
    );
  });

  it("holds the diagram and one trace element per shown event, tagged with its index", () => {
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="diagram"');
    const shown = events.flatMap((event, index) => (isVisible(event, "verbose") ? [index] : []));
    const tagged = [
      ...html.matchAll(/<div class="ev [a-z]+" id="ev-(\d+)" data-event="(\d+)"/g),
    ].map((m) => Number(m[2]));
    expect(tagged).toEqual(shown);
    // A message the text of --verbose counts instead of listing (routine) has its lines here too.
    const routine: TraceEvent[] = [
      { kind: "run", time: 0 },
      { kind: "send", time: 1, id: 1, from: "a", to: "b", msg: { type: "Beat" }, routine: true },
      { kind: "deliver", time: 2, id: 1, from: "a", to: "b", msg: { type: "Beat" }, routine: true },
    ];
    const page = renderHtml(buildDiagram(routine), routine, { title: "routine" });
    expect(page.match(/<div class="ev (send|deliver) routine" id="ev-[12]"/g)).toHaveLength(2);
    // A deliver event's line is the plain renderer's: time, receiver, ← sender, message.
    const deliver = events.findIndex((e) => e.kind === "deliver");
    const line = new RegExp(`data-event="${deliver}"[^>]*>([^<]*)</div>`).exec(html)?.[1] ?? "";
    expect(line).toMatch(
      /^\s+\d+\.\dms {2}r1 +← client-\d {2}\{&quot;type&quot;:&quot;Write&quot;/,
    );
  });

  it("gives the script every message of every run, with its trace events", () => {
    const [model] = scripts(html);
    const parsed = JSON.parse(model ?? "") as {
      runs: { messages: { sendEvent: number; fateEvent?: number }[] }[];
    };
    expect(parsed.runs.map((r) => r.messages.length)).toEqual(runs.map((r) => r.messages.length));
    const sends = parsed.runs.flatMap((r) => r.messages.map((m) => m.sendEvent));
    for (const index of sends.slice(0, 50)) expect(events[index]?.kind).toBe("send");
  });

  it("has a script that parses", () => {
    const code = scripts(html)[1] ?? "";
    expect(code.length).toBeGreaterThan(1000);
    expect(() => new Function(code)).not.toThrow();
    // The check above catches a broken script:
    expect(() => new Function(`${code}\n}`)).toThrow(SyntaxError);
  });

  it("is byte-identical for the same seed, and differs for another", async () => {
    const again = await scenarioEvents("failover", 1);
    expect(renderHtml(buildDiagram(again), again, { title: "replication failover · seed 1" })).toBe(
      html,
    );
    const other = await scenarioEvents("failover", 2);
    expect(
      renderHtml(buildDiagram(other), other, { title: "replication failover · seed 1" }),
    ).not.toBe(html);
  });
});

describe("what a message or a name carries stays inside its element", () => {
  const evil = "</script><script>alert(1)</script><b>";
  const msg = { type: "Evil", payload: evil };
  const page: TraceEvent[] = [
    { kind: "section", title: `heading ${evil}` },
    { kind: "run", time: 0 },
    { kind: "send", time: 1, id: 1, from: `n<1>&"'`, to: "n2", msg },
    { kind: "deliver", time: 2, id: 1, from: `n<1>&"'`, to: "n2", msg },
    { kind: "note", time: 2, node: "n2", text: evil, level: "story" },
  ];
  const out = renderHtml(buildDiagram(page), page, { title: evil });

  it("opens exactly the page's two scripts, and no element the message names", () => {
    expect(out.match(/<script/g)).toHaveLength(2);
    expect(out).not.toContain("<b>");
    const model = JSON.parse(scripts(out)[0] ?? "") as { runs: { messages: { json: string }[] }[] };
    expect(JSON.parse(model.runs[0]?.messages[0]?.json ?? "")).toEqual(msg);
  });

  it("would open a third script if the model were embedded as plain JSON (the broken variant)", () => {
    const naive = `<script type="application/json">${JSON.stringify(msg)}</script><script>code</script>`;
    expect(naive.match(/<script/g)).toHaveLength(3);
  });
});

describe("operations and empty pages", () => {
  it("makes each operation a tab stop the script can look up", () => {
    const page: TraceEvent[] = [
      { kind: "run", time: 0 },
      { kind: "send", time: 1, id: 1, from: "c1", to: "n1", msg: { type: "Write" } },
      {
        kind: "history",
        name: "linearizability of key x",
        operations: [
          {
            op: 7,
            process: "c1",
            f: "write",
            key: "x",
            input: "1",
            outcome: "ok",
            invokeMs: 1,
            completeMs: 5,
          },
        ],
        witness: [7],
      },
    ];
    const out = renderHtml(buildDiagram(page), page, { title: "ops" });
    expect(out).toMatch(
      /<g class="op ok witness" data-run="0" data-history="0" data-op="7" [^>]*tabindex="0">/,
    );
    const model = JSON.parse(scripts(out)[0] ?? "") as {
      runs: { histories: { operations: { op: number }[]; witness: number[] }[] }[];
    };
    expect(model.runs[0]?.histories[0]).toMatchObject({ operations: [{ op: 7 }], witness: [7] });
  });

  it("renders a trace with nothing to draw, its slider at 0 ms", () => {
    const page: TraceEvent[] = [{ kind: "note", text: "no network here", level: "story" }];
    const out = renderHtml(buildDiagram(page), page, { title: "empty" });
    expect(out).toContain('min="0" max="0" step="0.1" value="0"');
    expect(out).toContain("no message, crash or partition to draw");
    expect(out).toContain('<div class="ev note" id="ev-0" data-event="0">  no network here</div>');
  });
});
