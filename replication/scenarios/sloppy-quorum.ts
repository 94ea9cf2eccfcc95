/** A partition forces a write onto stand-in nodes; a quorum read of the home nodes misses it until the hints are handed off (DDIA ch. 5). */

import type { Scenario } from "../../shared/cli.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import { SloppyClient, type SloppyMessage, SloppyNode } from "../leaderless/sloppy.js";
import { REF } from "../refs.js";

export interface SloppyRun {
  writeAcknowledged: boolean;
  readDuringPartition: (string | null)[];
  readAfterHandoff: (string | null)[];
  handedOff: number;
}

const W = 2;
const R = 2;

/**
 * n = 3 home replicas (node-1..3) and two stand-ins. client-1 is cut off with node-3 and the
 * stand-ins; client-2 with node-1 and node-2. client-1 writes, client-2 reads, the network heals,
 * client-2 reads again.
 */
export function runSloppy(trace: Trace, seed: number, sloppy: boolean): SloppyRun {
  const sim = new Simulation({ seed, trace });
  const net = new Network<SloppyMessage>(sim, { latencyMsMin: 1, latencyMsMax: 5 });
  const homes = ["node-1", "node-2", "node-3"];
  const standIns = ["node-4", "node-5"];
  const nodes = [...homes, ...standIns].map((id) => net.add(new SloppyNode(id, net)));
  const writer = net.add(new SloppyClient("client-1", net, homes, standIns));
  const reader = net.add(new SloppyClient("client-2", net, homes, standIns));
  sim.at(1, () =>
    net.partition([
      ["client-1", "node-3", "node-4", "node-5"],
      ["client-2", "node-1", "node-2"],
    ]),
  );
  sim.at(10, () => writer.write("w1", "cart", "book", sloppy, 30));
  sim.at(100, () => reader.read("r1", "cart"));
  sim.at(200, () => net.heal());
  sim.at(400, () => reader.read("r2", "cart"));
  sim.run(600);
  return {
    writeAcknowledged: writer.acknowledgements("w1") >= W,
    readDuringPartition: reader.answers("r1").slice(0, R),
    readAfterHandoff: reader.answers("r2").slice(0, R),
    handedOff: nodes.reduce((sum, n) => sum + n.handedOff, 0),
  };
}

const seesBook = (answers: (string | null)[]) => answers.includes("book");

export const sloppyQuorum: Scenario<Record<string, never>> = {
  name: "sloppy-quorum",
  networked: true,
  summary:
    "a partition forces writes onto stand-in nodes; a quorum read of the home nodes misses them until hinted handoff",
  options: [],
  run: ({ trace, seed }) => {
    trace.section(`n = 3 home replicas, w = ${W}, r = ${R}, and two stand-in nodes`, REF.sloppy);
    trace.note(
      "A partition leaves client-1 with node-3 and the stand-ins node-4 and node-5, and client-2 with node-1 and node-2. client-1 writes to the cart; client-2 reads it with a quorum of the home replicas; then the network heals.",
      { ref: REF.sloppy },
    );
    trace.note("First with a strict quorum:");
    const strict = runSloppy(trace, seed, false);
    trace.note("Then with a sloppy quorum:");
    const sloppy = runSloppy(trace, seed, true);
    const show = (a: (string | null)[]) =>
      a.length === 0 ? "(no answer)" : a.map((v) => v ?? "nothing").join(", ");
    trace.table(
      "The same partition, strict and sloppy",
      ["quorum", "write acknowledged", "read during the partition", "read after handoff"],
      [
        [
          "strict",
          strict.writeAcknowledged ? "yes" : "no: only node-3 answered",
          show(strict.readDuringPartition),
          show(strict.readAfterHandoff),
        ],
        [
          "sloppy",
          sloppy.writeAcknowledged ? "yes: node-3 and the stand-ins" : "no",
          show(sloppy.readDuringPartition),
          show(sloppy.readAfterHandoff),
        ],
      ],
    );
    trace.check(
      "the sloppy quorum accepts the write the strict one refuses",
      sloppy.writeAcknowledged && !strict.writeAcknowledged,
      { ref: REF.sloppy },
    );
    trace.check(
      "a quorum read of the home nodes sees an acknowledged write",
      seesBook(sloppy.readDuringPartition),
      {
        expected: false,
        detail:
          "during the partition, the write lives on node-3 and on a stand-in, which the read does not ask",
        ref: REF.sloppy,
      },
    );
    trace.check(
      "after hinted handoff, the home quorum sees it",
      seesBook(sloppy.readAfterHandoff) && sloppy.handedOff > 0,
      {
        detail: `${sloppy.handedOff} hint(s) handed off`,
      },
    );
  },
};
