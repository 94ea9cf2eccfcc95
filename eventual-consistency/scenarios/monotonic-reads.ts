/**
 * Monotonic reads (DDIA ch. 5, "Problems with Replication Lag: Monotonic Reads", figure 5-4): a
 * user reads twice, from two followers with different lag, and the second read is older than the
 * first: time goes backwards. The book's fix: each user always reads from the same replica,
 * chosen by a hash of the user id; "if that replica fails, the user's queries will need to be
 * rerouted to another replica", and that replica may be behind. So the fix is shown twice: failing
 * over to whichever follower answers, and failing over only to a replica that has reached the
 * position this user has read (the LSN technique of "Reading Your Own Writes", applied to reads).
 */

import { classify } from "../../shared/check/consistency.js";
import { decimal, integer, networkFaultOptions, option, type Scenario } from "../../shared/cli.js";
import type { Fault } from "../../shared/faults.js";
import { murmur3_32 } from "../../shared/hash.js";
import { Random } from "../../shared/random.js";
import { historyOperations } from "../../shared/render/diagram/model.js";
import type { Cell, Trace } from "../../shared/trace.js";
import { plural } from "../../shared/words.js";
import { type ReadRecord, type RoutingPolicy, TIMEOUT_MS } from "../lag/client.js";
import {
  checkGuarantee,
  describeCrashes,
  firstViolation,
  latency,
  narrateOperations,
  place,
  readLatencies,
} from "../lag/narrate.js";
import { LATENCY_MS_MAX, type LagStoreResult, runLagStore } from "../lag/store.js";
import { REF } from "../refs.js";
import { type ClientScript, planRegisterWorkload } from "../workload.js";
import { lagOfFollower } from "./read-your-writes.js";

interface Options {
  users: number;
  operations: number;
  lagMs: number;
  crash: number;
  loss: number;
  duplicate: number;
}

const WRITER = "user-1234";
const READER = "user-2345";
const KEY = "comments-55555";

/** The story: user 1234 posts three comments on a thread; user 2345 looks at it eight times. */
const STORY: ClientScript[] = [
  {
    client: WRITER,
    operations: [0, 1, 2].map((n) => ({
      f: "write" as const,
      key: KEY,
      value: `${WRITER}:${n}`,
      thinkMs: n === 0 ? 0 : 25,
    })),
  },
  {
    client: READER,
    operations: Array.from({ length: 8 }, (_, n) => ({
      f: "read" as const,
      key: KEY,
      value: null,
      thinkMs: n === 0 ? 15 : 10,
    })),
  },
];

/** When the reader's follower is down in the story (if --crash is not 0). */
const STORY_CRASH = { atMs: 30, recoverAtMs: 70 };

const VARIANTS: { label: string; policy: RoutingPolicy }[] = [
  { label: "any follower", policy: { kind: "any-follower" } },
  {
    label: "one follower by user id, failing over to any",
    policy: { kind: "sticky", failover: "naive" },
  },
  {
    label: "one follower by user id, failing over at the user's position",
    policy: { kind: "sticky", failover: "position" },
  },
];

/** Whether a read came from a replica behind one its user had read from before (by LSN). */
function wentBack(result: LagStoreResult): Set<ReadRecord> {
  const newest = new Map<string, number>();
  const back = new Set<ReadRecord>();
  const ordered = result.reads
    .filter((r) => r.op.outcome === "ok")
    .sort((a, b) => a.op.callTime - b.op.callTime);
  for (const r of ordered) {
    const seen = newest.get(r.op.process) ?? 0;
    if ((r.appliedLsn ?? 0) < seen) back.add(r);
    newest.set(r.op.process, Math.max(seen, r.appliedLsn ?? 0));
  }
  return back;
}

/**
 * Reads that returned an older value of a key than one their user had read before (by the LSN of
 * the write each value came from): time went backwards, judged from the log, not from the history.
 */
function olderValues(result: LagStoreResult): number {
  const newest = new Map<string, number>();
  let count = 0;
  const ordered = result.reads
    .filter((r) => r.op.outcome === "ok")
    .sort((a, b) => a.op.callTime - b.op.callTime);
  for (const r of ordered) {
    const id = `${r.op.process}\u0000${r.op.key}`;
    const seen = newest.get(id) ?? 0;
    const lsn = r.valueLsn ?? 0;
    if (lsn < seen) count++;
    newest.set(id, Math.max(seen, lsn));
  }
  return count;
}

/** Reads of a key whose user had already read a value (not nil) of it: what monotonic reads judges. */
function rereads(result: LagStoreResult): number {
  const seen = new Set<string>();
  let count = 0;
  const ordered = result.reads
    .filter((r) => r.op.outcome === "ok")
    .sort((a, b) => a.op.callTime - b.op.callTime);
  for (const r of ordered) {
    const id = `${r.op.process}\u0000${r.op.key}`;
    if (seen.has(id)) count++;
    if (r.op.output !== null) seen.add(id);
  }
  return count;
}

