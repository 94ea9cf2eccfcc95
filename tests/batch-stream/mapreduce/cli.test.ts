/**
 * The mapreduce and joins scenarios as a user meets them: exit 0 when the run went as the variant
 * expects (the broken variants included), the broken variants' checks violated, and bad flags
 * refused in one line.
 */
import { describe, expect, it } from "vitest";
import { batchStream } from "../../../batch-stream/main.js";
import { expectCompleted, runInProcess } from "../../shared/fixtures/cli.js";

describe("mapreduce and joins on the command line", () => {
  it("mapreduce: the defaults complete, the output check held", async () => {
    const run = await runInProcess(batchStream, ["mapreduce"]);
    expectCompleted(run);
    expect(run.stdout).toMatch(/✔ run 2's committed output is byte for byte run 1's/);
    // The story fits in two screens (it is in the tour).
    expect(run.stdout.split("\n").length).toBeLessThan(100);
  });

  it("mapreduce --variant no-rename: the output check is violated, as expected", async () => {
    const run = await runInProcess(batchStream, ["mapreduce", "--variant", "no-rename"]);
    expectCompleted(run);
    expect(run.stdout).toMatch(
      /✘ run 2's committed output is byte for byte run 1's: .*wrote its output twice {2}\(violated, as expected\)/,
    );
  });

  it("mapreduce without faults in run 2: the output check has nothing to judge and says so", async () => {
    const argv = ["mapreduce", "--crash", "0", "--straggler", "off", "--records", "1"];
    const run = await runInProcess(batchStream, argv);
    expectCompleted(run);
    expect(run.stdout).toMatch(
      /○ run 2's committed output is byte for byte run 1's: .*not exercised/,
    );
    expect(run.stdout).not.toMatch(/✔ run 2's committed output/);
  });

  it("joins whose join is empty (one user, no event of theirs): every join check is not exercised", async () => {
    const argv = ["joins", "--users", "1", "--events", "1", "--celebrity-share", "0"];
    const run = await runInProcess(batchStream, argv);
    expectCompleted(run);
    expect(run.stdout.match(/^○ .* equals the join computed in memory/gm)).toHaveLength(5);
    expect(run.stdout).not.toMatch(/✔/);
  });

  it("joins --variant events-first: only the sort-merge join's check is violated", async () => {
    const run = await runInProcess(batchStream, ["joins", "--variant", "events-first"]);
    expectCompleted(run);
    expect(run.stdout.match(/✘/g)).toHaveLength(1);
    expect(run.stdout).toMatch(/✘ the sort-merge join equals the join computed in memory/);
  });

  it.each([
    [["mapreduce", "--crash", "4", "--workers", "4"], /--crash 4 needs as many workers/],
    [["mapreduce", "--loss", "0.5"], /--loss.*must be a number from 0 to 0.1/],
    [["joins", "--celebrity-share", "2"], /--celebrity-share.*probability/],
  ])("%j is refused in one line", async (argv, message) => {
    const run = await runInProcess(batchStream, argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^error: [^\n]+\n$/);
    expect(run.stderr).toMatch(message);
  });
});
