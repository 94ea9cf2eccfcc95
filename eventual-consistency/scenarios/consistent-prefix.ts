/**
 * Consistent prefix reads (DDIA ch. 5, "Problems with Replication Lag: Consistent Prefix Reads",
 * figure 5-5): Mr. Poons asks a question, Mrs. Cake reads it and answers, and the two messages are
 * stored on two partitions, each with its own leader and followers. Partition 1 replicates slowly,
 * so an observer reading from followers sees the answer before the question. The book's two
 * fixes, on the same story and seed: put causally related writes on one partition, or keep track
 * of causal dependencies ("The 'happens-before' relationship and concurrency"): Mrs. Cake's answer
 * carries the position of the question she read, and a reader that has seen the answer reads the
 * question only from a replica at that position.
 *
 * The checker names this anomaly writes-follow-reads (Terry et al. 1994): Mrs. Cake's write follows
 * her read of the question, so whoever reads her answer must see the question too.
 */

import { type Classification, classify } from "../../shared/check/consistency.js";
import { decimal, integer, networkFaultOptions, option, type Scenario } from "../../shared/cli.js";
import { murmur3_32 } from "../../shared/hash.js";
import { historyOperations } from "../../shared/render/diagram/model.js";
import type { Cell, Trace } from "../../shared/trace.js";
import { plural } from "../../shared/words.js";
import type { RoutingPolicy } from "../lag/client.js";
import {
  checkGuarantee,
  firstViolation,
  latency,
  narrateOperations,
  place,
  readLatencies,
} from "../lag/narrate.js";
import { LATENCY_MS_MAX, type LagStoreResult, runLagStore } from "../lag/store.js";
import { REF } from "../refs.js";
import type { ClientScript, PlannedOperation } from "../workload.js";

interface Options {
  conversations: number;
  observers: number;
  lagMs: number;
  loss: number;
  duplicate: number;
}

const POONS = "mr-poons";
const CAKE = "mrs-cake";
const OBSERVER = "observer";
const CONVERSATION = "conversation-1";
const QUESTION = `${CONVERSATION}/question`;
const ANSWER = `${CONVERSATION}/answer`;

const write = (key: string, value: string, thinkMs: number): PlannedOperation => ({
  f: "write",
  key,
  value,
  thinkMs,
});
const read = (key: string, thinkMs: number): PlannedOperation => ({
  f: "read",
  key,
  value: null,
  thinkMs,
});

/** Figure 5-5: the question, the answer 15 ms later, an observer reading both twice. */
export const STORY: ClientScript[] = [
  { client: POONS, operations: [write(QUESTION, `${POONS}:0`, 0)] },
  { client: CAKE, operations: [read(QUESTION, 15), write(ANSWER, `${CAKE}:0`, 2)] },
  {
    client: OBSERVER,
    operations: [read(ANSWER, 35), read(QUESTION, 2), read(ANSWER, 30), read(QUESTION, 2)],
  },
];

const FOLLOW_UP = `${CONVERSATION}/follow-up`;

/**
 * Monotonic writes: Mr. Poons asks, then adds a follow-up 5 ms later; the observer reads the
 * follow-up, then the question.
 */
export const FOLLOW_UP_STORY: ClientScript[] = [
  {
    client: POONS,
    operations: [write(QUESTION, `${POONS}:0`, 0), write(FOLLOW_UP, `${POONS}:1`, 5)],
  },
  { client: OBSERVER, operations: [read(FOLLOW_UP, 40), read(QUESTION, 2)] },
];

/** Each message on the partition of its own key, or on the partition of its conversation. */
const byKey = (key: string) => murmur3_32(key) % 2;
const byConversation = (key: string) => murmur3_32(key.split("/")[0] as string) % 2;

/** Partition 1's followers apply the log --lag-ms late; partition 2's a tenth of that. */
const lagOf = (lagMs: number) => (partition: number) => (partition === 0 ? lagMs : lagMs / 10);

export interface Variant {
  label: string;
  partitionOf: (key: string) => number;
  /** How the people who ask and answer read and write (from the leader), and how observers read. */
  writer: RoutingPolicy;
  observer: RoutingPolicy;
}

const STICKY: RoutingPolicy = { kind: "sticky", failover: "position" };

