/**
 * Two datacenters, a leader in each, concurrent writes to the same key, and three ways to resolve
 * the conflict (DDIA ch. 5, "Multi-Leader Replication": "Handling Write Conflicts").
 */

import { integer, option, type Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import type { Cell } from "../../shared/trace.js";
import { type LeaderWrite, type Resolution, runMultiLeader } from "../multi-leader.js";
import { REF } from "../refs.js";

/** Figure 5-7's conflict, then a stream of writes from both sides to a few keys. */
export function multiLeaderWrites(random: Random, writes: number): LeaderWrite[] {
  const out: LeaderWrite[] = [
    { id: "user-1", leader: "dc1", key: "title", value: "B", atMs: 0 },
    { id: "user-2", leader: "dc2", key: "title", value: "C", atMs: 5 },
  ];
  for (let i = 0; i < writes; i++) {
    out.push({
      id: `w${i}`,
      leader: random.pick(["dc1", "dc2"]),
      key: random.pick(["x", "y", "z"]),
      value: `v${i}`,
      atMs: 200 + random.uniform(0, 2_000),
    });
  }
  return out;
}

export const multiLeader: Scenario<{ writes: number; wan: number }> = {
  name: "multi-leader",
  summary:
    "a leader per datacenter, concurrent writes to one key: last write wins loses data, siblings keep it, a merge combines it",
  options: [
    option(
      "--writes <count>",
      "writes from both datacenters after the first conflict",
      integer(0, 100_000),
      200,
    ),
    option(
      "--wan <ms>",
      "replication delay between the datacenters (plus up to as much again)",
      integer(1, 10_000),
      40,
    ),
  ],
  run: ({ trace, seed }, { writes, wan }) => {
    trace.section("Figure 5-7: the same title changed in two datacenters at once", REF.multiLeader);
    trace.note(
      "User 1 sets a wiki page's title to B at the leader in dc1; 5 ms later user 2 sets it to C at the leader in dc2. Each leader accepts its write at once and replicates it asynchronously; when each receives the other's write, it has a conflict. dc2's clock runs 15 ms fast.",
      { ref: REF.multiLeader },
    );
    const rows: Cell[][] = [];
    const results = new Map<Resolution, ReturnType<typeof runMultiLeader>>();
    for (const resolution of ["lww", "siblings", "merge"] as const) {
      const run = runMultiLeader(
        new Random(seed).fork("wan"),
        resolution,
        multiLeaderWrites(new Random(seed).fork("writes"), writes),
        wan,
      );
      results.set(resolution, run);
      const title = run.leaders[0]?.read("title") ?? [];
      rows.push([
        resolution === "lww" ? "last write wins" : resolution,
        title.join(" | "),
        run.conflicts,
        run.silentlyLost.length,
        run.converged ? "yes" : "no",
      ]);
    }
    trace.table(
      "Resolving the conflicts",
      ["strategy", "final title", "conflicts", "writes silently lost", "datacenters agree"],
      rows,
      "Last write wins converges by discarding: it keeps the write with the later timestamp (C here), and since dc2's clock runs 15 ms fast, dc2 wins every race closer than that, whatever the real order. Siblings keep both values for the application to resolve; the merge shows them as one.",
    );
    const lww = results.get("lww");
    const siblings = results.get("siblings");
    const merge = results.get("merge");
    trace.check(
      "every strategy makes both datacenters agree",
      [lww, siblings, merge].every((r) => r?.converged === true),
    );
    trace.check(
      "last write wins discards no write silently",
      (lww?.silentlyLost.length ?? 0) === 0,
      {
        expected: false,
        detail: `${lww?.silentlyLost.length} lost, among them ${lww?.silentlyLost
          .map((w) => `${w.key}=${w.value}`)
          .slice(0, 3)
          .join(", ")}`,
        ref: REF.multiLeader,
      },
    );
    trace.check(
      "siblings and the merge discard no write silently",
      (siblings?.silentlyLost.length ?? 1) === 0 && (merge?.silentlyLost.length ?? 1) === 0,
    );
    trace.check("figure 5-7's merged title is B/C", merge?.leaders[0]?.read("title")[0] === "B/C");
  },
};
