/**
 * Lost updates (DDIA ch. 7, Preventing Lost Updates): two clients increment a counter by a
 * read-modify-write cycle; under read committed one increment is lost. Then the book's fixes, one
 * run each: an atomic write operation (`update ... set value = value + 1`), explicit locking
 * (`select ... for update`), compare-and-set (`update ... set value = new where id = k and value =
 * old`, and the book's caveat: it is safe only if the WHERE clause reads the current row, not an
 * old snapshot, shown on a broken snapshot isolation that writes over what its snapshot missed),
 * and automatic detection (PostgreSQL's repeatable read fails the second writer with 40001).
 *
 * The counter is row 1 of `test (id, value)`, starting at 42 as in figure 7-1. Alice adds 1 and
 * Bob adds 2: distinct increments make every value written distinct, which the history needs
 * (the checker reads which write a read saw from its value, as Elle does). Then `--transactions N`
 * runs random read-modify-writes from several connections at every level and at the broken variants,
 * and tabulates what the checker found.
 */

import { integer, option, type Scenario } from "../../shared/cli.js";
import type { Trace } from "../../shared/trace.js";
import {
  exportHistory,
  exportHistoryOption,
  has,
  readBeforeWrite,
  reportJudgement,
} from "../isolation/report.js";
import { runTitle, Session } from "../isolation/session.js";
import { reportWorkloads, WORKLOAD_VARIANTS } from "../isolation/workload.js";
import { REF } from "../refs.js";
import type { IsolationLevel, Result, Statement } from "../store/statements.js";
import type { StoreOptions } from "../store/store.js";

interface Options {
  transactions: number;
  exportHistory: string;
}

const START = 42;
const DELTA: Record<string, number> = { alice: 1, bob: 2 };
const NAMES: Record<string, string> = { alice: "Alice", bob: "Bob", observer: "an observer" };
const name = (conn: string) => NAMES[conn] ?? conn;

const COUNTER = { kind: "id", ids: [1] } as const;
const read: Statement = { kind: "select", where: COUNTER };
const readForUpdate: Statement = { kind: "select", where: COUNTER, forUpdate: true };
const writeBack = (value: number): Statement => ({
  kind: "update",
  where: COUNTER,
  set: { kind: "const", value },
  returning: true,
});
const compareAndSet = (old: number, value: number): Statement => ({
  kind: "update",
  where: { kind: "and", clauses: [COUNTER, { kind: "valueEquals", value: old }] },
  set: { kind: "const", value },
  returning: true,
});
const increment = (delta: number): Statement => ({
  kind: "update",
  where: COUNTER,
  set: { kind: "add", delta },
  returning: true,
});

function valueRead(result: Result | { status: "queued" } | undefined): number | null {
  return result?.status === "ok" && result.rows?.length === 1
    ? (result.rows[0]?.value ?? null)
    : null;
}

/** A fix, or the bug: how the two clients run, on which store. */
export interface Variant {
  readonly title: string;
  readonly ref: string;
  readonly level: IsolationLevel;
  readonly store?: StoreOptions;
  /** The point of this run is the lost update (a broken variant): its checks are expected to fail. */
  readonly broken: boolean;
  readonly narration: string;
  readonly play: (s: Session) => void;
}

/** Each client's read-modify-write: read, then write back the value read plus its increment. */
function readModifyWrite(s: Session, level: IsolationLevel, forUpdate: boolean): void {
  s.begin("alice", level);
  s.begin("bob", level);
  const a = valueRead(s.exec("alice", forUpdate ? readForUpdate : read));
  const bRead = s.exec("bob", forUpdate ? readForUpdate : read);
  if (a !== null) s.exec("alice", writeBack(a + 1));
  s.commit("alice");
  // Bob's FOR UPDATE waited for Alice; the session holds his next statements until it returns.
  const b = valueRead(bRead) ?? valueRead(s.lastResult("bob"));
  if (b !== null) s.exec("bob", writeBack(b + 2));
  s.commit("bob");
}

export const VARIANTS: readonly Variant[] = [
  {
    title: "Read-modify-write under read committed",
    ref: REF.lostUpdates,
    level: "read committed",
    broken: true,
    narration:
      "Each client reads the counter, adds its increment in the application, and writes the result back. Read committed lets both read 42: the second write clobbers the first.",
    play: (s) => readModifyWrite(s, "read committed", false),
  },
  {
    title: "Fix: an atomic write operation",
    ref: REF.atomicWrites,
    level: "read committed",
    broken: false,
    narration:
      "The increment is one statement, `set value = value + n`: the database reads and writes under the row's exclusive lock, so the second waits and adds to the first's result.",
    play: (s) => {
      s.begin("alice", "read committed");
      s.begin("bob", "read committed");
      s.exec("alice", increment(1));
      s.exec("bob", increment(2));
      s.commit("alice");
      s.commit("bob");
    },
  },
  {
    title: "Fix: explicit locking (SELECT ... FOR UPDATE)",
    ref: REF.explicitLocking,
    level: "read committed",
    broken: false,
    narration:
      "Each client locks the row it is about to change with FOR UPDATE: Bob's read waits for Alice's lock, held until she commits, and then returns her value.",
    play: (s) => readModifyWrite(s, "read committed", true),
  },
  {
    title: "Fix: compare-and-set",
    ref: REF.compareAndSet,
    level: "read committed",
    broken: false,
    narration:
      "Each client writes only if the value is still the one it read (`where id = 1 and value = old`). Bob's waits for Alice's row lock, then re-checks the WHERE clause on her committed row (PostgreSQL's EvalPlanQual) and changes nothing; he reads again and retries.",
    play: (s) => compareAndSetRun(s, "read committed"),
  },
  {
    title: "Compare-and-set when the WHERE clause reads an old snapshot (a broken store)",
    ref: REF.compareAndSet,
    level: "snapshot isolation",
    store: { firstUpdaterWins: false },
    broken: true,
    narration:
      "The book's caveat: compare-and-set is safe only if the database checks the condition on the current row. This broken snapshot isolation, without first-updater-wins, checks it on Bob's snapshot, where the value is still 42, and then writes over Alice's committed 43.",
    play: (s) => compareAndSetRun(s, "snapshot isolation"),
  },
  {
    title: "Fix: automatic detection (snapshot isolation, PostgreSQL's repeatable read)",
    ref: REF.detectLostUpdates,
    level: "snapshot isolation",
    broken: false,
    narration:
      "Both run the read-modify-write of the first run, at repeatable read. Bob's write of a row that Alice updated after his snapshot waits for her, then fails with 40001 once she commits; Bob retries the whole transaction.",
    play: (s) => {
      s.begin("alice", "snapshot isolation");
      s.begin("bob", "snapshot isolation");
      const a = valueRead(s.exec("alice", read));
      const b = valueRead(s.exec("bob", read));
      if (a !== null) s.exec("alice", writeBack(a + 1));
      if (b !== null) s.exec("bob", writeBack(b + 2));
      s.commit("alice");
      s.rollback("bob");
      s.begin("bob", "snapshot isolation");
      const again = valueRead(s.exec("bob", read));
      if (again !== null) s.exec("bob", writeBack(again + 2));
      s.commit("bob");
    },
  },
];