export const VARIANTS: Variant[] = [
  {
    label: "partitioned by message",
    partitionOf: byKey,
    writer: { kind: "leader" },
    observer: STICKY,
  },
  {
    label: "partitioned by conversation",
    partitionOf: byConversation,
    writer: { kind: "leader" },
    observer: STICKY,
  },
  {
    label: "partitioned by message, dependencies carried",
    partitionOf: byKey,
    writer: { kind: "leader", dependencies: true },
    observer: { kind: "causal" },
  },
];

const isObserver = (client: string) => client.startsWith("observer");

export function run(
  seed: number,
  scripts: ClientScript[],
  variant: Variant,
  options: Options,
  trace?: Trace,
) {
  return runLagStore({
    seed,
    scripts,
    routing: (client) => (isObserver(client) ? variant.observer : variant.writer),
    partitions: 2,
    partitionOf: variant.partitionOf,
    followers: 2,
    lagMs: lagOf(options.lagMs),
    loss: options.loss,
    duplicate: options.duplicate,
    // --verbose and --json show the stories' messages (the trace keeps them only then).
    trace: trace?.messages ? trace : undefined,
  });
}

/** Gap between the starts of two conversations in the longer run. */
const GAP_MS = 40;

/**
 * The longer run: in conversation i, asker-i asks, answerer-i reads the question from the leader
 * and answers, and every observer reads the answer and then the question.
 */
export function conversations(count: number, observers: number): ClientScript[] {
  const scripts: ClientScript[] = [];
  for (let i = 0; i < count; i++) {
    const c = `conversation-${i + 1}`;
    scripts.push({
      client: `asker-${i + 1}`,
      operations: [write(`${c}/question`, `asker-${i + 1}:0`, i * GAP_MS)],
    });
    scripts.push({
      client: `answerer-${i + 1}`,
      operations: [
        read(`${c}/question`, i * GAP_MS + 15),
        write(`${c}/answer`, `answerer-${i + 1}:0`, 2),
      ],
    });
  }
  for (let j = 0; j < observers; j++)
    scripts.push({
      client: `observer-${j + 1}`,
      operations: Array.from({ length: count }, (_, i) => [
        read(`conversation-${i + 1}/answer`, i === 0 ? 35 + 3 * j : GAP_MS - 22),
        read(`conversation-${i + 1}/question`, 2),
      ]).flat(),
    });
  return scripts;
}

/**
 * Observers' pairs of reads: an answer that returned a value, then its question; how many of those
 * found no question, and how many of those had an answer whose writer had read the question first
 * (the answer causally after the question: judged from who read what, not by the checker).
 */
function pairs(result: LagStoreResult): {
  answerSeen: number;
  questionMissing: number;
  causalMissing: number;
} {
  let answerSeen = 0;
  let questionMissing = 0;
  let causalMissing = 0;
  const sawQuestion = (answerKey: string) => {
    const writer = result.writes.find((w) => w.op.key === answerKey)?.op;
    const questionKey = answerKey.replace(/\/answer$/, "/question");
    return (
      writer !== undefined &&
      result.reads.some(
        (r) =>
          r.op.process === writer.process &&
          r.op.key === questionKey &&
          r.op.outcome === "ok" &&
          r.op.output !== null &&
          r.op.returnTime <= writer.callTime,
      )
    );
  };
  const byObserver = new Map<string, typeof result.reads>();
  for (const r of result.reads)
    if (isObserver(r.op.process))
      byObserver.set(r.op.process, [...(byObserver.get(r.op.process) ?? []), r]);
  for (const reads of byObserver.values())
    for (let i = 0; i + 1 < reads.length; i++) {
      const a = reads[i] as (typeof reads)[number];
      const q = reads[i + 1] as (typeof reads)[number];
      if (!a.op.key.endsWith("/answer") || !q.op.key.endsWith("/question")) continue;
      if (a.op.outcome !== "ok" || a.op.output === null || q.op.outcome !== "ok") continue;
      answerSeen++;
      if (q.op.output === null) {
        questionMissing++;
        if (sawQuestion(a.op.key)) causalMissing++;
      }
    }
  return { answerSeen, questionMissing, causalMissing };
}

