/**
 * CAP, measured (DDIA ch. 9, "The CAP theorem" and "Linearizability and network delays"): one
 * register workload and one partition plan, run against three stores on the same sites (five by
 * default, one replica each).
 *
 * - CP: a linearizable register from majority quorums, ABD (shared/quorum/abd-*.ts), as the book
 *   describes under "Linearizability and quorums". A client cut off from a majority cannot finish
 *   an operation: it times out (unavailable).
 * - AP: any replica answers its clients at once; replicas pass writes on and reconcile by
 *   anti-entropy, last write wins by Lamport timestamp (eventual-consistency/cap/lww-replica.ts).
 * - AP with a CRDT: the same, each key a multi-value register (cap/mv-replica.ts, on the crdts
 *   scenario's mv-register.ts): concurrent writes kept as siblings. The register checkers cannot
 *   judge a read of several values; it is judged on every request answered, no acknowledged write
 *   lost, and convergence.
 *
 * The story: the same operations, the partition cutting the sites 3 | 2 (for --replicas 5), then a
 * table side by side (answered on each side, latency, stale reads, lost writes, divergence and
 * convergence), the checker's verdict on each history (shared/check/consistency.ts), and the same
 * workload again without any partition, for the latency linearizability costs even then. Under
 * --break write-back and anti-entropy, a scripted run with fixed timings (cap/scripted.ts) shows
 * the fault, which the random workload may not.
 */

