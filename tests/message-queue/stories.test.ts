/**
 * What the message-queue traces claim, checked against what the runs did: each test names the
 * claim and reads the run's own events (--json), so that a story that stops being true fails here.
 */
import { describe, expect, it } from "vitest";
import { messageQueue } from "../../message-queue/main.js";
import { expectNdjson, runInProcess } from "../shared/fixtures/cli.js";

const events = async (args: string[]) =>
  expectNdjson(await runInProcess(messageQueue, [...args, "--json"]));
const checks = async (args: string[]) =>
  Object.fromEntries(
    (await events(args)).flatMap((e) =>
      e.kind === "check" ? [[e.name as string, e as Record<string, unknown>] as const] : [],
    ),
  );

describe("retention-and-compaction", () => {
  it("size retention leaves the log above retention.bytes, by less than one segment, as Kafka does", async () => {
    const found = await checks(["retention-and-compaction"]);
    const check =
      found[
        "size retention deletes the oldest segments while what remains stays at or above retention.bytes, and no further"
      ];
    expect(check?.held).toBe(true);
    const match = String(check?.detail).match(/(\d+) bytes left for a limit of (\d+)/);
    expect(Number(match?.[1])).toBeGreaterThan(Number(match?.[2]));
  });
});
