/**
 * Operation histories, recorded the way Jepsen records them: a client `invoke`s an operation and
 * later learns its outcome, `ok` (it happened), `fail` (it certainly did not happen) or `info`
 * (unknown: it may have happened, or may yet happen). Checkers read histories and never ask the
 * system under test what it believes about itself.
 */

export type Outcome = "ok" | "fail" | "info";

export interface HistoryEntry<V> {
  /** The operation this entry belongs to. */
  op: number;
  type: "invoke" | Outcome;
  process: string;
  f: string;
  key: string;
  /** What was given at invocation, or returned at completion (none when the outcome is unknown). */
  value: V | undefined;
  /** Simulated time in milliseconds. */
  time: number;
}

/** One operation with its invocation and (if known) completion. */
export interface Operation<V> {
  op: number;
  process: string;
  f: string;
  key: string;
  /** The value given at invocation (what a write writes). */
  input: V;
  /** The value returned at completion (what a read read). */
  output: V | undefined;
  outcome: Outcome | "pending";
  invokeTime: number;
  completeTime: number | undefined;
}

export class History<V> {
  readonly entries: HistoryEntry<V>[] = [];
  private readonly ops: Operation<V>[] = [];

  invoke(process: string, f: string, key: string, value: V, time: number): number {
    const op = this.ops.length;
    this.entries.push({ op, type: "invoke", process, f, key, value, time });
    this.ops.push({
      op,
      process,
      f,
      key,
      input: value,
      output: undefined,
      outcome: "pending",
      invokeTime: time,
      completeTime: undefined,
    });
    return op;
  }

  complete(op: number, outcome: Outcome, value: V | undefined, time: number): void {
    const operation = this.ops[op];
    if (operation === undefined || operation.outcome !== "pending") {
      throw new Error(`history: operation ${op} completed twice or never invoked`);
    }
    operation.outcome = outcome;
    operation.output = value;
    operation.completeTime = time;
    this.entries.push({
      op,
      type: outcome,
      process: operation.process,
      f: operation.f,
      key: operation.key,
      value,
      time,
    });
  }

  operations(): readonly Operation<V>[] {
    return this.ops;
  }
}
