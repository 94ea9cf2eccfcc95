/**
 * Martin Kleppmann's Hermitage test cases for PostgreSQL (github.com/ept/hermitage, postgres.md,
 * whose results were taken on PostgreSQL 9.3.5), as data: the steps of each test, each with its exact
 * SQL, the connection (T1, T2, T3) that sends it, the statement the simulated store runs, and
 * what Hermitage's comment says the step does at the level it was published for.
 *
 * Each anomaly (DDIA ch. 7, Weak Isolation Levels; named as Hermitage names them: Adya's
 * definitions as extended by Bailis et al., and Berenson et al.'s P4) has one or
 * more variants, as postgres.md has: PMP with a read predicate and with a write predicate, read
 * skew (G-single) with items, with predicate dependencies and with a write predicate, G2 with two
 * transactions and with Fekete et al.'s three. Where postgres.md gives the same steps at two levels
 * with different endings (the lost update ends with `commit` at read committed and with `abort`
 * once the transaction has failed at repeatable read), the variant keeps the longer ending: in a
 * failed transaction PostgreSQL answers further statements with 25P02 and COMMIT with ROLLBACK, so
 * the steps mean the same at every level.
 *
 * Each variant has a judge: from the results of its steps, does the anomaly occur? The judges test
 * the dependencies that make the anomaly (which transaction saw whose write), not the results one
 * level happens to give, so that a level that prevents the anomaly another way (two-phase locking
 * blocks where PostgreSQL's levels abort) is judged the same way.
 */

import type {
  IsolationLevel,
  Result,
  Row,
  SetValue,
  SqlState,
  Statement,
  Where,
} from "../store/statements.js";

export type Conn = "T1" | "T2" | "T3";

/** What Hermitage's comment says a step does, at one level, in a form a test can compare. */
export interface Published {
  /** Hermitage's comment, verbatim. */
  readonly says: string;
  /** The statement blocks when sent. */
  readonly blocks?: boolean;
  /** The rows it returns (in key order). */
  readonly rows?: readonly Row[];
  /** It fails with this SQLSTATE. */
  readonly error?: SqlState;
  /** Sending it releases the blocked statement of this connection, with an error if given. */
  readonly releases?: { readonly conn: Conn; readonly error?: SqlState };
}

export interface Step {
  readonly conn: Conn;
  /** Hermitage's SQL for the step, exactly (`begin` steps get the level's SQL at run time). */
  readonly sql: string | null;
  readonly statement: Statement | "begin";
  /** A name the judge reads the step's result by. */
  readonly label?: string;
  /** Hermitage's comment on the step, by the level postgres.md published it for. */
  readonly published?: Partial<Record<IsolationLevel, Published>>;
}

/** How a judge reads a variant's run. */
export interface RunView {
  /** The final result of the labelled step. */
  result(label: string): Result;
  /** When the labelled step finished, in the order of completion (later is larger). */
  finishedAt(label: string): number;
}

export interface Variant {
  readonly name: string;
  /** The heading in postgres.md the steps come from. */
  readonly source: string;
  /** postgres.md's heading for the same steps at another level (its ending may differ: see above). */
  readonly alsoPublished?: Partial<Record<IsolationLevel, string>>;
  readonly steps: readonly Step[];
  /** Does the anomaly occur in this run? */
  readonly occurs: (run: RunView) => boolean;
  /** Why the judge decides so: the dependency cycle the anomaly is. */
  readonly reasoning: string;
}

export const CASE_IDS = [
  "G0",
  "G1a",
  "G1b",
  "G1c",
  "OTV",
  "PMP",
  "P4",
  "G-single",
  "G2-item",
  "G2",
] as const;
export type CaseId = (typeof CASE_IDS)[number];

export interface HermitageCase {
  readonly id: CaseId;
  /** The anomaly's name in Hermitage's legend. */
  readonly title: string;
  readonly variants: readonly Variant[];
}

/** Hermitage's setup, run before every test. */
export const SETUP_SQL =
  "create table test (id int primary key, value int);\ninsert into test (id, value) values (1, 10), (2, 20);";
export const SETUP_ROWS: readonly Row[] = [
  { id: 1, value: 10 },
  { id: 2, value: 20 },
];

// --- Building steps -------------------------------------------------------------------------------

