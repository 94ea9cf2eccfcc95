/**
 * The picture flags through the real CLI (shared/cli.ts): only networked scenarios take them, bad
 * values are refused in one line with exit 2, `--diagram` puts each run's diagram in the narrated
 * trace (one arrowhead per delivered message, no diagram line wider than --width), and the files
 * are written after the run with one line each on stderr, the same bytes for the same seed.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { eventualConsistency } from "../../../eventual-consistency/main.js";
import { messageQueue } from "../../../message-queue/main.js";
import { replication } from "../../../replication/main.js";
import { sharding } from "../../../sharding/main.js";
import { type Concept, runCli } from "../../../shared/cli.js";
import { cellWidth } from "../../../shared/render/diagram/terminal.js";
import type { TraceEvent } from "../../../shared/trace.js";
import { expectNdjson, runInProcess } from "../fixtures/cli.js";

const folder = mkdtempSync(join(tmpdir(), "pictures-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The lines of every diagram in an output: from each "┌ title" line to its "└ legend" line. */
function diagramLines(stdout: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of stdout.split("\n")) {
    if (line.startsWith("┌ ")) inside = true;
    if (inside) out.push(line);
    if (line.startsWith("└ ")) inside = false;
  }
  return out;
}

/** Arrowheads (▶ ◀, ↺ to itself) in the rows: the legend under each diagram ("└ ...") is not counted. */
const arrowheads = (lines: readonly string[]) =>
  lines
    .filter((line) => !line.startsWith("└ "))
    .join("\n")
    .match(/[▶◀↺]/gu)?.length ?? 0;

async function deliveries(
  args: string[],
  from = -Infinity,
  to = Infinity,
  concept: Concept = replication,
): Promise<number> {
  const { stdout } = await runInProcess(concept, [...args, "--json"]);
  return stdout
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as TraceEvent)
    .filter((e) => e.kind === "deliver" && e.time >= from && e.time <= to).length;
}

