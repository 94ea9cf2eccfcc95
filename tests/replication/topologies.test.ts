import { describe, expect, it } from "vitest";
import { runTopology } from "../../replication/topologies.js";
import { Trace } from "../../shared/trace.js";

describe("multi-leader topologies (figures 5-8 and 5-9)", () => {
  it("circular and star keep the insert before the update; all-to-all loses the update; version vectors save it", () => {
    const all = (run: ReturnType<typeof runTopology>) => [...run.rows.values()];
    expect(all(runTopology(Trace.silent(), "circular", false))).toEqual([
      "updated",
      "updated",
      "updated",
    ]);
    expect(all(runTopology(Trace.silent(), "star", false))).toEqual([
      "updated",
      "updated",
      "updated",
    ]);
    const naive = runTopology(Trace.silent(), "all-to-all", false);
    expect(naive.rows.get("leader-2")).toBe("inserted");
    expect(naive.droppedUpdates).toEqual(["leader-2 got update before the row existed"]);
    const causal = runTopology(Trace.silent(), "all-to-all", true);
    expect(all(causal)).toEqual(["updated", "updated", "updated"]);
    expect(causal.heldBack).toBe(1);
  });
});
