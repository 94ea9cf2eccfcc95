/**
 * What the three replication-lag scenarios share when they tell a run: operations as sentences,
 * the checker's verdict on one session guarantee as a check, and the cost of a routing policy.
 * Everything is read from the run's records (what each replica answered, at which position), so
 * a sentence says only what happened at these flags.
 */

import type { ConsistencyModel, Violation } from "../../shared/check/consistency.js";
import type { CheckedOp } from "../../shared/check/linearizability.js";
import { percentile } from "../../shared/stats.js";
import type { BookRef, Trace } from "../../shared/trace.js";
import { plural } from "../../shared/words.js";
import { TIMEOUT_MS } from "./client.js";
import type { LagStoreResult } from "./store.js";

/** Where an operation is, in the checker's sentences: its time, not a file line. */
export const place = (op: CheckedOp): string => `at ${op.callTime.toFixed(1)} ms`;

const t = (ms: number) => `${ms.toFixed(1)} ms`;

/** "the leader" with one partition; "p2-leader" with several. */
function leaderName(result: LagStoreResult, partition: number): string {
  const name = result.replicas[partition]?.leader ?? "leader";
  return name === "leader" ? "the leader" : name;
}

/** The crashes of a run, in one sentence, or undefined. */
export function describeCrashes(result: LagStoreResult): string | undefined {
  const crashes = result.faults.flatMap((f) =>
    f.kind === "crash"
      ? [`${f.node} crashes at ${t(f.atMs)} and restarts at ${t(f.recoverAtMs)}`]
      : [],
  );
  return crashes.length === 0 ? undefined : `${crashes.join("; ")}.`;
}

/**
 * Narrate each operation of `clients` in the run, in time order: writes with their LSN, reads with
 * the replica that answered and how far it had applied the log. `remark` may add a clause to a
 * read (why it is an anomaly, or how the fix routed it).
 */
export function narrateOperations(
  trace: Trace,
  result: LagStoreResult,
  clients: readonly string[],
  remark: (read: LagStoreResult["reads"][number]) => string = () => "",
): void {
  const events: { atMs: number; node: string; text: string }[] = [];
  for (const w of result.writes) {
    if (!clients.includes(w.op.process)) continue;
    const what = `writes ${w.op.key} = ${w.op.input}`;
    events.push({
      atMs: w.op.callTime,
      node: w.op.process,
      text:
        w.lsn === undefined
          ? `${what}: no acknowledgement after ${plural(w.attempts, "attempt")}, so whether it happened is unknown`
          : `${what}: ${leaderName(result, w.partition)} appends it at LSN ${w.lsn} and acknowledges it at ${t(w.op.returnTime)}`,
    });
  }
  for (const r of result.reads) {
    if (!clients.includes(r.op.process)) continue;
    const asked = r.minLsn > 0 ? ` (at LSN ${r.minLsn} or later)` : "";
    const detours = [
      ...(r.behind > 0 ? [`${plural(r.behind, "replica")} behind that position`] : []),
      ...(r.timeouts > 0
        ? [`${plural(r.timeouts, "request")} unanswered within ${TIMEOUT_MS} ms`]
        : []),
    ];
    const before =
      detours.length === 0
        ? ""
        : ` (answered at ${t(r.op.returnTime)}, after ${detours.join(" and ")})`;
    const from = r.replica === "leader" ? "the leader" : r.replica;
    events.push({
      atMs: r.op.callTime,
      node: r.op.process,
      text:
        r.op.outcome === "ok"
          ? `reads ${r.op.key}${asked} from ${from}, which had applied the log up to LSN ${r.appliedLsn}${before}: ${r.op.output ?? "nil"}${remark(r)}`
          : `reads ${r.op.key}${asked}: no answer after ${plural(r.attempts, "request")}`,
    });
  }
  events.sort((a, b) => a.atMs - b.atMs);
  for (const e of events) trace.note(e.text, { time: e.atMs, node: e.node });
}

/** The checker's first violation of `model` in its own words, or undefined. */
export function firstViolation(
  violations: readonly Violation[],
  model: ConsistencyModel,
): Violation | undefined {
  return violations.find((v) => v.model === model);
}

/** "12.3 ms" for the p-th percentile of read latencies; "n/a" with none. */
export function latency(values: readonly number[], p: number): string {
  return values.length === 0 ? "n/a" : t(percentile([...values], p));
}

/** Latencies of the reads that completed. */
export function readLatencies(result: LagStoreResult): number[] {
  return result.reads
    .filter((r) => r.op.outcome === "ok")
    .map((r) => r.op.returnTime - r.op.callTime);
}

/**
 * One session guarantee judged by the checker on one history, as a check: not exercised when the
 * run had nothing for it to judge (`subject` is 0), with `why` saying what that means.
 */
export function checkGuarantee(
  trace: Trace,
  name: string,
  verdict: boolean | null,
  options: {
    subject: number;
    subjectText: string;
    nothing: string;
    expected: boolean;
    detail: string;
    ref: BookRef;
  },
): void {
  if (options.subject === 0) {
    trace.notExercised(name, options.nothing, { ref: options.ref });
    return;
  }
  if (verdict === null) {
    trace.note(
      `The checker could not decide ${name} within its step budget; no verdict is claimed.`,
      { level: "summary", ref: options.ref },
    );
    return;
  }
  trace.check(name, verdict, {
    expected: options.expected,
    ref: options.ref,
    detail: `${options.subjectText}; ${options.detail}`,
  });
}