const id = (...ids: number[]): Where => ({ kind: "id", ids });
const all: Where = { kind: "all" };
const valueEquals = (value: number): Where => ({ kind: "valueEquals", value });
const valueMod = (modulus: number, remainder: number): Where => ({
  kind: "valueMod",
  modulus,
  remainder,
});
const to = (value: number): SetValue => ({ kind: "const", value });
const plus = (delta: number): SetValue => ({ kind: "add", delta });

const begin = (conn: Conn): Step => ({ conn, sql: null, statement: "begin" });
const commit = (conn: Conn, extra: Partial<Step> = {}): Step => ({
  conn,
  sql: "commit;",
  statement: { kind: "commit" },
  ...extra,
});
const abort = (conn: Conn, extra: Partial<Step> = {}): Step => ({
  conn,
  sql: "abort;",
  statement: { kind: "abort" },
  ...extra,
});
const select = (conn: Conn, sql: string, where: Where, extra: Partial<Step> = {}): Step => ({
  conn,
  sql,
  statement: { kind: "select", where },
  ...extra,
});
const update = (
  conn: Conn,
  sql: string,
  where: Where,
  set: SetValue,
  extra: Partial<Step> = {},
): Step => ({ conn, sql, statement: { kind: "update", where, set }, ...extra });
const remove = (conn: Conn, sql: string, where: Where, extra: Partial<Step> = {}): Step => ({
  conn,
  sql,
  statement: { kind: "delete", where },
  ...extra,
});
const insert = (conn: Conn, sql: string, row: Row, extra: Partial<Step> = {}): Step => ({
  conn,
  sql,
  statement: { kind: "insert", row },
  ...extra,
});

const RC = "read committed";
const SI = "snapshot isolation";
const SSI = "serializable snapshot isolation";
const r = (id: number, value: number): Row => ({ id, value });

// --- Reading results ------------------------------------------------------------------------------

/** The rows a step returned, or null if it did not finish with rows. */
export function rowsOf(result: Result): readonly Row[] | null {
  return result.status === "ok" && result.rows !== undefined ? result.rows : null;
}
const valueIn = (result: Result, key: number): number | undefined =>
  rowsOf(result)?.find((row) => row.id === key)?.value;
const committed = (result: Result): boolean => result.status === "ok" && result.tag === "COMMIT";
const changedOne = (result: Result): boolean => result.status === "ok" && result.count === 1;
const succeeded = (result: Result): boolean => result.status === "ok";

// --- The cases ------------------------------------------------------------------------------------

const G0: HermitageCase = {
  id: "G0",
  title: "Write Cycles (dirty writes)",
  variants: [
    {
      name: "write cycle",
      source: 'Postgres "read committed" prevents Write Cycles (G0) by locking updated rows',
      steps: [
        begin("T1"),
        begin("T2"),
        update("T1", "update test set value = 11 where id = 1;", id(1), to(11)),
        update("T2", "update test set value = 12 where id = 1;", id(1), to(12), {
          published: { [RC]: { says: "T2, BLOCKS", blocks: true } },
        }),
        update("T1", "update test set value = 21 where id = 2;", id(2), to(21)),
        commit("T1", {
          published: { [RC]: { says: "T1. This unblocks T2", releases: { conn: "T2" } } },
        }),
        select("T1", "select * from test;", all, {
          published: { [RC]: { says: "T1. Shows 1 => 11, 2 => 21", rows: [r(1, 11), r(2, 21)] } },
        }),
        update("T2", "update test set value = 22 where id = 2;", id(2), to(22)),
        commit("T2"),
        select("T1", "select * from test;", all, {
          label: "final",
          published: {
            [RC]: { says: "either. Shows 1 => 12, 2 => 22", rows: [r(1, 12), r(2, 22)] },
          },
        }),
      ],
      // Both transactions write both rows. A write cycle leaves one row as T1 left it and the
      // other as T2 left it: T1 -ww-> T2 on one row and T2 -ww-> T1 on the other.
      occurs: (run) => {
        const v1 = valueIn(run.result("final"), 1);
        const v2 = valueIn(run.result("final"), 2);
        return (v1 === 12 && v2 === 21) || (v1 === 11 && v2 === 22);
      },
      reasoning:
        "the final rows mix the two writers (1 => 12 with 2 => 21, or 1 => 11 with 2 => 22)",
    },
  ],
};

