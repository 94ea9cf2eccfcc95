/**
 * Write skew (DDIA ch. 7, Write Skew and Phantoms, figure 7-8): Alice and Bob are the two doctors
 * on call for a shift. Both feel unwell; each checks that at least two doctors are on call and, if
 * so, goes off call. Each transaction updates a different row, so no write conflicts with the
 * other: under read committed and under snapshot isolation both commit and nobody is on call.
 * Serializable snapshot isolation aborts one (40001); two-phase locking makes one wait and the
 * other die in a deadlock (40P01); the victim's client retries and finds one doctor on call. The
 * book's explicit-lock fix, `select ... for update` on the rows the check read, closes it too.
 *
 * The rows: `test (id, value)` is the doctors table of one shift, id 1 Alice and id 2 Bob, value
 * 1 when on call and 0 when off: `select * from test where value = 1` is the book's `select count(*)
 * from doctors where on_call = true and shift_id = 1234`, a predicate read.
 */

import { integer, option, type Scenario } from "../../shared/cli.js";
import type { Trace } from "../../shared/trace.js";
import { exportHistory, exportHistoryOption, reportJudgement } from "../isolation/report.js";
import { type Queued, runTitle, Session } from "../isolation/session.js";
import { reportWorkloads, WORKLOAD_VARIANTS } from "../isolation/workload.js";
import { REF } from "../refs.js";
import type { IsolationLevel, Result, Statement } from "../store/statements.js";

interface Options {
  transactions: number;
  exportHistory: string;
}

const DOCTORS = ["alice", "bob"] as const;
type Doctor = (typeof DOCTORS)[number];
const ROW: Record<Doctor, number> = { alice: 1, bob: 2 };
const NAMES: Record<string, string> = { alice: "Alice", bob: "Bob", observer: "an observer" };
const name = (conn: string) => NAMES[conn] ?? conn;

const onCall = (forUpdate: boolean): Statement => ({
  kind: "select",
  where: { kind: "valueEquals", value: 1 },
  ...(forUpdate ? { forUpdate: true } : {}),
});
const goOffCall = (doctor: Doctor): Statement => ({
  kind: "update",
  where: { kind: "id", ids: [ROW[doctor]] },
  set: { kind: "const", value: 0 },
  returning: true,
});

export interface Variant {
  readonly title: string;
  readonly level: IsolationLevel;
  readonly forUpdate: boolean;
  readonly broken: boolean;
  readonly ref: string;
  readonly narration: string;
}

export const VARIANTS: readonly Variant[] = [
  {
    title: "Read committed",
    level: "read committed",
    forUpdate: false,
    broken: true,
    ref: REF.writeSkew,
    narration:
      "Neither transaction writes a row the other writes, so row locks never meet: both commit.",
  },
  {
    title: "Snapshot isolation",
    level: "snapshot isolation",
    forUpdate: false,
    broken: true,
    ref: REF.writeSkew,
    narration:
      "Each reads a consistent snapshot in which both are on call; first-updater-wins only stops two writes to one row, and these write different rows: both commit. Snapshot isolation allows write skew.",
  },
  {
    title: "Serializable snapshot isolation",
    level: "serializable snapshot isolation",
    forUpdate: false,
    broken: false,
    ref: REF.writesAffectingReads,
    narration:
      "SSI records that each read a row the other then wrote (two rw-antidependencies, a dangerous structure) and aborts one with 40001: the premise of its decision was no longer true.",
  },
  {
    title: "Two-phase locking",
    level: "two-phase locking",
    forUpdate: false,
    broken: false,
    ref: REF.predicateLocks,
    narration:
      "Each read takes a shared predicate lock on `value = 1`; each update needs an exclusive lock the other's predicate lock blocks: a deadlock, and one transaction is aborted.",
  },
  {
    title: "Explicit locks: SELECT ... FOR UPDATE",
    level: "read committed",
    forUpdate: true,
    broken: false,
    ref: REF.writeSkew,
    narration:
      "Each locks the rows its check returns (the book's FOR UPDATE fix): Bob's check waits for Alice's locks, then re-reads the rows and finds only himself on call.",
  },
];

function rowsOf(result: Result | Queued | undefined): number | null {
  return result?.status === "ok" && result.rows ? result.rows.length : null;
}

const RETRYABLE = new Set(["40001", "40P01"]);