function compareAndSetRun(s: Session, level: IsolationLevel): void {
  s.begin("alice", level);
  s.begin("bob", level);
  const a = valueRead(s.exec("alice", read));
  const b = valueRead(s.exec("bob", read));
  if (a !== null) s.exec("alice", compareAndSet(a, a + 1));
  if (b !== null) s.exec("bob", compareAndSet(b, b + 2));
  s.commit("alice");
  const changed = s.lastResult("bob");
  s.commit("bob");
  // An UPDATE that found the value changed matched no row: the client reads again and retries.
  if (changed?.status === "ok" && changed.count === 0) {
    s.begin("bob", level);
    const again = valueRead(s.exec("bob", read));
    if (again !== null) s.exec("bob", compareAndSet(again, again + 2));
    s.commit("bob");
  }
}

/** One variant's run: the two clients, then an observer's read of the final value. */
export function runVariant(trace: Trace, variant: Variant, narrate = true) {
  const s = new Session(trace, [{ id: 1, value: START }], variant.store ?? {}, name, narrate);
  variant.play(s);
  s.begin("observer", "read committed");
  const final = valueRead(s.exec("observer", read));
  s.commit("observer");
  // The increments that committed: each client's last committed transaction wrote one.
  const committed = s.endings.filter((e) => e.outcome === "ok" && e.conn in DELTA);
  const wrote = new Set(committed.map((e) => e.conn));
  const expected = START + [...wrote].reduce((sum, c) => sum + (DELTA[c] ?? 0), 0);
  return { session: s, final, expected };
}

export const lostUpdate: Scenario<Options> = {
  name: "lost-update",
  summary:
    "Two read-modify-write increments under read committed lose one; the fixes: atomic update, SELECT FOR UPDATE, compare-and-set (and its caveat), automatic detection (40001); the isolation checker judges each history",
  options: [
    option(
      "--transactions <count>",
      "random read-modify-write transactions run at every level and broken variant after the story (0: none)",
      integer(0, 500),
      60,
    ),
    exportHistoryOption,
  ],
  run: ({ trace, seed }, options) => {
    trace.section("Lost updates: two increments of a counter at 42 (figure 7-1)", REF.lostUpdates);
    trace.note(
      "In figure 7-1 both clients add 1, and both write 43. Here Alice adds 1 and Bob adds 2, so that no two writes in these runs put the same value: the isolation checker knows which write a read saw only from the value read, as Elle does. Both increments should count: 45.",
    );
    for (const variant of VARIANTS) {
      trace.section(runTitle(variant.title, variant.level), variant.ref);
      trace.note(variant.narration);
      const { session, final, expected } = runVariant(trace, variant);
      trace.note(
        `The counter ends at ${final ?? "(no row)"}; the increments that committed add up to ${expected}.`,
        { level: "summary" },
      );
      const judgement = session.judge();
      reportJudgement(trace, "this run's history", judgement);
      const lost = has(judgement.result, "lost-update");
      const expectation = { expected: !variant.broken, ref: variant.ref };
      trace.check(
        `${variant.title}: the counter counts every committed increment`,
        final === expected,
        expectation,
      );
      if (readBeforeWrite(judgement.result))
        trace.check(
          `${variant.title}: the isolation checker finds no lost update`,
          !lost,
          expectation,
        );
      else
        trace.notExercised(
          `${variant.title}: the isolation checker finds no lost update`,
          "no transaction read the counter before writing it: an atomic increment's read is inside the UPDATE, which the history cannot show",
          { ref: variant.ref },
        );
      if (variant === VARIANTS[0])
        exportHistory(trace, options.exportHistory, session, "the first run");
    }
    reportWorkloads(
      trace,
      seed,
      options.transactions,
      ["read-modify-write", "read-modify-writes"],
      WORKLOAD_VARIANTS,
      "increments",
      "Each transaction reads one of 3 rows and writes it back, as an increment does, but with a fresh value rather than the value read plus one, so that no two writes put the same value and the checker can tell which write each read saw; each rolls back instead of committing with probability 1/8.",
    );
  },
};