const G1a: HermitageCase = {
  id: "G1a",
  title: "Aborted Reads (dirty reads, cascaded aborts)",
  variants: [
    {
      name: "aborted read",
      source: 'Postgres "read committed" prevents Aborted Reads (G1a)',
      steps: [
        begin("T1"),
        begin("T2"),
        update("T1", "update test set value = 101 where id = 1;", id(1), to(101)),
        select("T2", "select * from test;", all, {
          label: "read1",
          published: { [RC]: { says: "T2. Still shows 1 => 10", rows: [r(1, 10), r(2, 20)] } },
        }),
        abort("T1"),
        select("T2", "select * from test;", all, {
          label: "read2",
          published: { [RC]: { says: "T2. Still shows 1 => 10", rows: [r(1, 10), r(2, 20)] } },
        }),
        commit("T2"),
      ],
      // T2 reads a value that only the aborted T1 wrote.
      occurs: (run) =>
        valueIn(run.result("read1"), 1) === 101 || valueIn(run.result("read2"), 1) === 101,
      reasoning: "T2 reads 1 => 101, which only the aborted T1 wrote",
    },
  ],
};

const G1b: HermitageCase = {
  id: "G1b",
  title: "Intermediate Reads (dirty reads)",
  variants: [
    {
      name: "intermediate read",
      source: 'Postgres "read committed" prevents Intermediate Reads (G1b)',
      steps: [
        begin("T1"),
        begin("T2"),
        update("T1", "update test set value = 101 where id = 1;", id(1), to(101)),
        select("T2", "select * from test;", all, {
          label: "read1",
          published: { [RC]: { says: "T2. Still shows 1 => 10", rows: [r(1, 10), r(2, 20)] } },
        }),
        update("T1", "update test set value = 11 where id = 1;", id(1), to(11)),
        commit("T1"),
        select("T2", "select * from test;", all, {
          label: "read2",
          published: { [RC]: { says: "T2. Now shows 1 => 11", rows: [r(1, 11), r(2, 20)] } },
        }),
        commit("T2"),
      ],
      // 101 is T1's intermediate value: T1 overwrote it before committing.
      occurs: (run) =>
        valueIn(run.result("read1"), 1) === 101 || valueIn(run.result("read2"), 1) === 101,
      reasoning: "T2 reads 1 => 101, a value T1 overwrote before it committed",
    },
  ],
};

const G1c: HermitageCase = {
  id: "G1c",
  title: "Circular Information Flow (dirty reads)",
  variants: [
    {
      name: "circular information flow",
      source: 'Postgres "read committed" prevents Circular Information Flow (G1c)',
      steps: [
        begin("T1"),
        begin("T2"),
        update("T1", "update test set value = 11 where id = 1;", id(1), to(11)),
        update("T2", "update test set value = 22 where id = 2;", id(2), to(22)),
        select("T1", "select * from test where id = 2;", id(2), {
          label: "read1",
          published: { [RC]: { says: "T1. Still shows 2 => 20", rows: [r(2, 20)] } },
        }),
        select("T2", "select * from test where id = 1;", id(1), {
          label: "read2",
          published: { [RC]: { says: "T2. Still shows 1 => 10", rows: [r(1, 10)] } },
        }),
        commit("T1"),
        commit("T2"),
      ],
      // T1 -wr-> T2 and T2 -wr-> T1: each reads the other's write.
      occurs: (run) =>
        valueIn(run.result("read1"), 2) === 22 && valueIn(run.result("read2"), 1) === 11,
      reasoning: "T1 reads T2's 2 => 22 and T2 reads T1's 1 => 11: a cycle of wr edges",
    },
  ],
};

/** Who wrote each value in OTV, and the order of each row's versions. */
const OTV_VERSIONS: Record<number, readonly number[]> = { 1: [10, 11, 12], 2: [20, 19, 18] };
const OTV_WRITER: Record<number, string> = { 11: "T1", 19: "T1", 12: "T2", 18: "T2" };

