import { describe, expect, it } from "vitest";
import { runSloppy } from "../../replication/scenarios/sloppy-quorum.js";
import { Trace } from "../../shared/trace.js";

const seeds = Array.from({ length: 30 }, (_, i) => i + 1);

describe("sloppy quorums and hinted handoff (DDIA ch. 5), over seeds", () => {
  it("a strict quorum refuses the write that a partition leaves with one home replica", () => {
    for (const seed of seeds)
      expect(runSloppy(Trace.silent(), seed, false).writeAcknowledged, `seed ${seed}`).toBe(false);
  });

  it("a sloppy quorum accepts it, yet a quorum read of the home replicas misses it during the partition", () => {
    for (const seed of seeds) {
      const run = runSloppy(Trace.silent(), seed, true);
      expect(run.writeAcknowledged, `seed ${seed}`).toBe(true);
      // The reader reaches only node-1 and node-2, which never got the write: both answer "nothing".
      expect(run.readDuringPartition, `seed ${seed}`).toEqual([null, null]);
    }
  });

  it("after the partition heals, hinted handoff brings the write home and every home read sees it", () => {
    for (const seed of seeds) {
      const run = runSloppy(Trace.silent(), seed, true);
      // One hint for each of node-1 and node-2, the homes that did not answer.
      expect(run.handedOff, `seed ${seed}`).toBe(2);
      expect(run.readAfterHandoff, `seed ${seed}`).toEqual(["book", "book"]);
    }
  });

  it("without a sloppy quorum nothing is handed off, so the check can fail", () => {
    const run = runSloppy(Trace.silent(), 1, false);
    expect(run.handedOff).toBe(0);
    expect(run.readAfterHandoff).not.toEqual(["book", "book"]);
  });
});