export const monotonicReads: Scenario<Options> = {
  name: "monotonic-reads",
  networked: true,
  summary:
    "two reads hit followers with different lag and time goes backwards; fixed by reading from one replica chosen by a hash of the user id, failing over when it crashes",
  options: [
    option("--users <count>", "users in the longer random run", integer(1, 10), 4),
    option("--operations <count>", "operations per user in the longer run", integer(1, 200), 60),
    option(
      "--lag-ms <ms>",
      "how far behind follower-2 applies the log (follower-1: a tenth of it)",
      decimal(0, 5_000),
      100,
    ),
    option(
      "--crash <count>",
      "follower crashes in the longer run, each followed by a restart (0 also leaves out the story's one crash)",
      integer(0, 20),
      1,
    ),
    ...networkFaultOptions({ loss: 0, duplicate: 0 }),
  ],
  run: ({ trace, seed }, options) => {
    const lagMs = lagOfFollower(options.lagMs);
    const faults = { loss: options.loss, duplicate: options.duplicate, crash: options.crash };
    const home = murmur3_32(READER) % 2;
    trace.section("Monotonic reads", REF.monotonicReads);
    trace.note(
      `One leader, two followers, asynchronous replication: follower-1 applies the log ${lagMs(0, 0)} ms after receiving it, follower-2 ${lagMs(0, 1)} ms after; messages take 1 to ${LATENCY_MS_MAX} ms. ${WRITER} posts three comments to ${KEY}, pausing 25 ms after each; ${READER} looks at the thread eight times, pausing 10 ms after each look. A request unanswered within ${TIMEOUT_MS} ms is sent to the next replica the routing allows.`,
      { ref: REF.lag },
    );
    if (options.loss > 0 || options.duplicate > 0 || options.crash > 0)
      trace.note(
        `Faults: message loss ${options.loss}, duplication ${options.duplicate}; ${options.crash === 0 ? "no crash" : `in the story, ${READER}'s follower crashes at ${STORY_CRASH.atMs} ms and restarts at ${STORY_CRASH.recoverAtMs} ms; in the longer run, ${plural(options.crash, "follower crash", "follower crashes")} planned from the seed`}. A restarted follower keeps what it had applied, and catches up from the leader.`,
        { level: "summary" },
      );
    const storyFaults: Fault[] =
      options.crash === 0 ? [] : [{ kind: "crash", node: `follower-${home + 1}`, ...STORY_CRASH }];
    const explain = [
      "Every read goes to a follower chosen at random.",
      `Each user reads from one follower, chosen by murmur3_32 of the user id modulo 2: ${READER} reads from follower-${home + 1}. When it does not answer, the user's read goes to the next follower, whatever that one has applied.`,
      `The same, but the client remembers how far the replica it read from had applied the log, and the follower it fails over to must have applied as far (otherwise it answers that it is behind, and the leader comes last). A follower restarted after a crash is behind until it catches up, and says so too.`,
    ];
    VARIANTS.forEach(({ label, policy }, i) => {
      trace.section(`${READER}'s reads: ${label}`, REF.monotonicReads);
      trace.note(explain[i] as string);
      const run = runLagStore({
        seed,
        scripts: STORY,
        routing: policy,
        followers: 2,
        lagMs,
        ...faults,
        faultPlan: storyFaults,
        // --verbose and --json show the story's messages (the trace keeps them only then).
        trace: trace.messages ? trace : undefined,
      });
      const crashes = describeCrashes(run);
      if (crashes !== undefined) trace.note(crashes);
      const newest = new Map<string, { lsn: number; at: number }>();
      narrateOperations(trace, run, [WRITER, READER], (r) => {
        if (r.op.outcome !== "ok" || r.op.process !== READER) return "";
        const before = newest.get(r.op.key);
        const lsn = r.valueLsn ?? 0;
        if (before === undefined || lsn >= before.lsn) {
          newest.set(r.op.key, { lsn, at: r.op.callTime });
          return "";
        }
        return ` (older than what ${READER} read at ${before.at.toFixed(1)} ms, the write at LSN ${before.lsn}: time went backwards)`;
      });
      narrateVerdict(trace, run);
    });

    const scripts = planRegisterWorkload(new Random(seed).fork("workload"), {
      clients: options.users,
      operations: options.operations,
      keys: 3,
      writeRatio: 0.3,
      thinkMsMax: 30,
    });
    const runs = VARIANTS.map(({ label, policy }) => {
      const result = runLagStore({
        seed,
        scripts,
        routing: policy,
        followers: 2,
        lagMs,
        ...faults,
      });
      return { label, result, verdict: classify(result.history, { place }) };
    });
    const convicted = (v: (typeof runs)[number]["verdict"]) =>
      v.violations.filter((x) => x.model === "monotonic-reads").length;
    const rows: Cell[][] = runs.map(({ label, result, verdict }) => {
      const reads = result.reads.length;
      return [
        label,
        `${result.reads.filter((r) => r.op.outcome === "ok").length} of ${reads}`,
        result.reads.filter((r) => r.timeouts > 0).length,
        wentBack(result).size,
        convicted(verdict),
        reads === 0 ? "n/a" : (result.reads.reduce((s, r) => s + r.attempts, 0) / reads).toFixed(2),
        latency(readLatencies(result), 50),
        latency(readLatencies(result), 99),
      ];
    });
    const crashes = describeCrashes(runs[0]?.result as LagStoreResult);
    trace.table(
      `${plural(options.users, "user")}, ${plural(options.operations, "operation")} each on three keys, same seed and faults for every routing`,
      [
        "reads go to",
        "reads answered",
        "sent again after a timeout",
        "from a replica behind an earlier one",
        "users the checker convicts",
        "requests per read",
        "latency p50",
        "latency p99",
      ],
      rows,
      `From a replica behind an earlier one: reads served by a replica that had applied less of the log than one the same user had read from before (judged from the replicas' LSNs; the value read is older only if its key was written between the two positions). Users the checker convicts: sessions in which the consistency checker found a monotonic-reads violation from the history alone.${crashes === undefined ? "" : ` Crashes: ${crashes}`}`,
    );
    const noLoss = options.loss === 0;
    runs.forEach(({ label, result, verdict }, i) => {
      const subject = rereads(result);
      const n = convicted(verdict);
      // Judged two ways: by the log (a value older than one the user had read of the key), and by
      // the checker from the history alone, which cannot order two users' writes the reader never
      // saw related, and so convicts only some of those reads.
      const older = olderValues(result);
      const checker = verdict.models["monotonic-reads"];
      checkGuarantee(trace, `reads from ${label}: monotonic reads`, older > 0 ? false : checker, {
        subject,
        subjectText: `${plural(subject, "read")} of a key the user had read a value of`,
        nothing:
          "no user read a key again after reading a value of it, so there was nothing to judge",
        expected: i === 0 ? false : i === 1 ? options.crash === 0 && noLoss : true,
        detail: `${older === 0 ? "none" : older} older than a value the user had read (by LSN); ${n === 0 ? "no user convicted" : `${plural(n, "user")} convicted`} by the checker${i === 1 && !(options.crash === 0 && noLoss) ? `; not guaranteed here: ${options.crash > 0 ? "a crash" : "a lost message"} sends a user's reads to the other follower, and then back to its own, and either may be behind what the user read` : ""}`,
        ref: REF.monotonicReads,
      });
    });
    const sticky = runs[2] as (typeof runs)[number];
    const failed = sticky.result.reads.filter((r) => r.op.outcome !== "ok").length;
    const answered =
      "one follower by user id, failing over at the user's position: every read is answered";
    // The subject is a read that had to fail over: with message loss one can without a crash.
    const retried = sticky.result.reads.filter((r) => r.timeouts > 0).length;
    if (retried === 0)
      trace.notExercised(
        answered,
        sticky.result.faults.length === 0
          ? "no follower crashed and no read timed out, so no read had to fail over"
          : "no read timed out, so no read had to fail over",
        { ref: REF.monotonicReads },
      );
    else
      trace.check(answered, failed === 0, {
        expected: noLoss,
        ref: REF.monotonicReads,
        detail: `${failed === 0 ? `${plural(sticky.result.reads.length, "read")}, all answered` : `${failed} of ${plural(sticky.result.reads.length, "read")} unanswered`}; ${plural(sticky.result.reads.filter((r) => r.timeouts > 0).length, "read")} sent again after a timeout${noLoss ? "" : "; with message loss a read can run out of attempts"}`,
      });
  },
};

/** The checker's verdict on one story: its own sentence for a violation. */
function narrateVerdict(trace: Trace, run: LagStoreResult): void {
  const v = firstViolation(classify(run.history, { place }).violations, "monotonic-reads");
  trace.history(
    "monotonic reads, by the consistency checker",
    historyOperations(run.history),
    v?.ops.map((op) => op.id),
  );
  const older = olderValues(run);
  trace.note(
    v !== undefined
      ? `The consistency checker, from the history alone: ${v.message}.`
      : older === 0
        ? "No read returned a value older than one its user had read, and the consistency checker finds no monotonic-reads violation in this history."
        : `${plural(older, "read")} returned a value older than one its user had read, yet the consistency checker finds no monotonic-reads violation in this history: it judges only what the values read show.`,
    { level: "summary", ref: REF.monotonicReads },
  );
}