const OTV: HermitageCase = {
  id: "OTV",
  title: "Observed Transaction Vanishes",
  variants: [
    {
      name: "observed transaction vanishes",
      source: 'Postgres "read committed" prevents Observed Transaction Vanishes (OTV)',
      steps: [
        begin("T1"),
        begin("T2"),
        begin("T3"),
        update("T1", "update test set value = 11 where id = 1;", id(1), to(11)),
        update("T1", "update test set value = 19 where id = 2;", id(2), to(19)),
        update("T2", "update test set value = 12 where id = 1;", id(1), to(12), {
          published: { [RC]: { says: "T2. BLOCKS", blocks: true } },
        }),
        commit("T1", {
          published: { [RC]: { says: "T1. This unblocks T2", releases: { conn: "T2" } } },
        }),
        select("T3", "select * from test where id = 1;", id(1), {
          label: "a",
          published: { [RC]: { says: "T3. Shows 1 => 11", rows: [r(1, 11)] } },
        }),
        update("T2", "update test set value = 18 where id = 2;", id(2), to(18)),
        select("T3", "select * from test where id = 2;", id(2), {
          label: "b",
          published: { [RC]: { says: "T3. Shows 2 => 19", rows: [r(2, 19)] } },
        }),
        commit("T2"),
        select("T3", "select * from test where id = 2;", id(2), {
          label: "c",
          published: { [RC]: { says: "T3. Shows 2 => 18", rows: [r(2, 18)] } },
        }),
        select("T3", "select * from test where id = 1;", id(1), {
          label: "d",
          published: { [RC]: { says: "T3. Shows 1 => 12", rows: [r(1, 12)] } },
        }),
        commit("T3"),
      ],
      // Once T3 has seen a transaction's write, a later read of a row that transaction also wrote
      // must not return an older version: that would make the observed transaction vanish.
      occurs: (run) => {
        const reads = ["a", "b", "c", "d"]
          .map((label) => rowsOf(run.result(label))?.[0])
          .filter((row): row is Row => row !== undefined);
        for (let i = 0; i < reads.length; i++) {
          const writer = OTV_WRITER[(reads[i] as Row).value];
          if (writer === undefined) continue;
          for (const later of reads.slice(i + 1)) {
            const order = OTV_VERSIONS[later.id] ?? [];
            const writersVersion = order.findIndex((v) => OTV_WRITER[v] === writer);
            const position = order.indexOf(later.value);
            if (position >= 0 && position < writersVersion) return true;
          }
        }
        return false;
      },
      reasoning:
        "T3 reads a write of T1 or T2, then reads a row that transaction wrote and gets an older version",
    },
  ],
};

const PMP: HermitageCase = {
  id: "PMP",
  title: "Predicate-Many-Preceders",
  variants: [
    {
      name: "read predicate",
      source: 'Postgres "read committed" does not prevent Predicate-Many-Preceders (PMP)',
      alsoPublished: {
        [SI]: 'Postgres "repeatable read" prevents Predicate-Many-Preceders (PMP)',
      },
      steps: [
        begin("T1"),
        begin("T2"),
        select("T1", "select * from test where value = 30;", valueEquals(30), {
          published: {
            [RC]: { says: "T1. Returns nothing", rows: [] },
            [SI]: { says: "T1. Returns nothing", rows: [] },
          },
        }),
        insert("T2", "insert into test (id, value) values(3, 30);", r(3, 30)),
        commit("T2"),
        select("T1", "select * from test where value % 3 = 0;", valueMod(3, 0), {
          label: "second",
          published: {
            [RC]: { says: "T1. Returns the newly inserted row", rows: [r(3, 30)] },
            [SI]: { says: "T1. Still returns nothing", rows: [] },
          },
        }),
        commit("T1"),
      ],
      // T1's two predicate reads see different sets of committed transactions: T2 follows the
      // first read (rw) and precedes the second (wr).
      occurs: (run) => valueIn(run.result("second"), 3) === 30,
      reasoning: "T1's second predicate read returns the row T2 inserted after its first one",
    },
    {
      name: "write predicate",
      source:
        'Postgres "read committed" does not prevent Predicate-Many-Preceders (PMP) for write predicates -- example from Postgres documentation',
      alsoPublished: {
        [SI]: 'Postgres "repeatable read" prevents Predicate-Many-Preceders (PMP) for write predicates -- example from Postgres documentation',
      },
      steps: [
        begin("T1"),
        begin("T2"),
        update("T1", "update test set value = value + 10;", all, plus(10)),
        remove("T2", "delete from test where value = 20;", valueEquals(20), {
          label: "delete",
          published: {
            [RC]: { says: "T2, BLOCKS", blocks: true },
            [SI]: { says: "T2, BLOCKS", blocks: true },
          },
        }),
        commit("T1", {
          published: {
            [RC]: { says: "T1. This unblocks T2", releases: { conn: "T2" } },
            [SI]: {
              says: 'T1. T2 now prints out "ERROR: could not serialize access due to concurrent update"',
              releases: { conn: "T2", error: "40001" },
            },
          },
        }),
        select("T2", "select * from test where value = 20;", valueEquals(20), {
          label: "after",
          published: {
            [RC]: {
              says: "T2, returns 1 => 20 (despite ostensibly having been deleted)",
              rows: [r(1, 20)],
            },
          },
        }),
        commit("T2"),
      ],
      // The DELETE's predicate saw row 2 after T1 (30, no match) but row 1 before T1 (10, no
      // match), so it deleted nothing, yet T2 then reads a row with value 20.
      occurs: (run) =>
        succeeded(run.result("delete")) && (rowsOf(run.result("after"))?.length ?? 0) > 0,
      reasoning:
        "T2's delete of the rows with value 20 succeeds, and T2 then reads a row with value 20",
    },
  ],
};

