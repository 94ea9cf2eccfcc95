/** Every citation names sections of the book's first edition, as the book titles them. */
import { describe, expect, it } from "vitest";
import { REF } from "../../replication/refs.js";

/**
 * Section titles of DDIA's first edition (2017) that this concept cites, each as its path of
 * headings from the chapter down (chapters 5, 8 and 9).
 */
const SECTIONS: Record<string, string[][]> = {
  "5": [
    ["Leaders and Followers"],
    ["Leaders and Followers", "Synchronous Versus Asynchronous Replication"],
    ["Leaders and Followers", "Setting Up New Followers"],
    ["Leaders and Followers", "Handling Node Outages"],
    ["Leaders and Followers", "Handling Node Outages", "Follower failure: Catch-up recovery"],
    ["Leaders and Followers", "Handling Node Outages", "Leader failure: Failover"],
    ["Problems with Replication Lag"],
    ["Multi-Leader Replication"],
    ["Multi-Leader Replication", "Handling Write Conflicts"],
    ["Multi-Leader Replication", "Multi-Leader Replication Topologies"],
    ["Leaderless Replication"],
    ["Leaderless Replication", "Writing to the Database When a Node Is Down"],
    [
      "Leaderless Replication",
      "Writing to the Database When a Node Is Down",
      "Read repair and anti-entropy",
    ],
    [
      "Leaderless Replication",
      "Writing to the Database When a Node Is Down",
      "Quorums for reading and writing",
    ],
    ["Leaderless Replication", "Limitations of Quorum Consistency"],
    ["Leaderless Replication", "Sloppy Quorums and Hinted Handoff"],
    ["Leaderless Replication", "Detecting Concurrent Writes"],
    [
      "Leaderless Replication",
      "Detecting Concurrent Writes",
      "Last write wins (discarding concurrent writes)",
    ],
    [
      "Leaderless Replication",
      "Detecting Concurrent Writes",
      "Capturing the happens-before relationship",
    ],
    ["Leaderless Replication", "Detecting Concurrent Writes", "Version vectors"],
  ],
  "8": [
    [
      "Knowledge, Truth, and Lies",
      "The Truth Is Defined by the Majority",
      "The leader and the lock",
    ],
    ["Knowledge, Truth, and Lies", "The Truth Is Defined by the Majority", "Fencing tokens"],
  ],
  "9": [
    ["Linearizability"],
    ["Linearizability", "Implementing Linearizable Systems"],
    [
      "Linearizability",
      "Implementing Linearizable Systems",
      "Single-leader replication (potentially linearizable)",
    ],
    ["Linearizability", "Implementing Linearizable Systems", "Linearizability and quorums"],
    ["Distributed Transactions and Consensus"],
    ["Distributed Transactions and Consensus", "Fault-Tolerant Consensus"],
  ],
};

/** A citation's sections: "A: B" is B under A, "A; B" two sections side by side. */
function cited(ref: string): { chapter: string; path: string[] }[] {
  const match = /^DDIA ch\. (\d+), (.*)$/.exec(ref);
  if (match === null) throw new Error(`not a citation: ${ref}`);
  const [, chapter, rest] = match as unknown as [string, string, string];
  return rest.split("; ").map((part) => ({ chapter, path: splitPath(part) }));
}

/** Split "A: B: C" into headings, keeping the colons that belong to one title. */
function splitPath(text: string): string[] {
  const titles = Object.values(SECTIONS).flatMap((paths) => paths.flat());
  const parts = text.split(": ");
  const path: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const joined = `${parts[i]}: ${parts[i + 1]}`;
    if (i + 1 < parts.length && titles.includes(joined)) {
      path.push(joined);
      i++;
    } else path.push(parts[i] as string);
  }
  return path;
}

/** Whether `path` is a run of consecutive headings along one of the chapter's paths. */
function isSectionPath(chapter: string, path: string[]): boolean {
  return (SECTIONS[chapter] ?? []).some((full) =>
    full.some(
      (_, start) =>
        start + path.length <= full.length &&
        path.every((title, i) => full[start + i] === title) &&
        // The cited run ends at a real section, not in the middle of a longer path.
        (SECTIONS[chapter] ?? []).some(
          (p) => p.length === start + path.length && p.every((t, i) => full[i] === t),
        ),
    ),
  );
}

describe("citations", () => {
  it.each(Object.entries(REF))("%s names first-edition sections: %s", (_name, ref) => {
    for (const { chapter, path } of cited(ref))
      expect(isSectionPath(chapter, path), `${path.join(": ")} in ch. ${chapter}`).toBe(true);
  });

  it("catches a title that is not the book's", () => {
    expect(
      cited("DDIA ch. 5, Handling Node Outages: Leader failover").every(({ chapter, path }) =>
        isSectionPath(chapter, path),
      ),
    ).toBe(false);
    expect(
      cited("DDIA ch. 5, Multi-Leader Replication: Multi-leader replication topologies").every(
        ({ chapter, path }) => isSectionPath(chapter, path),
      ),
    ).toBe(false);
  });
});

describe("the failover table", () => {
  it("holds short cells; the sentence about Raft's stale leader is its caption", async () => {
    const { runInProcess } = await import("../shared/fixtures/cli.js");
    const { replication } = await import("../../replication/main.js");
    const result = await runInProcess(replication, ["failover", "--json"]);
    const tables = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .filter((e) => e.kind === "table" && e.title === "Naive failover against Raft");
    expect(tables).toHaveLength(1);
    for (const row of tables[0].rows)
      for (const cell of row) expect(String(cell).length).toBeLessThanOrEqual(24);
    expect(tables[0].caption).toMatch(/deposed leader/);
  });
});
