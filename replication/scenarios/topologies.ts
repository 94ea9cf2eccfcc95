/** Circular, star and all-to-all replication, and the update that overtakes its insert (DDIA ch. 5, figures 5-8 and 5-9). */

import type { Scenario } from "../../shared/cli.js";
import { type Cell, Trace } from "../../shared/trace.js";
import { REF } from "../refs.js";
import { runTopology, type Topology } from "../topologies.js";

export const topologies: Scenario<Record<string, never>> = {
  name: "topologies",
  networked: true,
  summary:
    "circular, star and all-to-all multi-leader topologies; an update overtakes its insert, and version vectors fix it",
  options: [],
  run: ({ trace }) => {
    trace.section("Three leaders, one insert and one update", REF.topologies);
    trace.note(
      "leader-1 inserts a row; leader-3 updates it as soon as it has it. The link from leader-1 to leader-2 is slow (100 ms), the others fast (10 ms). A leader that receives an update for a row it does not have yet drops it. With --verbose, the all-to-all runs are shown message by message.",
      { ref: REF.topologies },
    );
    const rows: Cell[][] = [];
    const runs = new Map<string, ReturnType<typeof runTopology>>();
    for (const [topology, vv] of [
      ["circular", false],
      ["star", false],
      ["all-to-all", false],
      ["all-to-all", true],
    ] as [Topology, boolean][]) {
      // The two all-to-all runs are narrated (message by message with --verbose).
      const narrated = topology === "all-to-all";
      if (narrated)
        trace.note(
          vv ? "All-to-all with version vectors:" : "All-to-all, each write applied as it arrives:",
        );
      const run = runTopology(narrated ? trace : Trace.silent(), topology, vv);
      const label = vv ? `${topology} with version vectors` : topology;
      runs.set(label, run);
      rows.push([
        label,
        [...run.rows].map(([l, v]) => `${l.replace("leader-", "L")}: ${v ?? "(none)"}`).join(", "),
        run.droppedUpdates.length,
        run.heldBack,
      ]);
    }
    trace.table(
      "Where the row ends up",
      ["topology", "row at each leader", "updates dropped", "writes held back"],
      rows,
      "Circular and star keep the order because every write to leader-2 travels a path that already carried the insert; but one failed node stops the flow around the ring or from the root.",
    );
    const naive = runs.get("all-to-all");
    if (naive !== undefined && naive.droppedUpdates.length > 0) {
      trace.note(
        `All-to-all: ${naive.droppedUpdates.join("; ")}: the update overtook the insert on the fast path through leader-3 (figure 5-9), and leader-2 never gets the update.`,
        {
          level: "summary",
          ref: REF.topologies,
        },
      );
    }
    const converged = (label: string) =>
      [...(runs.get(label)?.rows.values() ?? [])].every((v) => v === "updated");
    trace.check("circular: every leader ends with the updated row", converged("circular"));
    trace.check("star: every leader ends with the updated row", converged("star"));
    trace.check(
      "all-to-all, writes applied as they arrive: every leader ends with the updated row",
      converged("all-to-all"),
      { expected: false, ref: REF.topologies },
    );
    trace.check(
      "all-to-all with version vectors: every leader ends with the updated row",
      converged("all-to-all with version vectors"),
      {
        ref: REF.versionVectors,
        detail: `${runs.get("all-to-all with version vectors")?.heldBack} write(s) held back until their dependency arrived`,
      },
    );
  },
};
