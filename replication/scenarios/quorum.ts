/**
 * Leaderless replication with quorums: n, w and r by flag; with w + r > n every read sees the
 * latest acknowledged write, with w + r ≤ n stale reads appear; read repair; and the book's edge
 * case of a failed write that is not rolled back (DDIA ch. 5, "Leaderless Replication").
 */

import { faultOptions, flag, integer, option, type Scenario } from "../../shared/cli.js";
import { type Cell, Trace } from "../../shared/trace.js";
import { describeWitness, exportHistory, exportHistoryOption } from "../export.js";
import { type QuorumOptions, type QuorumResult, runQuorum } from "../leaderless/run.js";
import { REF } from "../refs.js";
import { describeLoss } from "./loss-option.js";

type Options = Omit<QuorumOptions, "seed" | "readRepair" | "clients"> & {
  skipReadRepair: boolean;
  exportHistory: string;
};

const verdictText = (r: QuorumResult) =>
  r.linearizability === undefined ? "undecided" : r.linearizability.linearizable ? "yes" : "no";

const duringWrite = (r: QuorumResult) =>
  `${r.readsDuringWrite.newer} / ${r.readsDuringWrite.older}`;

/**
 * The checker's step budget for each run's history, a fifth of its command line's default. The
 * histories it decides here take far fewer (at most 160,279 steps in runs of up to 2,500
 * operations over three seeds), and one it cannot decide costs the whole budget, three times per
 * run: at 10 million steps, `--operations 10000` took 16 s of CPU.
 */
const CHECK_STEPS = 2_000_000;

export const quorum: Scenario<Options> = {
  name: "quorum",
  summary:
    "n replicas, writes to w, reads from r: w + r > n reads the latest write, w + r ≤ n does not",
  options: [
    option("--n <count>", "replicas of every key", integer(1, 9), 3),
    option("--w <count>", "acknowledgements a write waits for", integer(1, 9), 2),
    option("--r <count>", "answers a read waits for", integer(1, 9), 2),
    option("--operations <count>", "operations per client", integer(1, 10_000), 60),
    ...describeLoss(
      faultOptions({ loss: 0.1, duplicate: 0, crash: 1, partition: 1 }, "replica"),
      "near 1 few reads complete or none, and a check with no read to judge comes out not exercised",
    ),
    flag("--skip-read-repair", "do not repair stale replicas after a read"),
    exportHistoryOption,
  ],
  validate: (o) =>
    o.w > o.n
      ? `--w ${o.w} cannot exceed --n ${o.n}`
      : o.r > o.n
        ? `--r ${o.r} cannot exceed --n ${o.n}`
        : undefined,
  run: ({ trace, seed }, options) => {
    const readRepair = !options.skipReadRepair;
    const overlap = options.w + options.r > options.n;
    trace.section(
      `n = ${options.n}, w = ${options.w}, r = ${options.r}: ${overlap ? "w + r > n, every read quorum meets every write quorum" : "w + r ≤ n, quorums need not meet"}`,
      REF.quorums,
    );
    trace.note(
      "Clients send every write to all n replicas and count it done at w acknowledgements; every read goes to all n, returns the newest version among the first r answers, and (read repair) sends that version to replicas that answered with an older one. Each client writes its own key in increasing versions, so a stale read can be decided exactly.",
      { ref: REF.quorums },
    );
    const run = (o: Pick<QuorumOptions, "w" | "r" | "readRepair">, traced: boolean) =>
      runQuorum(traced ? trace : Trace.silent(), {
        ...options,
        ...o,
        seed,
        clients: 3,
        linearizabilitySteps: CHECK_STEPS,
      });
    const result = run({ w: options.w, r: options.r, readRepair }, true);
    const rows: Cell[][] = [
      [
        options.w,
        options.r,
        result.reads,
        result.stale.length,
        duringWrite(result),
        result.readsOfFailedWrites,
        result.readRepairs,
        verdictText(result),
      ],
    ];
    for (const [w, r] of [
      [Math.ceil((options.n + 1) / 2), Math.ceil((options.n + 1) / 2)],
      [1, 1],
    ] as const) {
      if (w === options.w && r === options.r) continue;
      const other = run(
        { w: Math.min(w, options.n), r: Math.min(r, options.n), readRepair },
        false,
      );
      rows.push([
        w,
        r,
        other.reads,
        other.stale.length,
        duringWrite(other),
        other.readsOfFailedWrites,
        other.readRepairs,
        verdictText(other),
      ]);
    }
    trace.table(
      `Quorums over the same seed and faults (n = ${options.n})`,
      [
        "w",
        "r",
        "reads",
        "stale reads",
        "reads during a write: new / old",
        "reads of a write reported failed",
        "read repairs",
        "linearizable",
      ],
      rows,
      "Two of the limitations the book lists. A read concurrent with a write may return the new value or the old one (the column counts each). A write that reached fewer than w replicas is reported failed but stays on the replicas that took it, so a later read may return it.",
    );
    if (result.stale.length > 0) {
      const s = result.stale[0];
      trace.note(
        `For example: ${s?.process} read ${s?.key} at ${s?.invokeTimeMs.toFixed(1)} ms and got version ${s?.got}, though version ${s?.atLeast} had been acknowledged before the read began.`,
        { level: "summary", ref: REF.quorumLimits },
      );
    }
    const latest = "every read returns the latest acknowledged write (or a newer one)";
    if (result.reads === 0)
      trace.notExercised(latest, "no read completed, so none could be stale", {
        ref: REF.quorumLimits,
      });
    else
      trace.check(latest, result.stale.length === 0, {
        expected: overlap,
        ref: REF.quorumLimits,
        detail: `${result.stale.length} stale of ${result.reads} reads`,
      });
    exportHistory(trace, options.exportHistory, result.history);
    const verdict = result.linearizability;
    const linearizable = "the history is linearizable";
    if (result.reads === 0) {
      // Writes alone, with no read to observe them, can always be put in some order.
      trace.notExercised(
        linearizable,
        "no read completed, and a history of writes alone is always linearizable",
        { ref: REF.quorumLinearizability },
      );
      return;
    }
    if (verdict === undefined) {
      trace.note(
        `The linearizability checker could not decide this history within its step budget (${CHECK_STEPS.toLocaleString("en")} steps): every write that timed out may take effect at any later point, and the search grows exponentially in them. Fewer --operations keep it decidable.`,
        { level: "summary", ref: REF.quorumLinearizability },
      );
      return;
    }
    if (verdict.witness !== undefined)
      trace.note(describeWitness(verdict.witness), {
        level: "summary",
        ref: REF.quorumLinearizability,
      });
    trace.check(linearizable, verdict.linearizable, {
      expected: false,
      ref: REF.quorumLinearizability,
      detail: verdict.linearizable
        ? undefined
        : "quorums do not make it so, not even with w + r > n: a read may see a write still in progress (or one reported failed) and a later read miss it (figure 9-6), since a read here does not wait for read repair to finish",
    });
  },
};
