/** The replication CLI: every scenario runs and ends as documented, --json parses, bad input, golden tour. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { replication } from "../../replication/main.js";
import { parseJepsenHistory } from "../../shared/check/jepsen.js";
import { runChecker } from "../../shared/check/main.js";
import {
  expectCompleted,
  expectNdjson,
  expectTourMatchesGolden,
  expectUsageError,
  runInProcess,
  spawnMain,
} from "../shared/fixtures/cli.js";
import { testDir } from "../shared/fixtures/temp.js";

const run = (argv: string[]) => runInProcess(replication, argv);

describe("every scenario", () => {
  it.each(replication.scenarios.map((s) => s.name))(
    "%s runs, narrates, ends with its checks, and exits 0",
    async (name) => {
      const result = await run([name]);
      expectCompleted(result);
      expect(result.stdout).toMatch(/✔/);
    },
  );

  it.each(replication.scenarios.map((s) => s.name))(
    "%s --json prints one parsable event per line",
    async (name) => {
      expectNdjson(await run([name, "--json", "--seed", "2"]));
    },
  );
});

describe("--export-history", () => {
  const exporting = replication.scenarios
    .filter((s) => (s.options ?? []).some((o) => o.flags.startsWith("--export-history")))
    .map((s) => s.name);

  it("is on the scenarios whose point is a checked client history", () => {
    expect(exporting.sort()).toEqual([
      "failover",
      "quorum",
      "read-from-followers",
      "sync-vs-async",
    ]);
  });

  it.each(exporting)(
    "%s writes a history the checker's command line reads and judges",
    async (name) => {
      const dir = testDir("export");
      const path = join(dir, `${name}.edn`);
      expectCompleted(await run([name, "--export-history", path]));
      const history = parseJepsenHistory(readFileSync(path, "utf8"), { independent: true });
      expect(history.length).toBeGreaterThan(50);
      const out: string[] = [];
      const code = runChecker(
        ["linearizability", "--model", "register", "--independent", path],
        (t) => void out.push(t),
        (t) => void out.push(t),
      );
      // A verdict (0 or 1), never a complaint about the file (2).
      expect([0, 1]).toContain(code);
      expect(out.join("")).toContain(`${path}: `);
    },
  );
});

describe("--export-history to a path that cannot be written", () => {
  it.each([
    [
      "a folder that does not exist",
      () => join(testDir("export"), "missing", "h.edn"),
      /there is no folder/,
    ],
    ["a folder", () => testDir("export"), /is a folder, not a file/],
  ])("is refused in one line, exit 2, before the run: %s", (_what, path, message) => {
    const result = spawnMain("replication", ["quorum", "--export-history", path()]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: option '--export-history <file>' argument .* is invalid\./);
    expect(lines[0]).toMatch(message);
  });
});

describe("a check with nothing to judge is not exercised, never ✔ (at the edge of a flag's range)", () => {
  /** Each check of the run as [name, held], from --json. */
  const checksOf = async (args: string[]) => {
    const events = expectNdjson(await run([...args, "--json"]));
    return events.flatMap((e) => (e.kind === "check" ? [[e.name, e.held] as const] : []));
  };

  it("quorum --loss 1: no read completes, so neither staleness nor linearizability is judged", async () => {
    expect(await checksOf(["quorum", "--loss", "1"])).toEqual([
      // Figure 9-6 is scripted without faults, the same at every flag value. Its write is
      // acknowledged after both reads, so the recency check has nothing it could fail: not
      // exercised; the linearizability checker is what catches reader-B.
      ["figure 9-6: every read returns the latest acknowledged write (or a newer one)", null],
      ["figure 9-6: the history is linearizable", false],
      ["every read returns the latest acknowledged write (or a newer one)", null],
      ["the history is linearizable", null],
    ]);
  });

  it("quorum --loss 0.8: a read completes, but none began after an acknowledged write of its key, so staleness is not judged", async () => {
    const checks = await checksOf(["quorum", "--loss", "0.8"]);
    expect(checks[2]).toEqual([
      "every read returns the latest acknowledged write (or a newer one)",
      null,
    ]);
  });

  it("sync-vs-async --loss 1: nothing is acknowledged in any mode, and the run exits 0", async () => {
    const checks = await checksOf(["sync-vs-async", "--loss", "1"]);
    expect(checks).toHaveLength(4);
    expect(checks.every(([, held]) => held === null)).toBe(true);
  });

  it("read-from-followers --loss 1: no get completes in its leader-follower part; the Raft part, without random loss, is judged; failover's Raft run, whose faults stop, too", async () => {
    expect(await checksOf(["read-from-followers", "--loss", "1"])).toEqual([
      ["reads from followers are linearizable", null],
      ["reads from the leader are linearizable", null],
      ["a Raft leader answering gets from its own state is linearizable", false],
      ["a Raft leader answering gets through a read index is linearizable", true],
    ]);
    // failover's Raft run loses messages while the faults last, then stops them and lets the
    // cluster converge: its clients complete operations, and every check judges something.
    const failover = await checksOf(["failover", "--loss", "1"]);
    expect(failover.every(([, held]) => held !== null)).toBe(true);
  });

  it("anti-entropy with nothing missed (--loss 0) has nothing to repair", async () => {
    expect(await checksOf(["anti-entropy", "--loss", "0"])).toEqual([
      ["anti-entropy brings every replica to the latest version of every key", null],
      ["anti-entropy sent fewer entries than a full copy", null],
    ]);
  });

  it.each([
    ["follower-catch-up", "0.9"],
    ["multi-leader", "0.5"],
    ["anti-entropy", "0.5"],
  ])(
    "%s refuses a --loss above %s, where it cannot show its point, and --help says why",
    async (name, max) => {
      const refused = await run([name, "--loss", "1"]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(
        `error: option '--loss <p>' argument '1' is invalid. must be a number from 0 to ${max}\n`,
      );
      expectCompleted(await run([name, "--loss", max]));
      const help = spawnMain("replication", [name, "--help"]).stdout.replace(/\s+/g, " ");
      expect(help).toMatch(new RegExp(`at most ${max}, since .* \\(number 0 to ${max}\\)`));
    },
    20_000,
  );
});

