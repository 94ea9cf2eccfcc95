/**
 * Reading your own writes (DDIA ch. 5, "Problems with Replication Lag: Reading Your Own Writes",
 * figure 5-3): a user writes to the leader and then reads from a follower that has not applied the
 * write yet, and the write seems lost. Then the book's two fixes, on the same story and seed: read
 * from the leader for a while after writing, or remember the write's LSN and read only from a
 * replica that has applied that far. The consistency checker judges each history; a longer random
 * run counts what each fix costs.
 */

import { classify } from "../../shared/check/consistency.js";
import { decimal, integer, networkFaultOptions, option, type Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import { historyOperations } from "../../shared/render/diagram/model.js";
import type { Cell, Trace } from "../../shared/trace.js";
import { plural } from "../../shared/words.js";
import type { ReadRecord, RoutingPolicy } from "../lag/client.js";
import {
  checkGuarantee,
  firstViolation,
  latency,
  narrateOperations,
  place,
  readLatencies,
} from "../lag/narrate.js";
import { LATENCY_MS_MAX, LATENCY_MS_MIN, type LagStoreResult, runLagStore } from "../lag/store.js";
import { REF } from "../refs.js";
import { type ClientScript, planRegisterWorkload } from "../workload.js";

interface Options {
  users: number;
  operations: number;
  lagMs: number;
  recentMs: number;
  loss: number;
  duplicate: number;
}

const USER = "user-1234";
const KEY = "profile-1234";

/** The story: user 1234 edits their profile three times, each time looking at it straight after. */
const STORY: ClientScript[] = [
  {
    client: USER,
    operations: [0, 1, 2].flatMap((n) => [
      { f: "write" as const, key: KEY, value: `${USER}:${n}`, thinkMs: n === 0 ? 0 : 40 },
      { f: "read" as const, key: KEY, value: null, thinkMs: 5 },
    ]),
  },
];

/** follower-1 is close behind the leader; follower-2 lags by the whole --lag-ms. */
export const lagOfFollower = (lagMs: number) => (_partition: number, follower: number) =>
  follower === 0 ? lagMs / 10 : lagMs;

function variants(recentMs: number): { label: string; policy: RoutingPolicy }[] {
  return [
    { label: "any follower", policy: { kind: "any-follower" } },
    {
      label: `the leader for ${recentMs} ms after a write`,
      policy: { kind: "leader-after-write", recentMs },
    },
    { label: "a replica at the last write's LSN", policy: { kind: "position-after-write" } },
  ];
}

const writesByUser = new WeakMap<LagStoreResult, Map<string, LagStoreResult["writes"]>>();

/** The LSN of the user's latest write to the read's key acknowledged before the read was sent. */
function ownWriteLsn(result: LagStoreResult, read: ReadRecord): number {
  let byUser = writesByUser.get(result);
  if (byUser === undefined) {
    byUser = new Map();
    for (const w of result.writes) {
      const list = byUser.get(w.op.process) ?? [];
      list.push(w);
      byUser.set(w.op.process, list);
    }
    writesByUser.set(result, byUser);
  }
  let lsn = 0;
  for (const w of byUser.get(read.op.process) ?? [])
    if (w.lsn !== undefined && w.op.key === read.op.key && w.op.returnTime <= read.op.callTime)
      lsn = Math.max(lsn, w.lsn);
  return lsn;
}

/** Reads that completed and came after an acknowledged write of their user to the same key. */
const afterOwnWrite = (result: LagStoreResult) =>
  result.reads.filter((r) => r.op.outcome === "ok" && ownWriteLsn(result, r) > 0);

/** Of those, the reads served by a replica that had not applied that write. */
const missedOwnWrite = (result: LagStoreResult) =>
  afterOwnWrite(result).filter((r) => (r.appliedLsn ?? 0) < ownWriteLsn(result, r));

export const readYourWrites: Scenario<Options> = {
  name: "read-your-writes",
  networked: true,
  summary:
    "a user writes to the leader and reads a lagging follower: the write seems lost; fixed by reading from the leader after a write, or from a replica at the write's LSN",
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
      "--recent-ms <ms>",
      "after a write, how long the user's reads go to the leader (the first fix)",
      decimal(0, 10_000),
      150,
    ),
    ...networkFaultOptions({ loss: 0, duplicate: 0 }),
  ],
  run: ({ trace, seed }, options) => {
    const lagMs = lagOfFollower(options.lagMs);
    trace.section("Reading your own writes", REF.readYourWrites);
    trace.note(
      `One leader, two followers, asynchronous replication: the leader acknowledges a write as soon as it has appended it to its log, and ships the log to the followers, which apply it later: follower-1 ${lagMs(0, 0)} ms after receiving it, follower-2 ${lagMs(0, 1)} ms after. Network messages take ${LATENCY_MS_MIN} to ${LATENCY_MS_MAX} ms. ${USER} edits ${KEY} three times and looks at it 5 ms after each edit returns.`,
      { ref: REF.lag },
    );
    const faults = { loss: options.loss, duplicate: options.duplicate };
    if (faults.loss > 0 || faults.duplicate > 0)
      trace.note(`Faults: message loss ${faults.loss}, duplication ${faults.duplicate}.`, {
        level: "summary",
      });
    const kinds = variants(options.recentMs);
    const story = (policy: RoutingPolicy) =>
      runLagStore({
        seed,
        scripts: STORY,
        routing: policy,
        followers: 2,
        lagMs,
        ...faults,
        // --verbose and --json show the story's messages (the trace keeps them only then).
        trace: trace.messages ? trace : undefined,
      });
    const explain = [
      "Every read goes to a follower chosen at random.",
      `First fix: for ${options.recentMs} ms after the user last sent a write, every read goes to the leader; later reads go to any follower (the book's example: "for one minute after the last update, make all reads from the leader").`,
      `Second fix: the client remembers the LSN of its last write and asks for a replica that has applied the log at least that far; a follower that has not answers that it is behind, and the client asks the other, then the leader (the book: "The client can remember the timestamp of its most recent write"; the timestamp "could be a logical timestamp", such as the log sequence number used here).`,
    ];
    kinds.forEach(({ label, policy }, i) => {
      trace.section(`${USER}'s reads: ${label}`, REF.readYourWrites);
      trace.note(explain[i] as string);
      const run = story(policy);
      narrateOperations(trace, run, [USER], (r) => {
        const own = ownWriteLsn(run, r);
        return r.op.outcome === "ok" && own > 0 && (r.appliedLsn ?? 0) < own
          ? ` (its own write at LSN ${own} is missing)`
          : "";
      });
      narrateVerdict(trace, run);
    });

    // The longer run: the shared register workload, every user reading and writing three keys.
    const scripts = planRegisterWorkload(new Random(seed).fork("workload"), {
      clients: options.users,
      operations: options.operations,
      keys: 3,
      writeRatio: 0.5,
      thinkMsMax: 30,
    });
    const runs = kinds.map(({ label, policy }) => {
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
    const rows: Cell[][] = runs.map(({ label, result, verdict }) => {
      const reads = result.reads.length;
      const answered = result.reads.filter((r) => r.op.outcome === "ok");
      return [
        label,
        `${answered.length} of ${reads}`,
        answered.filter((r) => r.fromLeader).length,
        `${missedOwnWrite(result).length} of ${afterOwnWrite(result).length}`,
        verdict.violations.filter((v) => v.model === "read-your-writes").length,
        reads === 0 ? "n/a" : (result.reads.reduce((s, r) => s + r.attempts, 0) / reads).toFixed(2),
        latency(readLatencies(result), 50),
        latency(readLatencies(result), 99),
      ];
    });
    trace.table(
      `${plural(options.users, "user")}, ${plural(options.operations, "operation")} each on three keys, same seed for every routing`,
      [
        "reads go to",
        "reads answered",
        "by the leader",
        "missed the user's own write",
        "users the checker convicts",
        "requests per read",
        "latency p50",
        "latency p99",
      ],
      rows,
      "Missed the user's own write: of the reads that came after an acknowledged write of their user to the same key, those served by a replica that had not applied that write (judged from the replica's LSN). Users the checker convicts: sessions in which the consistency checker found a read-your-writes violation from the history alone. The first fix moves reads to the leader; the second may send a read again (a follower that is behind says so) and pay the latency of asking again.",
    );
    const window = options.recentMs;
    // Without loss, follower-2 has applied a write at most its lag plus two network delays (to the
    // leader, then to the follower) after the user sent it; a read sent once the window has closed
    // reaches a follower at least one network delay after that.
    const bound = options.lagMs + 2 * LATENCY_MS_MAX;
    const windowSafe = options.loss === 0 && window + LATENCY_MS_MIN >= bound;
    runs.forEach(({ label, result, verdict }, i) => {
      const subject = afterOwnWrite(result).length;
      const convicted = verdict.violations.filter((v) => v.model === "read-your-writes").length;
      // Judged two ways: by the replicas' LSNs (a read served without the user's own write), and by
      // the checker from the history alone, which sees only what the values read show (a value of
      // another user's write that the user never saw is not older than its own in the history).
      const missed = missedOwnWrite(result).length;
      const checker = verdict.models["read-your-writes"];
      const held = missed > 0 ? false : checker;
      const outcome = `${missed === 0 ? "none" : missed} served without it (by LSN); ${convicted === 0 ? "no user convicted" : `${plural(convicted, "user")} convicted`} by the checker`;
      checkGuarantee(trace, `reads from ${label}: read-your-writes`, held, {
        subject,
        subjectText: `${plural(subject, "read")} after the user's own write to the key`,
        nothing:
          "no read completed after an acknowledged write of its own user to the same key, so there was nothing to judge",
        expected: i === 0 ? false : i === 1 ? windowSafe : true,
        detail:
          i === 1 && !windowSafe
            ? `${outcome}; this fix is not guaranteed here: ${options.loss > 0 ? "with message loss the write, or the leader's shipping of it, may have to be sent again and again, and a follower can stay behind it for any time" : `follower-2 may apply a write up to ${bound} ms after the user sent it (its lag plus two network delays), and a read sent after the window (${window} ms) has closed can reach it sooner`}`
            : outcome,
        ref: REF.readYourWrites,
      });
    });
  },
};

/** The checker's verdict on one story: its own sentence for a violation. */
function narrateVerdict(trace: Trace, run: LagStoreResult): void {
  const verdict = classify(run.history, { place });
  const v = firstViolation(verdict.violations, "read-your-writes");
  trace.history(
    "read-your-writes, by the consistency checker",
    historyOperations(run.history),
    v?.ops.map((op) => op.id),
  );
  const missed = missedOwnWrite(run).length;
  if (v !== undefined)
    trace.note(`The consistency checker, from the history alone: ${v.message}.`, {
      level: "summary",
      ref: REF.readYourWrites,
    });
  else
    trace.note(
      missed === 0
        ? "No read missed the user's own write, and the consistency checker finds no read-your-writes violation in this history."
        : `${plural(missed, "read")} missed the user's own write, yet the consistency checker finds no read-your-writes violation in this history: it judges only what the values read show.`,
      { level: "summary", ref: REF.readYourWrites },
    );
}
