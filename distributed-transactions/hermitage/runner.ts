/**
 * Replays Hermitage's cases (`cases.ts`) on the simulated store at one isolation level and records
 * what each step did: the rows it returned, whether it blocked and which later step released it,
 * or the error it failed with; then judges each variant, and each case: the anomaly occurs at a
 * level if it occurs in any variant (DDIA ch. 7, Weak Isolation Levels).
 *
 * Connections behave like a client that sends each step in order and, when its connection is still
 * waiting for a blocked statement, queues the step until that statement finishes (node-postgres
 * queues queries on a busy client the same way). PostgreSQL's levels never need this in
 * Hermitage's steps; two-phase locking blocks where they do not.
 */

import { assert } from "../../shared/assert.js";
import {
  type IsolationLevel,
  LEVELS,
  type Result,
  type Row,
  type Statement,
  sqlOf,
} from "../store/statements.js";
import { type Outcome, Store, type StoreOptions } from "../store/store.js";
import {
  CASES,
  type CaseId,
  type Conn,
  type HermitageCase,
  type RunView,
  SETUP_ROWS,
  type Step,
  type Variant,
} from "./cases.js";

export type Verdict = "prevented" | "occurs";

export interface StepRecord {
  readonly index: number;
  readonly conn: Conn;
  readonly sql: string;
  readonly statement: Statement;
  /** The step waited behind a blocked statement on its connection before it was sent. */
  queued: boolean;
  /** The statement blocked when it was sent. */
  blocked: boolean;
  /** The connections whose transactions it waited for, when it blocked. */
  waitedFor: readonly string[];
  /** The index of the step whose execution released it (blocked or queued), if any. */
  releasedBy: number | null;
  /** The final result; `blocked` if it never finished. */
  result: Result;
  /** When it finished, in the order of completion across the run (-1: never). */
  finishedAt: number;
  /**
   * An UPDATE that succeeded: the rows it wrote, with their new values, as `update ... returning *`
   * would return them (the isolation checker's history records each write with its value; the
   * step's `result` stays what Hermitage's SQL returns, a count).
   */
  written?: readonly Row[];
}

export interface VariantOutcome {
  readonly name: string;
  readonly source: string;
  readonly steps: readonly StepRecord[];
  readonly verdict: Verdict;
  readonly reasoning: string;
}

export interface CaseOutcome {
  readonly id: CaseId;
  readonly title: string;
  readonly verdict: Verdict;
  readonly variants: readonly VariantOutcome[];
}

export function statementOf(step: Step, level: IsolationLevel): Statement {
  return step.statement === "begin" ? { kind: "begin", level } : step.statement;
}

/** The SQL of a step at a level: Hermitage's text, or the level's `begin` line. */
export function sqlFor(step: Step, level: IsolationLevel): string {
  return step.sql ?? sqlOf(statementOf(step, level));
}

export function runVariant(
  variant: Variant,
  level: IsolationLevel,
  options: StoreOptions = {},
): VariantOutcome {
  const store = new Store(SETUP_ROWS, options);
  const records: StepRecord[] = variant.steps.map((step, index) => ({
    index,
    conn: step.conn,
    sql: sqlFor(step, level),
    statement: statementOf(step, level),
    queued: false,
    blocked: false,
    waitedFor: [],
    releasedBy: null,
    result: { status: "blocked", waitingFor: [] },
    finishedAt: -1,
  }));
  const queues = new Map<Conn, number[]>();
  const waiting = new Map<Conn, number>();
  let finishedCount = 0;

  const finish = (index: number, result: Result) => {
    const record = records[index] as StepRecord;
    if (record.statement.kind === "update" && result.status === "ok") {
      const { rows, ...rest } = result;
      record.written = rows ?? [];
      result = rest;
    }
    record.result = result;
    record.finishedAt = finishedCount++;
  };
  const send = (index: number, by: number) => {
    const record = records[index] as StepRecord;
    // An UPDATE is sent with RETURNING, so that the history knows the values it wrote.
    const { statement } = record;
    const sent = statement.kind === "update" ? { ...statement, returning: true } : statement;
    const outcome: Outcome = store.execute(record.conn, sent);
    if (record.queued) record.releasedBy = by;
    if (outcome.result.status === "blocked") {
      record.blocked = true;
      record.waitedFor = outcome.result.waitingFor;
      record.result = outcome.result;
      waiting.set(record.conn, index);
    } else {
      finish(index, outcome.result);
    }
    settle(outcome, by);
  };
  // Statements the store released finish now; their connections send what they had queued.
  const settle = (outcome: Outcome, by: number) => {
    for (const done of outcome.finished) {
      const conn = done.conn as Conn;
      const index = waiting.get(conn);
      assert(index !== undefined, `the store released ${conn}, which was not waiting`);
      waiting.delete(conn);
      (records[index] as StepRecord).releasedBy = by;
      finish(index, done.result);
    }
    for (const done of outcome.finished) drain(done.conn as Conn, by);
  };
  const drain = (conn: Conn, by: number) => {
    const queue = queues.get(conn) ?? [];
    while (queue.length > 0 && !waiting.has(conn)) send(queue.shift() as number, by);
  };

  for (const record of records) {
    const queue = queues.get(record.conn) ?? [];
    queues.set(record.conn, queue);
    if (waiting.has(record.conn) || queue.length > 0) {
      record.queued = true;
      queue.push(record.index);
      continue;
    }
    send(record.index, record.index);
  }

  const labelled = (label: string): StepRecord => {
    const index = variant.steps.findIndex((s) => s.label === label);
    assert(index >= 0, `variant ${variant.name} has no step labelled ${label}`);
    return records[index] as StepRecord;
  };
  const view: RunView = {
    result: (label) => labelled(label).result,
    finishedAt: (label) => labelled(label).finishedAt,
  };
  return {
    name: variant.name,
    source: variant.source,
    steps: records,
    verdict: variant.occurs(view) ? "occurs" : "prevented",
    reasoning: variant.reasoning,
  };
}

export function runCase(
  hermitageCase: HermitageCase,
  level: IsolationLevel,
  options: StoreOptions = {},
): CaseOutcome {
  const variants = hermitageCase.variants.map((v) => runVariant(v, level, options));
  return {
    id: hermitageCase.id,
    title: hermitageCase.title,
    verdict: variants.some((v) => v.verdict === "occurs") ? "occurs" : "prevented",
    variants,
  };
}

/** Every Hermitage case at one level: the level's row of the isolation matrix. */
export function runHermitage(level: IsolationLevel, options: StoreOptions = {}): CaseOutcome[] {
  return CASES.map((c) => runCase(c, level, options));
}

/**
 * The isolation matrix as issue 12 asks for it: columns `level` and the ten anomalies, one row per
 * level, cells `prevented` or `occurs`.
 */
export function isolationMatrix(options: StoreOptions = {}): {
  columns: string[];
  rows: string[][];
} {
  const columns = ["level", ...CASES.map((c) => c.id)];
  const rows = LEVELS.map((level) => [
    level,
    ...runHermitage(level, options).map((outcome) => outcome.verdict),
  ]);
  return { columns, rows };
}