const P4: HermitageCase = {
  id: "P4",
  title: "Lost Update",
  variants: [
    {
      name: "lost update",
      source: 'Postgres "read committed" does not prevent Lost Update (P4)',
      alsoPublished: { [SI]: 'Postgres "repeatable read" prevents Lost Update (P4)' },
      steps: [
        begin("T1"),
        begin("T2"),
        select("T1", "select * from test where id = 1;", id(1)),
        select("T2", "select * from test where id = 1;", id(1)),
        update("T1", "update test set value = 11 where id = 1;", id(1), to(11), {
          label: "write1",
        }),
        update("T2", "update test set value = 11 where id = 1;", id(1), to(11), {
          label: "write2",
          published: {
            [RC]: { says: "T2, BLOCKS", blocks: true },
            [SI]: { says: "T2, BLOCKS", blocks: true },
          },
        }),
        commit("T1", {
          label: "commit1",
          published: {
            [RC]: {
              says: "T1. This unblocks T2, so T1's update is overwritten",
              releases: { conn: "T2" },
            },
            [SI]: {
              says: 'T1. T2 now prints out "ERROR: could not serialize access due to concurrent update"',
              releases: { conn: "T2", error: "40001" },
            },
          },
        }),
        commit("T2", { label: "commit2" }),
      ],
      // Both read 1 => 10 and both write row 1 and commit: T1 -rw-> T2 and T2 -rw-> T1 with
      // T1 -ww-> T2, so T1's update is lost.
      occurs: (run) =>
        changedOne(run.result("write1")) &&
        changedOne(run.result("write2")) &&
        committed(run.result("commit1")) &&
        committed(run.result("commit2")),
      reasoning: "both transactions read row 1, update it and commit",
    },
  ],
};