describe("quorum tells the truth at every n, w and r", () => {
  it("the default run shows figure 9-6: the checker rejects the scripted history, and the run exits 0", async () => {
    const result = await run(["quorum", "--json"]);
    expect(result.code).toBe(0);
    const checks = expectNdjson(result).filter((e) => e.kind === "check");
    expect(checks.find((c) => c.name === "figure 9-6: the history is linearizable")).toMatchObject({
      held: false,
      expected: false,
    });
  });

  it.each([
    ["--w", "1", "--r", "1"],
    ["--n", "5", "--w", "2", "--r", "3"],
  ])("with w + r ≤ n (%s %s %s %s) no sentence claims w + r > n", async (...args) => {
    const result = await run(["quorum", ...args]);
    expectCompleted(result);
    expect(result.stdout).toMatch(/w \+ r ≤ n/);
    expect(result.stdout).not.toMatch(/w \+ r > n/);
  });
});

describe("sync-vs-async narrates one write per mode", () => {
  it("each mode's write goes client, leader, followers, acknowledgement; the table and checks agree with it", async () => {
    const result = await run(["sync-vs-async", "--json"]);
    expect(result.code).toBe(0);
    const events = expectNdjson(result);
    const notes = events.filter((e) => e.kind === "note").map((e) => String(e.text));
    for (const mode of ["sync", "semi-sync", "async"])
      expect(notes.some((text) => text.startsWith(`${mode}: client-`))).toBe(true);
    expect(
      notes.filter((text) => /^appends it as LSN \d+ and ships it to r2 and r3$/.test(text)),
    ).toHaveLength(3);
    expect(notes).toContain("acknowledges the write: every follower has it");
    expect(notes).toContain("acknowledges the write: its synchronous follower r3 has it");
    expect(notes).toContain("acknowledges the write at once, before any follower has it");
    // Async's followed write is acknowledged before any follower has it, and so is every other.
    expect(notes).toContainEqual(
      expect.stringMatching(/^r1 acknowledged it .* while r2 and r3 did not have it yet\./),
    );
    const table = events.find((e) => e.kind === "table");
    const columns = (table?.columns ?? []) as string[];
    const row = (mode: string) =>
      ((table?.rows ?? []) as (string | number)[][]).find((r) => r[0] === mode) ?? [];
    const acknowledged = columns.indexOf("acknowledged by the leader");
    const leaderOnly = columns.indexOf("on the leader only when acknowledged");
    expect(row("async")[leaderOnly]).toBe(row("async")[acknowledged]);
    expect(row("sync")[leaderOnly]).toBe(0);
    const asyncCheck = events.find(
      (e) =>
        e.kind === "check" &&
        e.name === "asynchronous replication acknowledges writes the followers do not have yet",
    ) as { detail?: string } | undefined;
    const n = row("async")[acknowledged];
    expect(asyncCheck?.detail).toBe(`${n} of ${n} writes, ${n} of them on the leader only`);
    // Lag from the leader's append: synchronous replication has it too (its client waits it out).
    const lag = columns.indexOf("lag p50");
    expect(row("sync")[lag]).not.toBe("0 ms");
  });
});