import { type Classification, classify, MODEL_NAMES } from "../../shared/check/consistency.js";
import {
  type CheckedOp,
  checkLinearizableOrUndecided,
  registerModel,
  type Verdict,
} from "../../shared/check/linearizability.js";
import { choice, decimal, integer, option, probability, type Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import { historyOperations, witnessOps } from "../../shared/render/diagram/model.js";
import { percent, percentile } from "../../shared/stats.js";
import { type Cell, Trace } from "../../shared/trace.js";
import {
  type Answered,
  answeredIn,
  latencies,
  lostWrites,
  staleReads,
  staleSiblingReads,
  unaccountedWrites,
} from "../cap/measures.js";
import {
  type MvStoreRun,
  runApStore,
  runMvStore,
  runQuorumStore,
  type StoreOptions,
  type StoreRun,
} from "../cap/run.js";
import { figure96, lateWrite } from "../cap/scripted.js";
import { REF } from "../refs.js";
import { planRegisterWorkload } from "../workload.js";

const BREAKS = ["none", "write-back", "minority-quorum", "anti-entropy"] as const;
type Break = (typeof BREAKS)[number];

interface Options {
  replicas: number;
  clients: number;
  operations: number;
  keys: number;
  partitionMs: number;
  latencyMs: number;
  loss: number;
  duplicate: number;
  break: Break;
}

/** When the partition starts: after the first few operations of every store. */
const PARTITION_START_MS = 100;
/** Think time between a client's operations: up to 60 ms, so operations spread over the partition. */
const THINK_MS_MAX = 60;
/**
 * The checkers' step budget: in all, for the linearizability check; per model, for the
 * classifier. The default run's CP history takes 228 steps of the linearizability search; a
 * history a search cannot decide within the budget is reported as undecided, never guessed.
 */
const CHECK_STEPS = 200_000;

const fraction = (a: Answered): string =>
  a.invoked === 0
    ? "none invoked"
    : `${a.answered} / ${a.invoked} (${percent(a.answered / a.invoked)})`;

const answeredText = (a: Answered): string =>
  a.invoked === 0
    ? "no operation invoked"
    : `${a.answered} of ${a.invoked} answered (${percent(a.answered / a.invoked)})`;

const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** What the side-by-side measures need of any of the three stores' runs. */
type AnyRun = Pick<StoreRun, "history" | "sideOf" | "partition">;

const latencyText = (run: Pick<StoreRun, "history">): string => {
  const l = latencies(run.history);
  return l.length === 0 ? "none answered" : `${ms(percentile(l, 50))} / ${ms(percentile(l, 99))}`;
};

const modelsText = (c: Classification | undefined): string => {
  if (c === undefined) return "not judged";
  const undecided = MODEL_NAMES.filter((m) => c.models[m] === null);
  return `${c.strongest ?? "none of the four memory models shown to hold"}${undecided.length > 0 ? ` (undecided: ${undecided.join(", ")})` : ""}`;
};

const place = (op: CheckedOp) => `${op.process} at ${op.callTime.toFixed(1)} ms`;

interface Judged {
  run: StoreRun;
  linearizable: Verdict | undefined;
  classification: Classification;
  stale: number;
  lost: ReturnType<typeof lostWrites>;
}

function judge(run: StoreRun): Judged {
  return {
    run,
    linearizable: checkLinearizableOrUndecided(registerModel, run.history, CHECK_STEPS),
    classification: classify(run.history, { place, maxSteps: CHECK_STEPS }),
    stale: staleReads(run.history).length,
    lost: lostWrites(run.history, run.finalValues),
  };
}

/** The history the checkers judged, with the linearizability witness, for the pictures (--svg). */
function pictureHistory(trace: Trace, store: string, judged: Judged): void {
  trace.history(
    `${store}: linearizability of the register`,
    historyOperations(judged.run.history),
    witnessOps(judged.linearizable),
  );
}

interface MvJudged {
  run: MvStoreRun;
  stale: number;
  /** Acknowledged writes neither among the final siblings nor superseded by a write that saw them. */
  unaccounted: CheckedOp[];
  /** Completed reads that returned two siblings or more. */
  severalSiblings: number;
}

function judgeMv(run: MvStoreRun): MvJudged {
  return {
    run,
    stale: staleSiblingReads(run.history, run.siblingsRead).length,
    unaccounted: unaccountedWrites(run.history, run.finalSiblings, run.superseded),
    severalSiblings: [...run.siblingsRead.values()].filter((s) => s.length > 1).length,
  };
}

/** Why the register checkers give no verdict on the multi-value store's history. */
const MV_NOT_JUDGED = "n/a: a read returns a set of siblings";

export const cap: Scenario<Options> = {
  name: "cap",
  networked: true,
  summary:
    "one workload, one partition: a CP quorum register refuses on the minority side; two AP stores (LWW, multi-value register) answer everywhere and diverge until the heal",
  options: [
    option("--replicas <count>", "replicas, one per site (odd)", integer(3, 9), 5),
    option(
      "--clients <count>",
      "clients, client i beside replica i mod n (the minority side's replicas are the last)",
      integer(1, 10),
      5,
    ),
    option("--operations <count>", "reads and writes per client", integer(1, 50), 20),
    option("--keys <count>", "registers the clients read and write", integer(1, 10), 2),
    option(
      "--partition-ms <ms>",
      `how long the partition (majority | minority) lasts, from ${PARTITION_START_MS} ms; 0 for none`,
      integer(0, 5_000),
      300,
    ),
    option(
      "--latency-ms <ms>",
      "one-way latency between sites, drawn from [half, one and a half times] it; a client reaches its own replica in under 1 ms",
      integer(1, 100),
      10,
    ),
    option(
      "--loss <p>",
      "probability that a message is lost (up to 0.5: clients resend, and the AP stores must still answer every request)",
      decimal(0, 0.5),
      0,
    ),
    option("--duplicate <p>", "probability that a message is delivered twice", probability, 0),
    option(
      "--break <part>",
      "run a broken variant: write-back (ABD's reader answers without writing back; also runs the book's figure 9-6, scripted), minority-quorum (ABD waits for floor(n/2) replies), anti-entropy (neither AP store reconciles; both also run a scripted write that nothing follows)",
      choice(BREAKS),
      "none",
    ),
  ],
  validate: (o) =>
    o.replicas % 2 === 0
      ? `--replicas ${o.replicas} must be odd, so that one side of the partition holds a strict majority`
      : undefined,
  run: ({ trace, seed }, o) => {
    const n = o.replicas;
    const majority = Math.floor(n / 2) + 1;
    const scripts = planRegisterWorkload(new Random(seed).fork("workload"), {
      clients: o.clients,
      operations: o.operations,
      keys: o.keys,
      writeRatio: 0.5,
      thinkMsMax: THINK_MS_MAX,
    });
    const base: StoreOptions = {
      seed,
      replicas: n,
      latencyMs: o.latencyMs,
      loss: o.loss,
      duplicate: o.duplicate,
      partition: { startMs: PARTITION_START_MS, durationMs: o.partitionMs },
    };
    const cpOptions = {
      ...base,
      writeBack: o.break !== "write-back",
      quorum: o.break === "minority-quorum" ? Math.floor(n / 2) : majority,
    };
    const apOptions = { ...base, antiEntropyMs: o.break === "anti-entropy" ? 0 : 4 * o.latencyMs };

    trace.section("The set-up: one workload, one partition plan, three stores", REF.cap);
    const minorityReplicas = Array.from(
      { length: n - majority },
      (_, i) => `replica-${majority + i + 1}`,
    );
    const sides = (side: "majority" | "minority") =>
      scripts
        .filter((_, c) => (c % n < majority ? "majority" : "minority") === side)
        .map((s) => s.client);
    const minorityClients = sides("minority");
    trace.note(
      `${n} replicas at ${n} sites, ${o.latencyMs} ms apart (one way, on average); ${o.clients === 1 ? "1 client, beside replica-1" : `${o.clients} clients, each beside one replica`}. Against each of the three stores, each client runs the same ${o.operations} operation${o.operations === 1 ? "" : "s"} (reads and writes of ${o.keys} register${o.keys === 1 ? "" : "s"}, every written value unique), one at a time, pausing up to ${THINK_MS_MAX} ms before each.`,
      { level: "summary" },
    );
    trace.note(
      o.partitionMs === 0
        ? "--partition-ms 0: no partition in this run; the tables compare the stores on a healthy network."
        : `At ${PARTITION_START_MS} ms a partition cuts the sites into a majority (replica-1 to replica-${majority}${sides("majority").length > 0 ? `, with ${sides("majority").join(", ")}` : ", with no client"}) and a minority (${minorityReplicas.join(", ")}${minorityClients.length > 0 ? `, with ${minorityClients.join(", ")}` : ", with no client"}); it heals at ${PARTITION_START_MS + o.partitionMs} ms.`,
      { level: "summary", ref: REF.cap },
    );
    if (o.loss > 0 || o.duplicate > 0)
      trace.note(
        `The network also loses ${percent(o.loss)} of messages and duplicates ${percent(o.duplicate)}; clients resend what is not answered.`,
      );

    trace.section(
      o.break === "write-back"
        ? "CP, broken: ABD with majority quorums, but the reader does not write back"
        : o.break === "minority-quorum"
          ? `CP, broken: ABD with quorums of ${cpOptions.quorum}, fewer than a majority`
          : "CP: a linearizable register from majority quorums (ABD)",
      REF.quorumLinearizability,
    );
    trace.note(
      `Each client coordinates its own operations (Attiya, Bar-Noy and Dolev's algorithm, with Lynch and Shvartsman's timestamps for several writers). A write asks every replica for its timestamp, waits for ${cpOptions.quorum} answers, and sends the value with a higher timestamp (counter + 1, client id) to every replica, done at ${cpOptions.quorum} acknowledgements. A read asks every replica for its value and timestamp, takes the newest of ${cpOptions.quorum}, ${cpOptions.writeBack ? `writes it back to every replica and answers once ${cpOptions.quorum} have acknowledged: the book's read repair performed synchronously.` : "and answers at once: BROKEN on purpose (--break write-back), without the write-back that stops a later read from returning something older."} An operation not finished ${10 * o.latencyMs + 20} ms after it began gives up: a write as unknown (info), a read as failed. Replicas never talk to each other: one that missed an update catches up only when a later operation on the key sends it one.`,
      { ref: REF.quorumLinearizability },
    );
    if (o.break === "minority-quorum")
      trace.note(
        `BROKEN on purpose (--break minority-quorum): ${cpOptions.quorum} of ${n} replicas is not a majority, so two quorums can miss each other, and the minority side can answer too.`,
      );
    const cp = judge(runQuorumStore(scripts, { ...cpOptions, trace }));
    pictureHistory(trace, "CP", cp);
    narrateSides(trace, "CP", cp.run, o.partitionMs);

    trace.section(
      o.break === "anti-entropy"
        ? "AP, broken: any replica answers; last write wins by Lamport timestamp; no anti-entropy"
        : "AP: any replica answers; last write wins by Lamport timestamp",
      REF.cap,
    );
    trace.note(
      `Each client talks only to the replica beside it, which answers at once from what it holds. A replica stamps each write it accepts with a Lamport timestamp (its counter + 1, its id) and sends it to every other replica once; ${apOptions.antiEntropyMs > 0 ? `every ${apOptions.antiEntropyMs} ms it also sends its whole state to every other replica (anti-entropy), and each keeps, per key, the value with the higher timestamp.` : "BROKEN on purpose (--break anti-entropy): no anti-entropy, so a write the partition (or the network) kept from a replica reaches it only if a later write to the key does."} Lamport timestamps rather than clocks: a write gets a higher timestamp than every write its replica already knew of, so LWW never discards a write in favour of an older one it had seen (the skewed clocks of the book's figure 8-3 can).`,
      { ref: REF.lastWriteWins },
    );
    const ap = judge(runApStore(scripts, { ...apOptions, trace }));
    pictureHistory(trace, "AP", ap);
    narrateSides(trace, "AP", ap.run, o.partitionMs);

    trace.section(
      o.break === "anti-entropy"
        ? "AP with a CRDT, broken: any replica answers; concurrent writes kept as siblings; no anti-entropy"
        : "AP with a CRDT: any replica answers; concurrent writes kept as siblings",
      REF.merging,
    );
    trace.note(
      `The same replicas and clients, each key a multi-value register (the crdts scenario's MV-Register): a write at a replica gets a version vector above every vector that replica holds for the key, so it replaces exactly the values the replica held then and no other; a replica receiving another's register keeps every value whose vector no other value's dominates, so concurrent writes survive side by side as siblings, and a read returns them all. Writes are sent on once and ${apOptions.antiEntropyMs > 0 ? `every register every ${apOptions.antiEntropyMs} ms (anti-entropy), as in the LWW store.` : "never again: BROKEN on purpose (--break anti-entropy), as in the LWW store."} Merging the siblings is left to the reader (the book's shopping cart); the register checkers cannot judge a read of several values, so this store is judged on what it promises instead: every request answered, no acknowledged write lost (each is among the final siblings or was replaced by a write whose replica had it), and convergence.`,
      { ref: REF.merging },
    );
    const mv = judgeMv(runMvStore(scripts, { ...apOptions, trace }));
    narrateSides(trace, "AP (CRDT)", mv.run, o.partitionMs);

    trace.section("Side by side", REF.cap);
    const cpLabel =
      o.break === "write-back"
        ? "CP? (ABD, no write-back: broken)"
        : o.break === "minority-quorum"
          ? `CP? (ABD, quorums of ${cpOptions.quorum}: broken)`
          : "CP (ABD, majority quorums)";
    const apLabel =
      o.break === "anti-entropy" ? "AP (LWW, no anti-entropy: broken)" : "AP (any replica, LWW)";
    const mvLabel =
      o.break === "anti-entropy"
        ? "AP (MV-Register, no anti-entropy: broken)"
        : "AP (any replica, MV-Register)";
    const rows: Cell[][] = [];
    const all = (label: string, f: (j: { run: Omit<StoreRun, "finalValues"> }) => Cell) =>
      rows.push([label, f(cp), f(ap), f(mv)]);
    const both = (label: string, f: (j: Judged) => Cell, m: Cell) =>
      rows.push([label, f(cp), f(ap), m]);
    const window = (j: { run: AnyRun }, side: "majority" | "minority") =>
      j.run.partition === undefined
        ? "no partition"
        : fraction(
            answeredIn(
              j.run.history,
              j.run.sideOf,
              side,
              j.run.partition.startMs,
              j.run.partition.endMs,
            ),
          );
    all("answered, invoked during the partition on the majority side", (j) =>
      window(j, "majority"),
    );
    all("answered, invoked during the partition on the minority side", (j) =>
      window(j, "minority"),
    );
    all("answered, all operations", (j) =>
      fraction(answeredIn(j.run.history, j.run.sideOf, "any", 0, Number.POSITIVE_INFINITY)),
    );
    all("latency of answered operations, median / 99th percentile", (j) => latencyText(j.run));
    rows.push([
      "reads that returned several siblings",
      "one value per read",
      "one value per read",
      mv.severalSiblings,
    ]);
    both("stale reads", (j) => j.stale, mv.stale);
    both(
      "lost writes (of which begun after the survivor was acknowledged)",
      (j) => `${j.lost.lost.length} (${j.lost.laterThanSurvivor.length})`,
      `${mv.unaccounted.length} (siblings: no single survivor)`,
    );
    all(
      "keys the replicas disagree on at the heal",
      (j) => j.run.divergentKeysAtHeal ?? "no partition",
    );
    all("time from the heal until every replica caught up", (j) =>
      j.run.convergedAfterHealMs === undefined
        ? "no partition"
        : j.run.convergedAfterHealMs === null
          ? "not by the end of the run"
          : ms(j.run.convergedAfterHealMs),
    );
    all("keys the replicas disagree on at the end", (j) => j.run.divergentKeysAtEnd);
    both(
      "linearizable (checker)",
      (j) =>
        j.linearizable === undefined
          ? "undecided (step budget)"
          : j.linearizable.linearizable
            ? "yes"
            : "no",
      MV_NOT_JUDGED,
    );
    both(
      "strongest model that holds (checker)",
      (j) => modelsText(j.classification),
      MV_NOT_JUDGED,
    );
    all("messages sent", (j) => j.run.messagesSent);
    trace.table(
      "The same operations on each store",
      ["", cpLabel, apLabel, mvLabel],
      rows,
      "Stale read: a read that returned a value already overwritten before it began (a write of the key acknowledged before the read began had itself begun after the value read was acknowledged); for the MV-Register, a read that missed such a write, begun after every sibling it returned had been acknowledged. Lost write: an acknowledged write whose value is not the key's final value (the newest any replica holds at the end), though nothing that began after it was acknowledged replaced it; for the MV-Register, an acknowledged write neither among the final siblings nor replaced by a write whose replica held it. Caught up: every replica holds, for every key, the newest value any replica held at the heal, or a newer one (for the MV-Register, every sibling any replica held at the heal, or a write that replaced it).",
    );
    narrateComparison(trace, cp, ap, mv, o);

    trace.section("The checker's verdicts", REF.linearizability);
    for (const [name, j] of [
      ["CP", cp],
      ["AP", ap],
    ] as const) {
      const c = j.classification;
      const held = MODEL_NAMES.filter((m) => c.models[m] === true);
      const failed = MODEL_NAMES.filter((m) => c.models[m] === false);
      const undecided = MODEL_NAMES.filter((m) => c.models[m] === null);
      trace.note(
        `${name}: ${c.operations} operation${c.operations === 1 ? "" : "s"}. Holds: ${held.join(", ") || "none"}. Violated: ${failed.join(", ") || "none"}.${undecided.length > 0 ? ` Undecided within ${CHECK_STEPS.toLocaleString("en")} steps: ${undecided.join(", ")}.` : ""}`,
        { level: "summary" },
      );
      const first = c.violations.find((v) => v.model === "linearizable") ?? c.violations[0];
      if (first !== undefined) trace.note(`${name}, ${first.model}: ${first.message}`);
    }
    const apSequential = ap.classification.models.sequential;
    const sequentialViolation = ap.classification.violations.find((v) => v.model === "sequential");
    if (apSequential === true && ap.classification.models.linearizable === false)
      trace.note(
        "Why the AP store's history can be sequential though it is not linearizable: sequential consistency asks for one order of all the operations that keeps each client's own order, not real time. Each client here talks only to the replica beside it, which stamps every write above every timestamp it has seen and only ever moves a key to a higher timestamp, so along one client's operations timestamps only grow: read-your-writes and monotonic reads by construction, and often a history with one such order. Not always: replicas take writes and answer reads before hearing of the writes other replicas took (a partition or a slow or lost message delays them), and the orders each client saw need not fit into one (at the default flags, seeds 23 and 40 of seeds 1 to 40 are causal but not sequential). So this describes this history, not a promise of the store; with each operation sent to a replica at random instead (the consistency-models scenario's lww-any-replica), the same replicas do not promise even read-your-writes.",
        { level: "summary", ref: REF.lamport },
      );
    else if (sequentialViolation !== undefined)
      trace.note(`AP, sequential: ${sequentialViolation.message}`);
    trace.note(
      `AP (CRDT): ${MV_NOT_JUDGED}${mv.severalSiblings === 0 ? " (none returned more than one in this run)" : ` (${mv.severalSiblings} read${mv.severalSiblings === 1 ? "" : "s"} returned several)`}, and the register checkers judge a read of one value. The checks below judge what the multi-value register promises instead.`,
      { level: "summary" },
    );

    trace.section("Without a partition: what linearizability costs anyway", REF.networkDelays);
    const calm = { ...base, partition: { startMs: 0, durationMs: 0 } };
    const cpCalm = runQuorumStore(scripts, { ...cpOptions, ...calm, trace: Trace.silent() });
    const apCalm = runApStore(scripts, { ...apOptions, ...calm, trace: Trace.silent() });
    const mvCalm = runMvStore(scripts, { ...apOptions, ...calm, trace: Trace.silent() });
    const answeredAll = (r: AnyRun) =>
      fraction(answeredIn(r.history, r.sideOf, "any", 0, Number.POSITIVE_INFINITY));
    trace.table(
      "The same operations, no partition",
      ["", cpLabel, apLabel, mvLabel],
      [
        [
          "latency of answered operations, median / 99th percentile",
          latencyText(cpCalm),
          latencyText(apCalm),
          latencyText(mvCalm),
        ],
        ["answered, all operations", answeredAll(cpCalm), answeredAll(apCalm), answeredAll(mvCalm)],
        [
          "stale reads",
          staleReads(cpCalm.history).length,
          staleReads(apCalm.history).length,
          staleSiblingReads(mvCalm.history, mvCalm.siblingsRead).length,
        ],
      ],
    );
    const cpMedian = percentile(latencies(cpCalm.history), 50);
    const apMedian = percentile(latencies(apCalm.history), 50);
    const q = cpOptions.quorum;
    trace.note(
      `${cpOptions.writeBack ? "Every CP operation is two round trips" : "Every CP write is two round trips (a read, BROKEN without its write-back, one)"} to ${q === majority ? "a majority" : `${q} replica${q === 1 ? "" : "s"} (BROKEN: fewer than a majority)`}, so it waits, ${cpOptions.writeBack ? "twice" : "once or twice"}, for ${q === 1 ? "one answer, which its own replica can give" : `answers from at least ${q - 1} other site${q - 1 === 1 ? "" : "s"}`}${latencies(cpCalm.history).length > 0 && latencies(apCalm.history).length > 0 ? ` (median ${ms(cpMedian)}, against ${ms(apMedian)} for the AP stores, whose client only ever talks to its own site)` : ""}, partition or not. The book: linearizability is slow all the time, not only during a network fault, and its response time is at least proportional to the uncertainty of delays in the network; this is why many systems give it up for performance, not for fault tolerance.`,
      { level: "summary", ref: REF.networkDelays },
    );

    const scripted = scriptedFault(trace, o.break);

    trace.section("Checks");
    checks(trace, cp, ap, mv, o);
    scripted();
  },
};

/**
 * The broken variants whose fault a random workload may miss at a given seed get a scripted run
 * with fixed timings that shows it (cap/scripted.ts); returns its checks, run after the others.
 */
function scriptedFault(trace: Trace, broken: Break): () => void {
  if (broken === "write-back") {
    trace.section(
      "The broken variant's fault, scripted: the book's figure 9-6",
      REF.quorumLinearizability,
    );
    const history = figure96(false);
    const [a, b] = history.slice(1) as [CheckedOp, CheckedOp];
    const show = (op: CheckedOp) =>
      `${op.output === null ? "nil" : JSON.stringify(op.output)} at ${op.returnTime.toFixed(1)} ms`;
    trace.note(
      `The random workload above may or may not catch a read without its write-back, so here is the book's figure 9-6, with fixed latencies: three replicas, a write of "new" that has reached replica-1 only; reader A asks every replica and hears first from replica-1 and replica-2, reader B starts after A has answered and hears first from replica-2 and replica-3. Without the write-back, reader A returned ${show(a)}, reader B ${show(b)}: B, starting after A had finished, read an older value than A. With the write-back (the default), A puts "new" on replica-2 before answering and B reads it there.`,
      { level: "summary", ref: REF.quorumLinearizability },
    );
    return () => {
      const verdict = checkLinearizableOrUndecided(registerModel, history, CHECK_STEPS);
      trace.check(
        "CP, figure 9-6 scripted: the history is linearizable",
        verdict?.linearizable ?? false,
        {
          expected: false,
          ref: REF.quorumLinearizability,
          detail: `reader A returned ${show(a)}, then reader B ${show(b)}`,
        },
      );
    };
  }
  if (broken === "anti-entropy") {
    trace.section(
      "The broken variant's fault, scripted: a write in the partition that no write follows",
      REF.readRepair,
    );
    const lww = lateWrite(0, "lww");
    const mv = lateWrite(0, "mv");
    trace.note(
      `In the random workload above, a later write of a key, once the network is whole, reaches every replica and can hide the missing anti-entropy; so here is a run with fixed timings: three replicas, a partition {replica-1, replica-2} | {replica-3} from 100 to 400 ms; client-1, beside replica-1, writes x = "a" at 10 ms, client-2, beside replica-3, writes x = "b" at 150 ms, and nothing follows. Replica-3's messages carrying "b" are lost to the partition, and without anti-entropy nothing sends "b" again: at the end the replicas still disagree on ${lww.divergentKeysAtEnd} key (LWW) and ${mv.divergentKeysAtEnd} key (MV-Register).`,
      { level: "summary", ref: REF.readRepair },
    );
    return () => {
      for (const [name, divergent] of [
        ["AP", lww.divergentKeysAtEnd],
        ["AP (CRDT)", mv.divergentKeysAtEnd],
      ] as const)
        trace.check(`${name}, scripted late write: the replicas converged`, divergent === 0, {
          expected: false,
          ref: REF.readRepair,
          detail:
            divergent === 0
              ? "every replica holds the same for x"
              : 'replica-1 and replica-2 never received the write of "b"',
        });
    };
  }
  return () => {};
}

function narrateSides(trace: Trace, name: string, run: AnyRun, partitionMs: number): void {
  if (run.partition === undefined || partitionMs === 0) return;
  const { startMs, endMs } = run.partition;
  const maj = answeredIn(run.history, run.sideOf, "majority", startMs, endMs);
  const min = answeredIn(run.history, run.sideOf, "minority", startMs, endMs);
  trace.note(
    `${name}, operations invoked while the partition stood: on the majority side, ${answeredText(maj)}; on the minority side, ${answeredText(min)}.`,
    { level: "summary" },
  );
}

function narrateComparison(trace: Trace, cp: Judged, ap: Judged, mv: MvJudged, o: Options): void {
  const partition = cp.run.partition;
  if (partition === undefined) {
    trace.note(
      "No partition in this run: the table compares the stores' latency, stale reads and lost writes on a whole network.",
    );
    return;
  }
  const cpMin = answeredIn(
    cp.run.history,
    cp.run.sideOf,
    "minority",
    partition.startMs,
    partition.endMs,
  );
  const cpMaj = answeredIn(
    cp.run.history,
    cp.run.sideOf,
    "majority",
    partition.startMs,
    partition.endMs,
  );
  const apMaj = answeredIn(
    ap.run.history,
    ap.run.sideOf,
    "majority",
    partition.startMs,
    partition.endMs,
  );
  const apMin = answeredIn(
    ap.run.history,
    ap.run.sideOf,
    "minority",
    partition.startMs,
    partition.endMs,
  );
  const cpSide =
    o.break === "minority-quorum"
      ? `With quorums of ${cp.run.replicaIds.length >> 1}, fewer than a majority (broken), nothing stops the CP store's minority side from answering: during the partition, ${answeredText(cpMin)} there.`
      : cpMin.invoked === 0
        ? "No client on the minority side asked the CP store anything while the partition stood, so this run does not show it refusing."
        : `"Consistent or available" is decided for the partitioned minority only: the CP store's minority side answered ${cpMin.answered === 0 ? `none of its ${cpMin.invoked} operations` : `${cpMin.answered} of its ${cpMin.invoked} operations, each only after the heal`} (invoked during the partition, an operation cannot hear from a majority before the heal), while its majority side ${cpMaj.invoked === 0 ? "asked it nothing" : `had ${answeredText(cpMaj)}${cpMaj.answered < cpMaj.invoked && o.loss > 0 ? `, ${cpMaj.answered === 0 ? "all" : "the rest"} timed out because the network lost messages, not for want of a majority` : ""}`}.`;
  const apSide = `The AP store, during the partition: on the majority side, ${answeredText(apMaj)}; on the minority side, ${answeredText(apMin)}${ap.stale + ap.lost.lost.length === 0 ? "; over the whole run it returned no stale read and lost no write." : `; over the whole run it returned ${ap.stale} stale read${ap.stale === 1 ? "" : "s"} and lost ${ap.lost.lost.length} write${ap.lost.lost.length === 1 ? "" : "s"}.`}`;
  const mvMin = answeredIn(
    mv.run.history,
    mv.run.sideOf,
    "minority",
    partition.startMs,
    partition.endMs,
  );
  const mvSide = `The AP store with a CRDT, on the minority side: ${answeredText(mvMin)}; ${mv.severalSiblings === 0 ? "no read returned more than one sibling in this run." : `it kept concurrent writes as siblings instead of discarding one, and ${mv.severalSiblings} read${mv.severalSiblings === 1 ? "" : "s"} returned several values, which the application has to merge.`}`;
  trace.note(`${cpSide} ${apSide} ${mvSide}`, { level: "summary", ref: REF.cap });
  if (ap.lost.lost.length > 0)
    trace.note(
      `The AP store lost ${ap.lost.lost.length} acknowledged write${ap.lost.lost.length === 1 ? "" : "s"}: each was silently replaced by a write with a higher Lamport timestamp that had not begun after it was acknowledged${ap.lost.laterThanSurvivor.length > 0 ? `, ${ap.lost.laterThanSurvivor.length} of them begun after the surviving write had been acknowledged, which no linearizable store may do` : ""}.`,
      { ref: REF.lastWriteWins },
    );
}

function checks(trace: Trace, cp: Judged, ap: Judged, mv: MvJudged, o: Options): void {
  const cpBroken = o.break === "write-back" || o.break === "minority-quorum";
  const readsOk = cp.run.history.filter((op) => op.f === "read" && op.outcome === "ok").length;
  const linearizable = "CP: the quorum store's history is linearizable";
  if (readsOk === 0)
    trace.notExercised(linearizable, "no read completed, so no read can contradict an order", {
      ref: REF.quorumLinearizability,
    });
  else if (cp.linearizable === undefined)
    trace.notExercised(
      linearizable,
      `the checker could not decide within ${CHECK_STEPS.toLocaleString("en")} steps`,
      { ref: REF.quorumLinearizability },
    );
  else
    trace.check(linearizable, cp.linearizable.linearizable, {
      expected: !cpBroken,
      ref: REF.quorumLinearizability,
      detail:
        cp.linearizable.witness === undefined
          ? `${readsOk} read${readsOk === 1 ? "" : "s"}, explained by one order consistent with real time`
          : `key ${cp.linearizable.witness.key}: no order explains ${place(cp.linearizable.witness.op)} (${cp.linearizable.witness.op.f} ${JSON.stringify(cp.linearizable.witness.op.f === "read" ? cp.linearizable.witness.op.output : cp.linearizable.witness.op.input)})`,
    });

  const refuses =
    "CP: no operation the minority side invoked during the partition was answered before the heal";
  const partition = cp.run.partition;
  const minorityOps =
    partition === undefined
      ? []
      : cp.run.history.filter(
          (op) =>
            cp.run.sideOf.get(op.process) === "minority" &&
            op.callTime >= partition.startMs &&
            op.callTime < partition.endMs,
        );
  if (partition === undefined)
    trace.notExercised(refuses, "--partition-ms 0: there was no partition", { ref: REF.cap });
  else if (minorityOps.length === 0)
    trace.notExercised(
      refuses,
      "no client on the minority side invoked an operation while the partition stood",
      { ref: REF.cap },
    );
  else {
    const early = minorityOps.filter(
      (op) => op.outcome === "ok" && op.returnTime < partition.endMs,
    );
    trace.check(refuses, early.length === 0, {
      expected: o.break !== "minority-quorum",
      ref: REF.cap,
      detail:
        early.length === 0
          ? `${minorityOps.length} invoked, none answered before ${partition.endMs} ms`
          : `${early.length} of ${minorityOps.length} answered from the minority side alone, first ${place(early[0] as CheckedOp)}`,
    });
  }

  const everyAnswered = "AP: every request was answered";
  const apAll = answeredIn(ap.run.history, ap.run.sideOf, "any", 0, Number.POSITIVE_INFINITY);
  trace.check(everyAnswered, apAll.answered === apAll.invoked, {
    ref: REF.cap,
    detail: `${apAll.answered} of ${apAll.invoked}`,
  });

  const converged = "AP: the replicas converged once the network was whole and quiet";
  if ([...ap.run.finalValues.values()].every((v) => v === null))
    trace.notExercised(converged, "no replica ever took a write: they all hold nil", {
      ref: REF.readRepair,
    });
  else
    trace.check(converged, ap.run.divergentKeysAtEnd === 0, {
      expected: o.break !== "anti-entropy",
      ref: REF.readRepair,
      detail:
        ap.run.divergentKeysAtEnd === 0
          ? o.keys === 1
            ? "every replica holds the same value for the one key"
            : `every replica holds the same value for each of the ${o.keys} keys`
          : `the replicas still disagree on ${ap.run.divergentKeysAtEnd} key${ap.run.divergentKeysAtEnd === 1 ? "" : "s"}`,
    });

  const mvAll = answeredIn(mv.run.history, mv.run.sideOf, "any", 0, Number.POSITIVE_INFINITY);
  trace.check("AP (CRDT): every request was answered", mvAll.answered === mvAll.invoked, {
    ref: REF.cap,
    detail: `${mvAll.answered} of ${mvAll.invoked}`,
  });

  const acked = mv.run.history.filter((op) => op.f === "write" && op.outcome === "ok");
  const noneLost =
    "AP (CRDT): no acknowledged write lost: each is among the final siblings or was replaced by a write whose replica held it";
  if (acked.length === 0)
    trace.notExercised(noneLost, "no write was acknowledged", { ref: REF.merging });
  else
    trace.check(noneLost, mv.unaccounted.length === 0, {
      ref: REF.merging,
      detail:
        mv.unaccounted.length === 0
          ? `${acked.length} acknowledged`
          : `${mv.unaccounted.length} of ${acked.length} gone, first ${place(mv.unaccounted[0] as CheckedOp)} (${JSON.stringify(mv.unaccounted[0]?.input)})`,
    });

  const mvConverged = "AP (CRDT): the replicas converged once the network was whole and quiet";
  if ([...mv.run.finalSiblings.values()].every((v) => v.length === 0))
    trace.notExercised(mvConverged, "no replica ever took a write: they all hold nothing", {
      ref: REF.readRepair,
    });
  else
    trace.check(mvConverged, mv.run.divergentKeysAtEnd === 0, {
      expected: o.break !== "anti-entropy",
      ref: REF.readRepair,
      detail:
        mv.run.divergentKeysAtEnd === 0
          ? o.keys === 1
            ? "every replica holds the same siblings for the one key"
            : `every replica holds the same siblings for each of the ${o.keys} keys`
          : `the replicas still disagree on ${mv.run.divergentKeysAtEnd} key${mv.run.divergentKeysAtEnd === 1 ? "" : "s"}`,
    });
}