describe("which scenarios take the picture flags", () => {
  it("a scenario that sends no message, and the tour, say the option is unknown", async () => {
    for (const args of [["concurrent-writes", "--diagram"], ["--diagram"], ["--svg", "x.svg"]]) {
      const result = await runInProcess(replication, args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(/^error: unknown option '--(diagram|svg)'\n$/);
      expect(result.stdout).toBe("");
    }
  });
});

describe("bad values", () => {
  const cases: [string[], RegExp][] = [
    [["--diagram", "--from", "-1"], /--from <ms>' argument '-1' is invalid/],
    [["--diagram", "--from", "abc"], /--from <ms>' argument 'abc' is invalid/],
    [["--diagram", "--from", "10", "--to", "5"], /--from 10 is after --to 5/],
    [["--diagram", "--width", "5"], /--width <columns>' argument '5' is invalid/],
    [["--svg", "/no/such/dir/x.svg"], /there is no folder \/no\/such\/dir/],
    [["--diagram", "--json"], /--diagram draws in the terminal and --json prints NDJSON/],
    [["--from", "5"], /--from windows a picture: give it with --diagram/],
    [["--width", "80"], /--width sets the width of the --diagram/],
    [["--svg", join(folder, "a"), "--html", join(folder, "a")], /cannot both be written to/],
  ];
  it.each(cases)("fencing %j is refused in one line, exit 2", async (args, message) => {
    const result = await runInProcess(replication, ["fencing", ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
    expect(result.stderr).toMatch(message);
  });
});

describe("--diagram", () => {
  for (const width of [40, 80, 200]) {
    it(`draws every run of fencing at width ${width}: an arrowhead per delivery, none wider`, async () => {
      const result = await runInProcess(replication, [
        "fencing",
        "--diagram",
        "--width",
        String(width),
      ]);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
      const lines = diagramLines(result.stdout);
      // Two runs (without fencing, then with), each its own diagram.
      expect(lines.filter((l) => l.startsWith("┌ "))).toHaveLength(2);
      expect(arrowheads(lines)).toBe(await deliveries(["fencing"]));
      expect(Math.max(...lines.map(cellWidth))).toBeLessThanOrEqual(width);
      expect(result.stdout).toMatch(/Summary: 1 held, 1 violated; run completed as expected\.\n$/);
    });
  }

  // secondary-index has a node that sends a message to itself (↺); version-vectors four runs.
  it.each([
    { concept: sharding, name: "secondary-index" },
    { concept: eventualConsistency, name: "version-vectors" },
  ])(
    "draws an arrowhead per delivery in $name, at widths 40 and 100",
    async ({ concept, name }) => {
      for (const width of [40, 100]) {
        const args = [name, "--diagram", "--width", String(width)];
        const result = await runInProcess(concept, args);
        expect(result.code).toBe(0);
        const lines = diagramLines(result.stdout);
        expect(arrowheads(lines)).toBe(await deliveries([name], -Infinity, Infinity, concept));
        expect(Math.max(...lines.map(cellWidth))).toBeLessThanOrEqual(width);
      }
    },
  );

  it("prints a timed note beside its row, not a second time as text", async () => {
    const { stdout } = await runInProcess(replication, ["fencing", "--diagram", "--width", "200"]);
    const note = "accepts client-2's write with token 34";
    expect(stdout.split(note)).toHaveLength(3); // once in each run's diagram
    for (const line of stdout.split("\n").filter((l) => l.includes(note)))
      expect(line).toMatch(/│\s+●\s+accepts/);
    // Without --diagram the same note is a line of text of its own.
    const plain = (await runInProcess(replication, ["fencing"])).stdout;
    expect(plain.split(note)).toHaveLength(3);
    expect(plain).not.toMatch(/●/);
  });

  it("windows each run with --from and --to, and says what it left out", async () => {
    const args = ["failover", "--diagram", "--width", "120", "--from", "190", "--to", "230"];
    const result = await runInProcess(replication, args);
    expect(result.code).toBe(0);
    const lines = diagramLines(result.stdout);
    expect(lines.join("\n")).toMatch(/\(\d+ messages before 190\.0ms not shown\)/);
    expect(lines.join("\n")).toMatch(/\(\d+ messages after 230\.0ms not shown\)/);
    expect(lines.join("\n")).toMatch(/═══ partition ═/);
    expect(arrowheads(lines)).toBe(await deliveries(["failover"], 190, 230));
  });

  it("fits a terminal's own width when --width is not given, colour and all", async () => {
    let stdout = "";
    const code = await runCli(replication, ["fencing", "--diagram"], {
      stdout: (t) => {
        stdout += t;
      },
      stderr: () => {},
      env: { FORCE_COLOR: "1" },
      isTTY: true,
      columns: 52,
    });
    expect(code).toBe(0);
    const lines = diagramLines(
      stdout.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), ""),
    );
    expect(lines.length).toBeGreaterThan(10);
    // cellWidth counts no cells for colour codes, so the stripped lines are as wide as printed.
    expect(stdout).toContain(`${String.fromCharCode(27)}[`);
    expect(Math.max(...lines.map(cellWidth))).toBeLessThanOrEqual(52);
    expect(Math.max(...lines.map(cellWidth))).toBeGreaterThan(45);
  });

  it("prints the same for the same seed", async () => {
    const args = ["fencing", "--diagram", "--width", "80", "--seed", "4"];
    const a = await runInProcess(replication, args);
    const b = await runInProcess(replication, args);
    expect(a.stdout).toBe(b.stdout);
  });
});

describe("picture files", () => {
  it("are written after the run, one stderr line each, the same bytes for the same seed", async () => {
    const paths = {
      svg: join(folder, "run.svg"),
      html: join(folder, "run.html"),
      mermaid: join(folder, "run.mmd"),
      shiviz: join(folder, "run.log"),
    };
    const args = [
      "fencing",
      "--svg",
      paths.svg,
      "--html",
      paths.html,
      "--mermaid",
      paths.mermaid,
      "--shiviz",
      paths.shiviz,
    ];
    const first = await runInProcess(replication, args);
    expect(first.code).toBe(0);
    // 8 messages in each of the two runs (figures 8-4 and 8-5).
    expect(first.stderr).toBe(
      Object.values(paths)
        .map((p) => `wrote ${p}: 2 runs, 16 messages\n`)
        .join(""),
    );
    // stdout is the story as without the flags.
    expect(first.stdout).toBe(
      (await runInProcess(replication, ["fencing"])).stdout.replace(
        "replay: npx tsx replication/main.ts fencing --seed 1",
        `replay: npx tsx replication/main.ts ${args.join(" ")} --seed 1`,
      ),
    );
    const bytes = Object.values(paths).map((p) => readFileSync(p, "utf8"));
    for (const text of bytes) expect(text.length).toBeGreaterThan(100);
    await runInProcess(replication, args);
    expect(Object.values(paths).map((p) => readFileSync(p, "utf8"))).toEqual(bytes);
  });

  it("go with --json, whose stdout stays NDJSON", async () => {
    const path = join(folder, "json.mmd");
    const result = await runInProcess(replication, ["fencing", "--json", "--mermaid", path]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`wrote ${path}: 2 runs, 16 messages\n`);
    for (const line of result.stdout.trimEnd().split("\n"))
      expect(() => JSON.parse(line)).not.toThrow();
  });

  it("are windowed by --from and --to", async () => {
    const path = join(folder, "window.mmd");
    // Both runs of fencing send their first Acquire at 0 and nothing else before 150 ms but the
    // first grant (2.9 to 6.4): a window of [0, 1] overlaps only the first Acquire of each run.
    const result = await runInProcess(replication, [
      "fencing",
      "--mermaid",
      path,
      "--from",
      "0",
      "--to",
      "1",
    ]);
    expect(result.stderr).toBe(`wrote ${path}: 2 runs, 2 messages\n`);
  });

  it("draw every message of a scenario whose text counts its routine traffic (message-queue)", async () => {
    const args = ["replication", "--messages", "10"];
    const path = join(folder, "mq.svg");
    const pictured = await runInProcess(messageQueue, [...args, "--svg", path]);
    const events = expectNdjson(await runInProcess(messageQueue, [...args, "--json"]));
    // Every delivery and drop has its send, so each arrow starts where the message left.
    const sent = new Set<number>();
    let runs = 0;
    for (const event of events) {
      if (event.kind === "run") {
        runs++;
        sent.clear();
      }
      if (event.kind === "send") sent.add(event.id);
      if (event.kind === "deliver" || event.kind === "drop")
        expect(sent.has(event.id), `${event.kind} #${event.id}`).toBe(true);
    }
    const sends = events.filter((e) => e.kind === "send").length;
    const heartbeats = events.filter(
      (e) => e.kind === "send" && (e.msg as { type: string }).type === "Heartbeat",
    );
    expect(heartbeats.length).toBeGreaterThan(0);
    expect(pictured.stderr).toBe(`wrote ${path}: ${runs} run, ${sends} messages\n`);
    expect(readFileSync(path, "utf8")).toContain(">Heartbeat</text>");
    // The text is the story as without the flag; --verbose still counts the routine traffic.
    expect(pictured.stdout).toBe(
      (await runInProcess(messageQueue, args)).stdout.replace(
        `replay: npx tsx message-queue/main.ts ${args.join(" ")} --seed 1`,
        `replay: npx tsx message-queue/main.ts ${args.join(" ")} --svg ${path} --seed 1`,
      ),
    );
    const verbose = (await runInProcess(messageQueue, [...args, "--verbose"])).stdout;
    expect(verbose).not.toMatch(/Heartbeat/);
    expect(verbose).toMatch(/Messages left out above, counted: [\d,]+ sends/);
  }, 60_000);
});