describe("sync-vs-async's semi-synchronous narration stays true and readable at every flag value", () => {
  const notesOf = async (args: string[]) =>
    expectNdjson(await run(["sync-vs-async", ...args, "--json"]))
      .filter((e) => e.kind === "note")
      .map((e) => ({ text: String(e.text), level: String(e.level) }));

  it("--loss 0.9: the first switches narrated, one note that it goes on switching, and the total", async () => {
    const notes = await notesOf(["--loss", "0.9"]);
    const switches = notes.filter((n) => n.text.startsWith("has no acknowledgement"));
    expect(switches).toHaveLength(4);
    expect(notes.filter((n) => n.level === "summary").length).toBeLessThan(15);
    expect(notes.map((n) => n.text)).toContainEqual(
      expect.stringMatching(
        /^In all, the leader made another follower synchronous \d+ times, the first 3 narrated above/,
      ),
    );
  });

  it("--loss 0.9: where the leader acknowledged writes no client heard of, no check says that none was acknowledged", async () => {
    const events = expectNdjson(await run(["sync-vs-async", "--loss", "0.9", "--json"]));
    const checks = events.filter((e) => e.kind === "check") as {
      name: string;
      held: boolean | null;
      detail?: string;
    }[];
    const sync = checks.find((c) => c.name.startsWith("synchronous replication:"));
    expect(sync?.detail).toMatch(/^checked as the leader acknowledged each of \d+ writes$/);
    const faster = checks.find((c) => c.name.startsWith("asynchronous replication answers"));
    expect(faster?.held).toBeNull();
    expect(faster?.detail).toBe(
      "no client heard a write acknowledged in sync mode, so there was no latency to compare",
    );
  });

  it("--followers 1: no sentence promises a switch to another follower", async () => {
    const text = (await notesOf(["--followers", "1"])).map((n) => n.text).join("\n");
    expect(text).not.toMatch(/makes the most up-to-date asynchronous follower synchronous/);
    expect(text).not.toMatch(/the followers catch up/);
    expect(text).toMatch(/no asynchronous follower to make synchronous instead/);
  });
});

describe("the tour", () => {
  it("matches its golden plain output", () =>
    expectTourMatchesGolden(replication, import.meta.dirname));
});

describe("bad input, as a user's shell sees it", () => {
  it.each([
    [
      ["sync-vs-async", "--mode", "eventual"],
      /^error: option '--mode <mode>' argument 'eventual' is invalid\. must be one of sync, semi-sync, async$/,
    ],
    [
      ["sync-vs-async", "--followers", "0"],
      /^error: option '--followers <count>' argument '0' is invalid/,
    ],
    [["paxos"], /^error: unknown scenario 'paxos' \(choose from: sync-vs-async, .*\)$/],
    [["quorum", "--w", "4"], /^error: --w 4 cannot exceed --n 3$/],
  ])("%j exits 2 with one line naming the problem, and no stack trace", (args, message) =>
    expectUsageError("replication", args, message),
  );
});