const GSingle: HermitageCase = {
  id: "G-single",
  title: "Single Anti-dependency Cycles (read skew)",
  variants: [
    {
      name: "read skew",
      source: 'Postgres "read committed" does not prevent Read Skew (G-single)',
      alsoPublished: { [SI]: 'Postgres "repeatable read" prevents Read Skew (G-single)' },
      steps: [
        begin("T1"),
        begin("T2"),
        select("T1", "select * from test where id = 1;", id(1), {
          label: "read1",
          published: {
            [RC]: { says: "T1. Shows 1 => 10", rows: [r(1, 10)] },
            [SI]: { says: "T1. Shows 1 => 10", rows: [r(1, 10)] },
          },
        }),
        select("T2", "select * from test where id = 1;", id(1)),
        select("T2", "select * from test where id = 2;", id(2)),
        update("T2", "update test set value = 12 where id = 1;", id(1), to(12)),
        update("T2", "update test set value = 18 where id = 2;", id(2), to(18)),
        commit("T2"),
        select("T1", "select * from test where id = 2;", id(2), {
          label: "read2",
          published: {
            [RC]: { says: "T1. Shows 2 => 18", rows: [r(2, 18)] },
            [SI]: { says: "T1. Shows 2 => 20", rows: [r(2, 20)] },
          },
        }),
        commit("T1"),
      ],
      // T1 reads row 1 before T2 (T1 -rw-> T2) and row 2 after it (T2 -wr-> T1).
      occurs: (run) =>
        valueIn(run.result("read1"), 1) === 10 && valueIn(run.result("read2"), 2) === 18,
      reasoning: "T1 reads 1 => 10 from before T2 and 2 => 18 from after it",
    },
    {
      name: "predicate dependencies",
      source:
        'Postgres "repeatable read" prevents Read Skew (G-single) -- test using predicate dependencies',
      steps: [
        begin("T1"),
        begin("T2"),
        select("T1", "select * from test where value % 5 = 0;", valueMod(5, 0), { label: "read1" }),
        update("T2", "update test set value = 12 where value = 10;", valueEquals(10), to(12)),
        commit("T2"),
        select("T1", "select * from test where value % 3 = 0;", valueMod(3, 0), {
          label: "read2",
          published: { [SI]: { says: "T1. Returns nothing", rows: [] } },
        }),
        commit("T1"),
      ],
      // T1's first predicate read sees row 1 before T2 changed it, its second sees T2's 12.
      occurs: (run) =>
        valueIn(run.result("read1"), 1) === 10 && valueIn(run.result("read2"), 1) === 12,
      reasoning: "T1 reads 1 => 10 before T2 and then 1 => 12 from T2",
    },
    {
      name: "write predicate",
      source:
        'Postgres "repeatable read" prevents Read Skew (G-single) -- test using write predicate',
      steps: [
        begin("T1"),
        begin("T2"),
        select("T1", "select * from test where id = 1;", id(1), {
          label: "read1",
          published: { [SI]: { says: "T1. Shows 1 => 10", rows: [r(1, 10)] } },
        }),
        select("T2", "select * from test;", all),
        update("T2", "update test set value = 12 where id = 1;", id(1), to(12)),
        update("T2", "update test set value = 18 where id = 2;", id(2), to(18)),
        commit("T2", { label: "commit2" }),
        remove("T1", "delete from test where value = 20;", valueEquals(20), {
          label: "delete",
          published: {
            [SI]: {
              says: 'T1. Prints "ERROR: could not serialize access due to concurrent update"',
              error: "40001",
            },
          },
        }),
        abort("T1"),
      ],
      // T1 read row 1 before T2; a DELETE that runs after T2 committed reads row 2 as T2 left it
      // (18, no match) and succeeds: T1 -rw-> T2 -wr-> T1.
      occurs: (run) =>
        valueIn(run.result("read1"), 1) === 10 &&
        committed(run.result("commit2")) &&
        run.finishedAt("commit2") < run.finishedAt("delete") &&
        succeeded(run.result("delete")),
      reasoning:
        "T1 reads 1 => 10 before T2, and its delete, run after T2 committed, succeeds on T2's rows",
    },
  ],
};

const G2Item: HermitageCase = {
  id: "G2-item",
  title: "Item Anti-dependency Cycles (write skew on disjoint read)",
  variants: [
    {
      name: "write skew",
      source: 'Postgres "repeatable read" does not prevent Write Skew (G2-item)',
      alsoPublished: { [SSI]: 'Postgres "serializable" prevents Write Skew (G2-item)' },
      steps: [
        begin("T1"),
        begin("T2"),
        select("T1", "select * from test where id in (1,2);", id(1, 2), { label: "read1" }),
        select("T2", "select * from test where id in (1,2);", id(1, 2), { label: "read2" }),
        update("T1", "update test set value = 11 where id = 1;", id(1), to(11), {
          label: "write1",
        }),
        update("T2", "update test set value = 21 where id = 2;", id(2), to(21), {
          label: "write2",
        }),
        commit("T1", { label: "commit1" }),
        commit("T2", {
          label: "commit2",
          published: {
            [SSI]: {
              says: 'T2. Prints out "ERROR: could not serialize access due to read/write dependencies among transactions"',
              error: "40001",
            },
          },
        }),
      ],
      // Each reads both rows as they were (10 and 20) and writes the row the other read:
      // T1 -rw-> T2 and T2 -rw-> T1.
      occurs: (run) =>
        valueIn(run.result("read1"), 2) === 20 &&
        valueIn(run.result("read2"), 1) === 10 &&
        changedOne(run.result("write1")) &&
        changedOne(run.result("write2")) &&
        committed(run.result("commit1")) &&
        committed(run.result("commit2")),
      reasoning: "both read rows 1 and 2, each updates the row the other read, and both commit",
    },
  ],
};

