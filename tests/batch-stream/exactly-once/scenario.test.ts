/**
 * The exactly-once scenario as a user meets it: the default run against its golden trace, the
 * broken variants' checks violated as expected (exit 0), bad flags refused in one line (exit 2),
 * and the JSON trace with the messages the pictures draw.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exactlyOnce } from "../../../batch-stream/scenarios/exactly-once.js";
import type { Concept } from "../../../shared/cli.js";
import type { TraceEvent } from "../../../shared/trace.js";
import {
  expectCompleted,
  expectGolden,
  expectNdjson,
  runInProcess,
} from "../../shared/fixtures/cli.js";

// The scenario alone, so that these tests do not depend on the concept's other scenarios; the
// replay line is the same as through batch-stream/main.ts.
const concept: Concept = {
  folder: "batch-stream",
  description: "exactly-once alone",
  scenarios: [exactlyOnce],
  tour: ["exactly-once"],
};
const run = (args: string[]) => runInProcess(concept, ["exactly-once", ...args]);

const checkLines = (stdout: string) => stdout.split("\n").filter((l) => /^[✔✘○] /.test(l));

describe("exactly-once scenario", () => {
  it("the default run matches its golden trace, and every check holds", async () => {
    const result = await run([]);
    expectCompleted(result);
    expect(checkLines(result.stdout).every((l) => l.startsWith("✔"))).toBe(true);
    const { expected, actual } = expectGolden(
      join(import.meta.dirname, "golden", "exactly-once.golden.txt"),
      result.stdout,
    );
    expect(actual).toBe(expected);
  });

  it("--sink append: the exactly-once check is violated, as expected, and the duplicates are named", async () => {
    const result = await run(["--sink", "append", "--quiet"]);
    expectCompleted(result);
    expect(result.stdout).toMatch(
      /^✘ exactly-once: the store's rows after the failures equal the run without faults: \d+ extra cop(y|ies), 0 missing, 0 different, of 200 rows {2}\(violated, as expected\)/m,
    );
    expect(result.stdout).toMatch(/rows? (is|are) in the store more than once/);
  });

  it("--alignment off: the consistent-cut check is violated, as expected", async () => {
    const result = await run(["--alignment", "off", "--quiet"]);
    expectCompleted(result);
    expect(result.stdout).toMatch(
      /^✘ every completed checkpoint is consistent: .* \(violated, as expected\)/m,
    );
  });

  it("--alignment off: when the store happens to match, the run says why (it restored only consistent checkpoints), and only then", async () => {
    let matched = 0;
    for (const seed of ["1", "2", "3", "4", "5", "6"]) {
      const result = await run(["--alignment", "off", "--quiet", "--seed", seed]);
      expectCompleted(result);
      const held = /^✔ exactly-once: /m.test(result.stdout);
      if (held) matched++;
      expect(result.stdout.includes("Without alignment the store still matches here"), seed).toBe(
        held,
      );
    }
    // Both kinds occur among these seeds, so both branches are judged.
    expect(matched).toBeGreaterThan(0);
    expect(matched).toBeLessThan(6);
  });

  it("--crash 0 leaves the exactly-once check not exercised, never held", async () => {
    const result = await run(["--crash", "0", "--quiet"]);
    expectCompleted(result);
    expect(result.stdout).toMatch(
      /^○ exactly-once: the store's rows after the failures equal the run without faults: --crash 0: nothing failed {2}\(not exercised\)/m,
    );
  });

  it("--records 0 judges nothing and says so", async () => {
    const result = await run(["--records", "0", "--quiet"]);
    expectCompleted(result);
    expect(checkLines(result.stdout).every((l) => l.startsWith("○"))).toBe(true);
  });

  it("--json: the messages are there for the pictures, barriers and acknowledgements included", async () => {
    const result = await run(["--json"]);
    const events = expectNdjson(result);
    const types = new Set(
      events
        .filter((e): e is Extract<TraceEvent, { kind: "send" }> => e.kind === "send")
        .map((e) => (e.msg as { type: string }).type),
    );
    expect([...types].sort()).toEqual([
      "AcknowledgeCheckpoint",
      "Barrier",
      "NotifyCheckpointComplete",
      "Output",
      "Record",
      "TriggerCheckpoint",
    ]);
  });

  it("bad flags are refused in one line, naming the flag", async () => {
    for (const [args, message] of [
      [["--sink", "upsert"], /--sink.*transactional, idempotent, append/],
      [["--records", "-1"], /--records/],
      [["--checkpoint-interval", "5"], /--checkpoint-interval/],
      [["--crash", "11"], /--crash/],
      [["--alignment", "maybe"], /--alignment/],
      [["--loss", "0.1"], /unknown option '--loss'/],
    ] as const) {
      const result = await run([...args]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      const lines = result.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toMatch(message);
    }
  });
});
