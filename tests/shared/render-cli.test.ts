import { describe, expect, it } from "vitest";
import { type Concept, choice, decimal, integer, probability, runCli } from "../../shared/cli.js";
import { renderJson } from "../../shared/render/json.js";
import { barOf, isVisible, TextRenderer } from "../../shared/render/text.js";
import { Trace, type TraceEvent } from "../../shared/trace.js";

/** An ANSI escape sequence: ESC followed by "[". */
const ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[`);

describe("parsers", () => {
  it("accept integers in range and reject everything else", async () => {
    const p = integer(1, 64);
    expect(p.parse("1")).toBe(1);
    expect(p.parse("64")).toBe(64);
    for (const bad of ["0", "65", "1.5", "abc", "", " 3", "1e2", "0x10", "-1"])
      expect(() => p.parse(bad)).toThrow(/integer from 1 to 64/);
  });

  it("accept probabilities in [0, 1] and decimals in range", async () => {
    expect(probability.parse("0")).toBe(0);
    expect(probability.parse("0.25")).toBe(0.25);
    expect(probability.parse("1")).toBe(1);
    expect(probability.parse(".5")).toBe(0.5);
    for (const bad of ["1.5", "-0.1", "NaN", "abc", "Infinity"])
      expect(() => probability.parse(bad)).toThrow(/probability from 0 to 1/);
    expect(() => decimal(0, 5).parse("5.01")).toThrow();
  });

  it("accept only listed choices", async () => {
    expect(choice(["a", "b"]).parse("b")).toBe("b");
    expect(() => choice(["a", "b"]).parse("c")).toThrow(/one of a, b/);
  });
});

describe("text renderer", () => {
  const plain = new TextRenderer({ colorLevel: 0, verbosity: "normal" });

  it("draws bars scaled to the largest value, with eighth-character precision", async () => {
    expect(barOf(0)).toBe("");
    expect(barOf(2.5)).toBe("██▌");
    expect(barOf(3.999)).toBe("████");
    const lines = plain.render({
      kind: "bars",
      title: "Load",
      bars: [
        { label: "a", value: 10 },
        { label: "bb", value: 5 },
      ],
    });
    expect(lines[1]).toBe("Load");
    expect(lines[2]).toMatch(/^ {2}a {3}█{40} 10$/);
    expect(lines[3]).toMatch(/^ {2}bb {2}█{20} {21}5$/);
  });

  it("right-aligns numeric columns of a table and left-aligns text", async () => {
    const lines = plain.render({
      kind: "table",
      title: "T",
      columns: ["name", "share"],
      rows: [
        ["x", "5.0%"],
        ["longer", "25.0%"],
      ],
    });
    expect(lines.slice(2)).toEqual([
      "  name    share",
      "  ──────  ─────",
      "  x        5.0%",
      "  longer  25.0%",
    ]);
  });

  it("marks checks by whether they held and whether that was expected", async () => {
    const check = (held: boolean | null, expected: boolean) =>
      plain.render({ kind: "check", name: "inv", held, expected })[0] ?? "";
    expect(check(true, true)).toBe("✔ inv");
    expect(check(false, true)).toBe("✘ inv  (VIOLATED)");
    expect(check(false, false)).toBe("✘ inv  (violated, as expected)");
    expect(check(true, false)).toBe("✔ inv  (may be violated here; this run did not)");
    expect(check(null, true)).toBe("○ inv  (not exercised)");
  });

  it("counts a check with nothing to judge apart: never held, never violated", () => {
    const trace = new Trace();
    trace.check("held", true);
    trace.check("violated on purpose", false, { expected: false });
    const idle = trace.check("nothing to judge", null);
    trace.notExercised("no reads", "every read was lost");
    expect(idle).toBe(false);
    const summary = trace.summarize();
    expect(summary).toMatchObject({
      held: 1,
      violated: 1,
      notExercised: 2,
      unexpected: 0,
      ok: true,
    });
    expect(plain.render(summary)).toEqual([
      "",
      "Summary: 1 held, 1 violated, 2 not exercised; run completed as expected.",
    ]);
    expect(JSON.parse(renderJson(trace.checks()[3] as TraceEvent)).held).toBeNull();
  });

  it("shows messages only when verbose, and story notes only when not quiet", async () => {
    const send: TraceEvent = {
      kind: "send",
      time: 1,
      id: 1,
      from: "a",
      to: "b",
      msg: { type: "X" },
    };
    const story: TraceEvent = { kind: "note", text: "t", level: "story" };
    const summary: TraceEvent = { kind: "note", text: "t", level: "summary" };
    expect([
      isVisible(send, "quiet"),
      isVisible(send, "normal"),
      isVisible(send, "verbose"),
    ]).toEqual([false, false, true]);
    expect([isVisible(story, "quiet"), isVisible(story, "normal")]).toEqual([false, true]);
    expect(isVisible(summary, "quiet")).toBe(true);
    const detail: TraceEvent = { kind: "note", text: "t", level: "detail" };
    expect([
      isVisible(detail, "quiet"),
      isVisible(detail, "normal"),
      isVisible(detail, "verbose"),
    ]).toEqual([false, false, true]);
  });

  it("a detailed view of a trace turns story notes into detail notes and passes the rest through", () => {
    const trace = new Trace();
    const view = trace.detailed();
    view.note("step", { node: "n1", time: 3 });
    view.note("what it adds up to", { level: "summary" });
    view.check("an invariant", true);
    expect(trace.events).toEqual([
      { kind: "note", text: "step", node: "n1", time: 3, level: "detail" },
      { kind: "note", text: "what it adds up to", level: "summary" },
      { kind: "check", name: "an invariant", held: true, expected: true },
    ]);
    expect(trace.summarize().held).toBe(1);
  });

  it("prints no escape codes at colour level 0, and some at level 1", async () => {
    const event: TraceEvent = {
      kind: "note",
      time: 1,
      node: "n1",
      text: "hello",
      level: "summary",
    };
    expect(plain.render(event).join("")).not.toMatch(ESCAPE);
    const coloured = new TextRenderer({ colorLevel: 1, verbosity: "normal" });
    expect(coloured.render(event).join("")).toMatch(ESCAPE);
  });
});

describe("runCli", () => {
  const concept: Concept = {
    folder: "demo",
    description: "demo",
    scenarios: [
      {
        name: "ok",
        summary: "holds",
        options: [{ flags: "--count <n>", description: "n", parser: integer(1, 3), default: 2 }],
        run: ({ trace }, options: { count: number }) => {
          trace.note(`count ${options.count}`, { level: "summary" });
          trace.check("holds", true);
        },
      },
      { name: "broken", summary: "violates", run: ({ trace }) => void trace.check("holds", false) },
      {
        name: "expected",
        summary: "violates on purpose",
        run: ({ trace }) => void trace.check("holds", false, { expected: false }),
      },
    ],
    tour: ["ok", "expected"],
  };
  const run = async (argv: string[], env: Record<string, string> = {}, isTTY = false) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(concept, argv, {
      stdout: (t) => {
        out.push(t);
      },
      stderr: (t) => {
        err.push(t);
      },
      env,
      isTTY,
    });
    return { code, stdout: out.join(""), stderr: err.join("") };
  };

  it("exits 0 when checks come out as expected, 1 when an invariant is violated", async () => {
    expect((await run(["ok"])).code).toBe(0);
    expect((await run(["expected"])).code).toBe(0);
    expect((await run(["broken"])).code).toBe(1);
    expect((await run([])).code).toBe(0);
  });

  it("prints the seed and the replay command, and runs the tour without a scenario", async () => {
    const { stdout } = await run(["--seed", "5"]);
    expect(stdout).toContain("demo tour · seed 5");
    expect(stdout).toContain("replay: npx tsx demo/main.ts --seed 5");
    expect(stdout).toContain("count 2");
    expect((await run(["ok", "--count", "3"])).stdout).toContain(
      "replay: npx tsx demo/main.ts ok --count 3 --seed 1",
    );
    expect((await run(["--seed", "7", "ok"])).stdout).toContain("demo ok · seed 7");
    expect((await run(["ok", "--seed", "7"])).stdout).toContain("demo ok · seed 7");
  });

  it("answers bad input with one line on stderr and exit 2", async () => {
    for (const argv of [
      ["ok", "--count", "9"],
      ["ok", "--seed", "abc"],
      ["nope"],
      ["ok", "--bogus"],
      ["ok", "--quiet", "--verbose"],
      ["ok", "--cont", "2"],
    ]) {
      const { code, stdout, stderr } = await run(argv);
      expect(code, argv.join(" ")).toBe(2);
      expect(stdout).toBe("");
      expect(stderr.trim().split("\n"), argv.join(" ")).toHaveLength(1);
      expect(stderr).toMatch(/^error: /);
    }
    expect((await run(["nope"])).stderr).toBe(
      "error: unknown scenario 'nope' (choose from: ok, broken, expected)\n",
    );
    // Commander's suggestion joins the error's line instead of taking a second one.
    expect((await run(["ok", "--cont", "2"])).stderr).toBe(
      "error: unknown option '--cont' (did you mean --count?)\n",
    );
  });

  it("prints NDJSON with --json, and colour only on a TTY without NO_COLOR", async () => {
    const lines = (await run(["ok", "--json"])).stdout.trim().split("\n");
    const events = lines.map((l) => JSON.parse(l) as TraceEvent);
    expect(events.map((e) => e.kind)).toEqual(["start", "note", "check", "summary"]);
    const hasEscapes = async (env: Record<string, string>, tty: boolean, args: string[] = []) =>
      ESCAPE.test((await run(["ok", ...args], env, tty)).stdout);
    expect(await hasEscapes({}, false)).toBe(false);
    expect(await hasEscapes({}, true)).toBe(true);
    expect(await hasEscapes({ NO_COLOR: "1" }, true)).toBe(false);
    expect(await hasEscapes({ FORCE_COLOR: "1" }, false)).toBe(true);
    expect(await hasEscapes({}, true, ["--no-color"])).toBe(false);
  });

  it("validates, awaited, with what the run gets: in the tour, the scenario's own defaults", async () => {
    const seen: unknown[] = [];
    const validating: Concept = {
      ...concept,
      scenarios: concept.scenarios.map((s) =>
        s.name !== "ok"
          ? s
          : {
              ...s,
              // Like hermitage's --postgres: only a flag the user gave may reach for a server.
              validate: async (options: { count?: number }) => {
                seen.push(options.count);
                return options.count === 3 ? "--count 3 needs a server" : undefined;
              },
            },
      ),
    };
    const io = {
      stdout: () => {},
      stderr: (t: string) => void seen.push(t),
      env: {},
      isTTY: false,
    };
    expect(await runCli(validating, [], io)).toBe(0);
    expect(seen).toEqual([2]);
    expect(await runCli(validating, ["ok", "--count", "3"], io)).toBe(2);
    expect(seen.slice(1)).toEqual([3, "error: --count 3 needs a server\n"]);
  });

  it("shows each option's default and range in --help, and exits 0", async () => {
    const { code, stdout } = await run(["ok", "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--count <n>\s+n \(integer 1 to 3\) \(default: 2\)/);
  });
});
