/**
 * Leaderless replication with quorums. First the book's figure 9-6, scripted: every read hears
 * from a quorum and none is stale, yet the history is not linearizable (DDIA ch. 9,
 * "Linearizability and quorums"). Then random runs with n, w and r by flag: with w + r > n every
 * read sees the latest acknowledged write, with w + r ≤ n stale reads appear; read repair; and
 * the book's edge case of a failed write that is not rolled back (DDIA ch. 5, "Leaderless
 * Replication").
 */

import { faultOptions, flag, integer, option, type Scenario } from "../../shared/cli.js";
import { type Cell, Trace } from "../../shared/trace.js";
import { describeWitness, exportHistory, exportHistoryOption } from "../export.js";
import {
  type Figure96Operation,
  type QuorumOptions,
  type QuorumResult,
  runFigure96,
  runQuorum,
} from "../leaderless/run.js";
import { REF } from "../refs.js";
import { describeLoss } from "./loss-option.js";

type Options = Omit<QuorumOptions, "seed" | "readRepair" | "clients"> & {
  skipReadRepair: boolean;
  exportHistory: string;
};

const verdictText = (r: QuorumResult) =>
  r.reads === 0
    ? "n/a (no reads)"
    : r.linearizability === undefined
      ? "undecided"
      : r.linearizability.linearizable
        ? "yes"
        : "no";

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
  networked: true,
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
    figure96(trace, seed, readRepair);
    trace.section(
      `Random runs: n = ${options.n}, w = ${options.w}, r = ${options.r}: ${overlap ? "w + r > n, every read quorum meets every write quorum" : "w + r ≤ n, quorums need not meet"}`,
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
    else if (result.stale.length === 0 && result.readsAfterAcknowledgedWrite === 0)
      trace.notExercised(
        latest,
        `no read began after a write of its key was acknowledged, so ${result.reads === 1 ? "the one read" : `none of the ${result.reads} reads`} could be stale`,
        { ref: REF.quorumLimits },
      );
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
        : overlap
          ? "quorums do not make it so, not even with w + r > n: a read may see a write still in progress (or one reported failed) and a later read miss it (figure 9-6), since a read here does not wait for read repair to finish"
          : `with w + r ≤ n a read quorum need not meet the quorum of the last acknowledged write${result.stale.length > 0 ? ` (${result.stale.length} stale read${result.stale.length === 1 ? "" : "s"} above)` : ""}, and a read may also see a write still in progress that a later read misses`,
    });
  },
};

const versionText = (key: string, version: number) =>
  version === 0 ? `no ${key}` : `${key}@${version}`;

const at = (ms: number | undefined) => (ms === undefined ? "never" : `${ms.toFixed(0)} ms`);

/**
 * The book's figure 9-6, scripted so that every seed shows it: each read hears from a quorum,
 * none is stale by the recency check, and the history is still not linearizable.
 */
function figure96(trace: Trace, seed: number, readRepair: boolean): void {
  const f = runFigure96(Trace.silent(), { seed, readRepair });
  const { writer, readerA: a, readerB: b } = f;
  const key = writer.key;
  const written = versionText(key, writer.version);
  trace.section(
    "Figure 9-6, scripted: every read hears from a quorum, yet the history is not linearizable",
    REF.quorumLinearizability,
  );
  trace.note(
    `As in the book's figure: n = ${f.n}, w = ${f.w}, r = ${f.r} (--n, --w and --r apply to the random runs below), fixed latencies and no faults, so every seed plays it the same way. The writer's Store reaches replica-3 within a millisecond, but replica-1 and replica-2 only after 150 ms. A key never written reads as nil.`,
    { ref: REF.quorumLinearizability },
  );
  const heard = (op: Figure96Operation) =>
    op.answers
      .map((x) => `${versionText(key, x.version)} from ${x.replica} (${at(x.atMs)})`)
      .join(", ");
  const acks = (op: Figure96Operation) =>
    op.answers.map((x) => `${x.replica} at ${at(x.atMs)}`).join(", ");
  const events: { atMs: number; text: string }[] = [
    {
      atMs: writer.invokeTimeMs,
      text: `writer sends ${written} to all ${f.n} replicas; it needs ${f.w} acknowledgements`,
    },
    {
      atMs: a.invokeTimeMs,
      text: `reader-A asks all ${f.n} replicas for ${key}, and waits for ${f.r} answers`,
    },
    {
      atMs: a.completeTimeMs ?? a.invokeTimeMs,
      text: `reader-A has its ${a.answers.length} answers, ${heard(a)}, and returns the newest, ${versionText(key, a.version)}${f.repairedByA.length > 0 ? `; it sends ${versionText(key, a.version)} to ${f.repairedByA.join(" and ")} (read repair) without waiting for it to land` : ""}`,
    },
    {
      atMs: b.invokeTimeMs,
      text: `reader-B asks all ${f.n} replicas for ${key}, after reader-A has returned`,
    },
    {
      atMs: b.completeTimeMs ?? b.invokeTimeMs,
      text: `reader-B has its ${b.answers.length} answers, ${heard(b)}, and returns ${versionText(key, b.version)}${b.version === 0 ? " (nil)" : ""}${b.version < a.version ? `, though reader-A returned ${versionText(key, a.version)} before reader-B began` : ""}`,
    },
    {
      atMs: writer.completeTimeMs ?? writer.invokeTimeMs,
      text:
        writer.completeTimeMs === undefined
          ? "the write never gathers its acknowledgements"
          : `the write is acknowledged (${acks(writer)}): it was in flight through both reads`,
    },
  ];
  for (const e of events.sort((x, y) => x.atMs - y.atMs)) trace.note(e.text, { time: e.atMs });
  const recent = "figure 9-6: every read returns the latest acknowledged write (or a newer one)";
  // The recency check can only fail a read that began after an acknowledged write (or one that
  // returns a version nobody wrote); where no read did, it holds whatever the replicas answer.
  if (f.stale.length === 0 && f.readsAfterAcknowledgedWrite === 0)
    trace.notExercised(
      recent,
      `no write was acknowledged before either read began (the write ${writer.completeTimeMs === undefined ? "never was" : `was at ${at(writer.completeTimeMs)}, after both`}), so neither read can be stale by this check, reader-B's ${b.version === 0 ? "nil" : versionText(key, b.version)} included; the linearizability checker below judges what it cannot`,
      { ref: REF.quorumLimits },
    );
  else
    trace.check(recent, f.stale.length === 0, {
      ref: REF.quorumLimits,
      detail: `${f.stale.length} of 2 reads stale`,
    });
  const w = f.linearizability.witness;
  if (w !== undefined)
    trace.note(describeWitness(w), { level: "summary", ref: REF.quorumLinearizability });
  trace.check("figure 9-6: the history is linearizable", f.linearizability.linearizable, {
    expected: false,
    ref: REF.quorumLinearizability,
    detail: f.linearizability.linearizable
      ? undefined
      : `once reader-A has returned ${versionText(key, a.version)}, a read that begins later must not return an older value, and reader-B's did; w + r = ${f.w + f.r} > n = ${f.n} does not prevent it unless a reader performs read repair synchronously, before it returns`,
  });
}
