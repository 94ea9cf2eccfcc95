/**
 * What the message-queue traces claim, checked against what the runs did: each test names the
 * claim and reads the run's own events (--json), so that a story that stops being true fails here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { messageQueue } from "../../message-queue/main.js";
import { REF } from "../../message-queue/refs.js";
import { expectNdjson, runInProcess } from "../shared/fixtures/cli.js";

const events = async (args: string[]) =>
  expectNdjson(await runInProcess(messageQueue, [...args, "--json"]));
const checks = async (args: string[]) =>
  Object.fromEntries(
    (await events(args)).flatMap((e) =>
      e.kind === "check" ? [[e.name as string, e as Record<string, unknown>] as const] : [],
    ),
  );

describe("competing-consumers", () => {
  it("at the default seed, a consumer crashes between processing and acknowledging, and the redelivered message is processed twice (at-least-once)", async () => {
    const found = await checks(["competing-consumers"]);
    const twice = found["no message is processed twice"];
    expect(twice?.held).toBe(false);
    expect(twice?.expected).toBe(false);
    expect(String(twice?.detail)).toMatch(
      /^1 processed twice \(m4\): consumer-1 processed m4 but crashed before acknowledging it/,
    );
    expect(found["every message except the poison one is processed at least once"]?.held).toBe(
      true,
    );
  });
});

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

describe("citations", () => {
  // First-edition section titles the message queue cites (chapter 11, and chapter 5's leaders).
  const sections = new Set([
    "DDIA ch. 11, Multiple consumers",
    "DDIA ch. 11, Acknowledgments and redelivery",
    "DDIA ch. 11, Partitioned Logs",
    "DDIA ch. 11, Logs compared to traditional messaging",
    "DDIA ch. 11, Consumer offsets",
    "DDIA ch. 11, Disk space usage",
    "DDIA ch. 11, Log compaction",
    "DDIA ch. 5, Leaders and Followers; Handling Node Outages",
    "DDIA ch. 11, Fault Tolerance: Atomic commit revisited; Idempotence",
  ]);

  it("every reference is a real first-edition section and is cited by some scenario", () => {
    const dir = join(import.meta.dirname, "../../message-queue");
    const sources = readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts") && f !== "refs.ts")
      .map((f) => readFileSync(join(dir, f), "utf8"))
      .join("\n");
    for (const [name, title] of Object.entries(REF)) {
      expect(sections, name).toContain(title);
      expect(sources, `REF.${name} is never cited`).toMatch(new RegExp(`REF\\.${name}\\b`));
    }
  });
});

describe("replication", () => {
  it("follows m1 at the default seed: produce, leader append, follower fetch, high watermark, acknowledgement, consumer read", async () => {
    const notes = (await events(["replication"]))
      .flatMap((e) => (e.kind === "note" && typeof e.time === "number" ? [e] : []))
      .map((e) => `${(e as { node?: string }).node} ${(e as { text: string }).text}`);
    const steps = [
      /^producer Follow m1: the producer sends it to broker-1/,
      /^broker-1 appends m1 to partition 0 at offset 0, in leader epoch 0\. Its high watermark is 0: m1 is not committed yet/,
      /^broker-2 receives m1 \(offset 0\) from broker-1 in answer to its fetch/,
      /^broker-1 broker-\d asks for offset 1, so it has m1, and every in-sync replica \(broker-1, broker-2, broker-3\) has offset 0: the high watermark is now 1, and m1 is committed/,
      /^producer m1 is acknowledged at offset 0, [\d.]+ ms after it was first sent, once it was committed/,
      /^consumer reads m1 at offset 0: the leader's high watermark is 1/,
    ];
    const at = steps.map((step) => notes.findIndex((n) => step.test(n)));
    expect(
      at.every((i) => i >= 0),
      JSON.stringify(at),
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    // After its restart, broker-1 checks its log against the new leader's by leader epoch.
    expect(notes).toContainEqual(
      expect.stringMatching(
        /^broker-1 asks broker-2 where epoch 0 ends \(OffsetsForLeaderEpoch\): at offset \d+/,
      ),
    );
  });

  it("says what is Kafka's and what is the book's, and names only the brokers that restart when the faults stop", async () => {
    const run = await events(["replication"]);
    const intro = run.find(
      (e) => e.kind === "note" && /in-sync replicas/.test(String((e as { text: string }).text)),
    ) as { text: string; ref?: string } | undefined;
    expect(intro?.text).toMatch(
      /The in-sync replicas \(ISR\) and the high watermark are Kafka's mechanisms/,
    );
    expect(intro?.ref).toBe("DDIA ch. 5, Synchronous Versus Asynchronous Replication");
    // At the default seed broker-1 restarted long before the faults stop: nothing restarts then.
    const headings = run.flatMap((e) => (e.kind === "section" ? [String(e.title)] : []));
    expect(headings).toContain("Faults stop: every broker is up, and replicas catch up");
  });

  it("the compare table counts the unclean elections behind its unclean rows", async () => {
    const table = (await events(["replication", "--compare-seeds", "2"])).find(
      (e) => e.kind === "table" && e.title === "What each setting promises, and what it costs",
    ) as { columns: string[]; rows: (string | number)[][]; caption: string } | undefined;
    const column = table?.columns.indexOf("unclean elections") ?? -1;
    expect(column).toBeGreaterThan(0);
    for (const row of table?.rows ?? [])
      expect(typeof row[column], String(row[0])).toBe(
        String(row[0]).includes("unclean") ? "number" : "string",
      );
    expect(table?.caption).toMatch(/only when every in-sync replica is down/);
  });

  it("--verbose shows messages compactly and counts the routine ones, in about a thousand lines at the default seed", async () => {
    const { stdout } = await runInProcess(messageQueue, ["replication", "--verbose"]);
    const lines = stdout.split("\n");
    expect(lines.length).toBeLessThan(1_500);
    expect(stdout).toMatch(
      /"type":"FetchResponse","partition":0,"records":"m1@0","highWatermark":0/,
    );
    expect(stdout).toMatch(/Messages left out above, counted: [\d,]+ sends .*heartbeats/);
    expect(stdout).not.toMatch(/"type":"Heartbeat"/);
  });
});