const G2: HermitageCase = {
  id: "G2",
  title: "Anti-Dependency Cycles (write skew on predicate read)",
  variants: [
    {
      name: "write skew on predicate read",
      source: 'Postgres "repeatable read" does not prevent Anti-Dependency Cycles (G2)',
      alsoPublished: { [SSI]: 'Postgres "serializable" prevents Anti-Dependency Cycles (G2)' },
      steps: [
        begin("T1"),
        begin("T2"),
        select("T1", "select * from test where value % 3 = 0;", valueMod(3, 0), { label: "read1" }),
        select("T2", "select * from test where value % 3 = 0;", valueMod(3, 0), { label: "read2" }),
        insert("T1", "insert into test (id, value) values(3, 30);", r(3, 30), { label: "write1" }),
        insert("T2", "insert into test (id, value) values(4, 42);", r(4, 42), { label: "write2" }),
        commit("T1", { label: "commit1" }),
        commit("T2", {
          label: "commit2",
          published: {
            [SSI]: {
              says: 'T2. Prints out "ERROR: could not serialize access due to read/write dependencies among transactions"',
              error: "40001",
            },
          },
        }),
        select("T1", "select * from test where value % 3 = 0;", valueMod(3, 0), {
          published: {
            [SI]: { says: "Either. Returns 3 => 30, 4 => 42", rows: [r(3, 30), r(4, 42)] },
          },
        }),
      ],
      // Both find no row with value % 3 = 0, each inserts one the other's predicate matches:
      // T1 -rw-> T2 and T2 -rw-> T1 through the predicate.
      occurs: (run) =>
        rowsOf(run.result("read1"))?.length === 0 &&
        rowsOf(run.result("read2"))?.length === 0 &&
        succeeded(run.result("write1")) &&
        succeeded(run.result("write2")) &&
        committed(run.result("commit1")) &&
        committed(run.result("commit2")),
      reasoning:
        "both find no row with value % 3 = 0, each inserts one that matches, and both commit",
    },
    {
      name: "Fekete et al.'s read-only anomaly",
      source:
        'Postgres "serializable" prevents Anti-Dependency Cycles (G2) -- Fekete et al\'s example with two anti-dependency edges',
      steps: [
        begin("T1"),
        select("T1", "select * from test;", all, {
          label: "read1",
          published: { [SSI]: { says: "T1. Shows 1 => 10, 2 => 20", rows: [r(1, 10), r(2, 20)] } },
        }),
        begin("T2"),
        update("T2", "update test set value = value + 5 where id = 2;", id(2), plus(5)),
        commit("T2"),
        begin("T3"),
        select("T3", "select * from test;", all, {
          label: "read3",
          published: { [SSI]: { says: "T3. Shows 1 => 10, 2 => 25", rows: [r(1, 10), r(2, 25)] } },
        }),
        commit("T3", { label: "commit3" }),
        update("T1", "update test set value = 0 where id = 1;", id(1), to(0), {
          label: "write1",
          published: {
            [SSI]: {
              says: 'T1. Prints out "ERROR: could not serialize access due to read/write dependencies among transactions"',
              error: "40001",
            },
          },
        }),
        abort("T1"),
      ],
      // T1 -rw-> T2 (T1 read 2 => 20, T2 wrote 25), T2 -wr-> T3 (T3 read 25), T3 -rw-> T1 (T3
      // read 1 => 10, T1 writes 0). Hermitage ends T1 with abort once its write has failed; a
      // write that succeeds could be committed, so the judge asks whether the write succeeded.
      occurs: (run) =>
        valueIn(run.result("read1"), 2) === 20 &&
        valueIn(run.result("read3"), 2) === 25 &&
        valueIn(run.result("read3"), 1) === 10 &&
        committed(run.result("commit3")) &&
        changedOne(run.result("write1")),
      reasoning:
        "T1 reads 2 => 20 before T2, T3 reads T2's 25 and T1's row 1 before T1 writes it, and T1's write succeeds, so T1 could commit (Hermitage's script then aborts it)",
    },
  ],
};

export const CASES: readonly HermitageCase[] = [
  G0,
  G1a,
  G1b,
  G1c,
  OTV,
  PMP,
  P4,
  GSingle,
  G2Item,
  G2,
];