const convicted = (verdict: Classification) =>
  verdict.violations.filter((v) => v.model === "writes-follow-reads").length;

export const consistentPrefix: Scenario<Options> = {
  name: "consistent-prefix",
  networked: true,
  summary:
    "Mr. Poons's question and Mrs. Cake's answer on two partitions: an observer sees the answer first; fixed by one partition per conversation, or by carrying causal dependencies",
  options: [
    option("--conversations <count>", "conversations in the longer run", integer(1, 100), 20),
    option("--observers <count>", "observers in the longer run", integer(1, 5), 3),
    option(
      "--lag-ms <ms>",
      "how far behind partition 1's followers apply its log (partition 2's: a tenth of it)",
      decimal(0, 5_000),
      100,
    ),
    ...networkFaultOptions({ loss: 0, duplicate: 0 }),
  ],
  run: ({ trace, seed }, options) => {
    const lag = lagOf(options.lagMs);
    trace.section("Consistent prefix reads", REF.consistentPrefix);
    trace.note(
      `Two partitions, each with a leader and two followers, each replicating asynchronously: partition 1's followers apply its log ${lag(0)} ms after receiving it, partition 2's ${lag(1)} ms after; messages take 1 to ${LATENCY_MS_MAX} ms. ${POONS} writes the question to ${QUESTION}; 15 ms later ${CAKE} reads it from its leader and answers in ${ANSWER}; from 35 ms the observer reads the answer, then the question, twice. The observer reads each partition from one follower (murmur3_32 of its name), failing over only to a replica at the position it has read there, so its reads of each partition are monotonic.`,
      { ref: REF.lag },
    );
    if (options.loss > 0 || options.duplicate > 0)
      trace.note(`Faults: message loss ${options.loss}, duplication ${options.duplicate}.`, {
        level: "summary",
      });
    const explain = [
      `Each message is stored on the partition of its own key (murmur3_32 of the key modulo 2): the question on partition ${byKey(QUESTION) + 1}, the answer on partition ${byKey(ANSWER) + 1}. The partitions replicate independently: no order holds between them.`,
      `Causally related writes on one partition: each message on the partition of its conversation (murmur3_32 of "${CONVERSATION}" modulo 2: partition ${byConversation(QUESTION) + 1}). One log orders the two messages as its leader received them, and a replica that has applied one has applied everything before it.`,
      `Each message on the partition of its own key again, but ${CAKE}'s session tracks what it read, and her answer carries it: the question's partition and LSN, if she saw the question. A reader that has seen the answer then reads the question's partition only from a replica that has applied that far (a follower behind it says so; the leader comes last).`,
    ];
    VARIANTS.forEach((variant, i) => {
      trace.section(`The conversation, ${variant.label}`, REF.consistentPrefix);
      trace.note(explain[i] as string);
      const story = run(seed, STORY, variant, options, trace);
      narrateOperations(trace, story, [POONS, CAKE, OBSERVER], (r) =>
        r.op.process === OBSERVER &&
        r.op.key === QUESTION &&
        r.op.outcome === "ok" &&
        r.op.output === null &&
        story.reads.some(
          (a) =>
            a.op.process === OBSERVER &&
            a.op.key === ANSWER &&
            a.op.output !== null &&
            a.op.callTime < r.op.callTime,
        )
          ? " (the observer has seen the answer, but not the question)"
          : "",
      );
      narrateVerdict(trace, story);
    });

    trace.section(`Mr. Poons's two messages: monotonic writes`, REF.consistentPrefix);
    trace.note(
      `The same pattern with one writer: ${POONS} asks, then 5 ms after the question's write returns adds ${FOLLOW_UP} (partition ${byKey(FOLLOW_UP) + 1} by message); from 40 ms the observer reads the follow-up, then the question. The book's consistent prefix guarantee: "if a sequence of writes happens in a certain order, then anyone reading those writes will see them appear in the same order". An observer that sees the follow-up and then no question breaks it, and the checker calls that a monotonic-writes violation. In the third variant ${POONS}'s follow-up carries the position of his question once its write is acknowledged, as ${CAKE}'s answer carries that of the question she read.`,
    );
    VARIANTS.forEach((variant, i) => {
      const story = run(seed, FOLLOW_UP_STORY, variant, options, trace);
      trace.note(`${variant.label}:`, { level: "summary" });
      narrateOperations(trace, story, i === 0 ? [POONS, OBSERVER] : [OBSERVER]);
      const v = firstViolation(classify(story.history, { place }).violations, "monotonic-writes");
      trace.note(
        v === undefined
          ? "The consistency checker finds no monotonic-writes violation in this history."
          : `The consistency checker, from the history alone: ${v.message}.`,
        { level: "summary", ref: REF.consistentPrefix },
      );
    });

    const scripts = conversations(options.conversations, options.observers);
    const runs = VARIANTS.map((variant) => {
      const result = run(seed, scripts, variant, options);
      return { variant, result, verdict: classify(result.history, { place }) };
    });
    const rows: Cell[][] = runs.map(({ variant, result, verdict }) => {
      const observed = result.reads.filter((r) => isObserver(r.op.process));
      const { answerSeen, questionMissing } = pairs(result);
      return [
        variant.label,
        answerSeen,
        questionMissing,
        convicted(verdict),
        verdict.models.causal === null ? "undecided" : verdict.models.causal ? "yes" : "no",
        observed.filter((r) => r.fromLeader).length,
        observed.length === 0
          ? "n/a"
          : (observed.reduce((s, r) => s + r.attempts, 0) / observed.length).toFixed(2),
        latency(readLatencies({ ...result, reads: observed }), 50),
        latency(readLatencies({ ...result, reads: observed }), 99),
      ];
    });
    trace.table(
      `${plural(options.conversations, "conversation")} ${GAP_MS} ms apart, ${plural(options.observers, "observer")}, same seed for every variant`,
      [
        "",
        "answers read",
        "then no question",
        "observers the checker convicts",
        "causal",
        "observer reads by a leader",
        "requests per read",
        "latency p50",
        "latency p99",
      ],
      rows,
      "Answers read: an observer read an answer and then read its question. Then no question: the question read returned nil, the answer seen before the question. Observers the checker convicts: sessions with a writes-follow-reads violation, from the history alone; causal: whether the whole history is causally consistent (causal memory). The columns after it are the observers' reads: what the fixes cost.",
    );
    runs.forEach(({ variant, result, verdict }, i) => {
      const { answerSeen, causalMissing } = pairs(result);
      const n = convicted(verdict);
      // Judged two ways: from who read what (an answer whose writer had read the question, then no
      // question), and by the checker's writes-follow-reads from the history alone.
      const checker = verdict.models["writes-follow-reads"];
      checkGuarantee(
        trace,
        `${variant.label}: consistent prefix reads`,
        causalMissing > 0 ? false : checker,
        {
          subject: answerSeen,
          subjectText: `${plural(answerSeen, "answer")} read, then ${answerSeen === 1 ? "its question" : "their questions"}`,
          nothing:
            "no observer read an answer and then its question, so there was nothing to judge",
          expected: i !== 0,
          detail: `${causalMissing === 0 ? "no answer" : plural(causalMissing, "answer")} seen without the question ${causalMissing > 1 ? "their" : "its"} writer had read; ${n === 0 ? "no observer convicted" : `${plural(n, "observer")} convicted`} by the checker`,
          ref: REF.consistentPrefix,
        },
      );
    });
  },
};

/** The checker's verdict on one story: its own sentences. */
function narrateVerdict(trace: Trace, story: LagStoreResult): void {
  const verdict = classify(story.history, { place });
  const v = firstViolation(verdict.violations, "writes-follow-reads");
  const causal = firstViolation(verdict.violations, "causal");
  trace.history(
    "writes-follow-reads, by the consistency checker",
    historyOperations(story.history),
    v?.ops.map((op) => op.id),
  );
  trace.note(
    v !== undefined
      ? `The consistency checker, from the history alone: ${v.message}.${causal === undefined ? "" : ` Nor is the history causal: ${causal.message}.`}`
      : `The consistency checker finds no writes-follow-reads violation in this history${verdict.models.causal === true ? ", and finds it causal (causal memory: each process's reads are explained by an order of every write and its own operations that respects causality)" : ""}.`,
    { level: "summary", ref: REF.consistentPrefix },
  );
}