/** Figure 7-8 at one variant: both check, both (maybe) go off call; a failed one retries once. */
export function figure78(trace: Trace, variant: Variant, narrate = true) {
  const s = new Session(
    trace,
    [
      { id: 1, value: 1 },
      { id: 2, value: 1 },
    ],
    {},
    name,
    narrate,
  );
  for (const d of DOCTORS) s.begin(d, variant.level);
  const seen = new Map<Doctor, number | null>();
  for (const d of DOCTORS) seen.set(d, rowsOf(s.exec(d, onCall(variant.forUpdate))));
  // Each client decides on its check's result, so a check that waits (FOR UPDATE behind another's
  // lock) holds its client back: it decides, and commits, once the check returns.
  const decide = (d: Doctor) => {
    const count = seen.get(d) ?? rowsOf(s.lastResult(d));
    if (count !== null && count >= 2) s.exec(d, goOffCall(d));
  };
  const waiting = DOCTORS.filter((d) => s.isBlocked(d));
  const ready = DOCTORS.filter((d) => !waiting.includes(d));
  for (const d of ready) decide(d);
  for (const d of ready) s.commit(d);
  for (const d of waiting) {
    decide(d);
    s.commit(d);
  }
  // A transaction that failed with a serialization failure or a deadlock is retried by its
  // client, as PostgreSQL's documentation asks of applications at these levels.
  for (const d of DOCTORS) {
    const ending = s.endings.findLast((e) => e.conn === d);
    if (!ending || ending.outcome === "ok" || !RETRYABLE.has(ending.code)) continue;
    s.begin(d, variant.level);
    const count = rowsOf(s.exec(d, onCall(variant.forUpdate)));
    if (count !== null && count >= 2) s.exec(d, goOffCall(d));
    s.commit(d);
  }
  s.begin("observer", "read committed");
  const final = rowsOf(s.exec("observer", onCall(false)));
  s.commit("observer");
  return { session: s, onCallAtEnd: final };
}

export const writeSkew: Scenario<Options> = {
  name: "write-skew",
  summary:
    "Figure 7-8: two doctors go off call at once; read committed and snapshot isolation let both commit (write skew, G2-item), SSI aborts one (40001), two-phase locking deadlocks one (40P01), FOR UPDATE makes one wait",
  options: [
    option(
      "--transactions <count>",
      "random transactions run at every level and broken variant after the story (0: none)",
      integer(0, 500),
      60,
    ),
    exportHistoryOption,
  ],
  run: ({ trace, seed }, options) => {
    trace.section("Write skew: two doctors on call (figure 7-8)", REF.writeSkew);
    trace.note(
      "Alice (row 1) and Bob (row 2) are on call (value 1). Each runs: select * from test where value = 1; and, if at least two rows come back, goes off call: update test set value = 0 where id = <own row>.",
    );
    for (const variant of VARIANTS) {
      trace.section(runTitle(variant.title, variant.level), variant.ref);
      trace.note(variant.narration);
      const { session, onCallAtEnd } = figure78(trace, variant);
      trace.note(`Doctors on call at the end: ${onCallAtEnd ?? "unknown"}.`, { level: "summary" });
      const judgement = session.judge();
      reportJudgement(trace, "this run's history", judgement);
      const expectation = { expected: !variant.broken, ref: variant.ref };
      trace.check(
        `${variant.title}: at least one doctor stays on call`,
        onCallAtEnd !== null && onCallAtEnd >= 1,
        expectation,
      );
      trace.check(
        `${variant.title}: the isolation checker finds the history serializable (no write skew)`,
        judgement.result.models.serializable,
        expectation,
      );
      if (variant.level === "snapshot isolation")
        exportHistory(trace, options.exportHistory, session, "snapshot isolation's run");
    }
    trace.note(
      "Write skew is neither a dirty write nor a lost update: the two transactions update different objects, each on a premise (two on call) that the other's write makes false. Only serializable isolation, or locks the application takes on the rows its decision depends on, prevents it.",
      { level: "summary", ref: REF.writeSkew },
    );
    reportWorkloads(
      trace,
      seed,
      options.transactions,
      ["transaction", "transactions"],
      WORKLOAD_VARIANTS,
      "mixed",
      "Each transaction runs 1 to 4 operations on rows 1 to 3, each a read, a read-modify-write, a blind write or a scan of the table, writing fresh values so that the checker can tell which write each read saw; each rolls back instead of committing with probability 1/8.",
    );
  },
};
