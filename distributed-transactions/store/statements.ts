/**
 * The statements a connection can send to the store, as data, so that a scenario can print them
 * as SQL, a lock manager can test a row against a predicate, and Hermitage's steps can pair each
 * exact SQL string with the statement the simulation runs.
 *
 * The store has one table, as Hermitage's tests do (DDIA ch. 7, Weak Isolation Levels):
 *
 *   create table test (id int primary key, value int);
 *
 * A row is `{ id, value }`; `id` is the key. A WHERE clause is one of the few shapes the book's and
 * Hermitage's examples use: every row, `id = k` or `id in (...)` (a lookup by key, which the store
 * treats as an index scan), `value = v`, and `value % m = r` (a predicate read, DDIA ch. 7,
 * Phantoms causing write skew; the store treats it as a scan of the whole table).
 */

import { unreachable } from "../../shared/assert.js";

export interface Row {
  readonly id: number;
  readonly value: number;
}

export type Where =
  | { readonly kind: "all" }
  | { readonly kind: "id"; readonly ids: readonly number[] }
  | { readonly kind: "valueEquals"; readonly value: number }
  | { readonly kind: "valueMod"; readonly modulus: number; readonly remainder: number }
  | { readonly kind: "valueBelow"; readonly value: number }
  | { readonly kind: "and"; readonly clauses: readonly Where[] };

/**
 * The keys a WHERE clause looks up, if it names them (`id = k`, `id in (...)`, or a conjunction
 * with such a clause): the store then reads by key, as an index scan does, instead of scanning.
 */
export function lookupIds(where: Where): readonly number[] | null {
  if (where.kind === "id") return where.ids;
  if (where.kind !== "and") return null;
  for (const clause of where.clauses) {
    const ids = lookupIds(clause);
    if (ids) return ids;
  }
  return null;
}

/** The SET clause of an UPDATE: a constant (`value = 11`) or an increment (`value = value + 10`). */
export type SetValue =
  | { readonly kind: "const"; readonly value: number }
  | { readonly kind: "add"; readonly delta: number };

/**
 * The isolation levels the store offers. PostgreSQL's REPEATABLE READ is snapshot isolation and
 * its SERIALIZABLE is serializable snapshot isolation (DDIA ch. 7, Snapshot Isolation and
 * Repeatable Read; Serializable Snapshot Isolation (SSI)); PostgreSQL has no two-phase locking
 * level, which the store adds as the book's other way to serializability (DDIA ch. 7, Two-Phase
 * Locking (2PL)).
 */
export const LEVELS = [
  "read committed",
  "snapshot isolation",
  "serializable snapshot isolation",
  "two-phase locking",
] as const;
export type IsolationLevel = (typeof LEVELS)[number];

/** What each level is called in PostgreSQL's `set transaction isolation level`, if it has one. */
export const POSTGRES_LEVEL: Record<IsolationLevel, string | null> = {
  "read committed": "read committed",
  "snapshot isolation": "repeatable read",
  "serializable snapshot isolation": "serializable",
  "two-phase locking": null,
};

export type Statement =
  | { readonly kind: "begin"; readonly level: IsolationLevel }
  | {
      readonly kind: "select";
      readonly where: Where;
      /**
       * `select ... for update`: lock each row returned, as an UPDATE would, without changing it
       * (DDIA ch. 7, Preventing Lost Updates: Explicit locking).
       */
      readonly forUpdate?: boolean;
    }
  | { readonly kind: "insert"; readonly row: Row }
  | {
      readonly kind: "update";
      readonly where: Where;
      readonly set: SetValue;
      /** `returning *`: the result carries the new versions of the rows changed. */
      readonly returning?: boolean;
    }
  | { readonly kind: "delete"; readonly where: Where }
  | { readonly kind: "commit" }
  | { readonly kind: "abort" };

/**
 * The SQLSTATE codes the store reports, as PostgreSQL's errcodes.txt names them:
 * 40001 serialization_failure, 40P01 deadlock_detected, 25P02 in_failed_sql_transaction,
 * 23505 unique_violation.
 */
export type SqlState = "40001" | "40P01" | "25P02" | "23505";

/**
 * What one statement did. `blocked`: it waits for the transactions on the connections named in
 * `waitingFor` to commit or abort, and will finish later (the store reports it then).
 * A COMMIT of a transaction that has already failed ends it as a rollback, as PostgreSQL's does
 * (its command tag is ROLLBACK and no error is raised).
 */
export type Result =
  | {
      readonly status: "ok";
      readonly tag: CommandTag;
      /** The rows a SELECT (or an UPDATE ... RETURNING) returned, in key order. */
      readonly rows?: readonly Row[];
      /** How many rows an INSERT, UPDATE or DELETE changed (PostgreSQL's command tag count). */
      readonly count?: number;
    }
  | { readonly status: "blocked"; readonly waitingFor: readonly string[] }
  | {
      readonly status: "error";
      readonly code: SqlState;
      readonly message: string;
      /** PostgreSQL's DETAIL line, where it gives one (SSI's reason code). */
      readonly detail?: string;
    };

export type CommandTag =
  | "BEGIN"
  | "SELECT"
  | "INSERT"
  | "UPDATE"
  | "DELETE"
  | "COMMIT"
  | "ROLLBACK";

export function matches(where: Where, row: Row): boolean {
  switch (where.kind) {
    case "all":
      return true;
    case "id":
      return where.ids.includes(row.id);
    case "valueEquals":
      return row.value === where.value;
    case "valueMod":
      // SQL's % keeps the sign of the dividend, as JavaScript's does.
      return row.value % where.modulus === where.remainder;
    case "valueBelow":
      return row.value < where.value;
    case "and":
      return where.clauses.every((clause) => matches(clause, row));
    default:
      return unreachable(where, "where clause");
  }
}

export function applySet(set: SetValue, value: number): number {
  switch (set.kind) {
    case "const":
      return set.value;
    case "add":
      return value + set.delta;
    default:
      return unreachable(set, "set clause");
  }
}

export function whereSql(where: Where): string {
  return where.kind === "all" ? "" : ` where ${conditionSql(where)}`;
}

function conditionSql(where: Where): string {
  switch (where.kind) {
    case "all":
      return "true";
    case "id":
      return where.ids.length === 1 ? `id = ${where.ids[0]}` : `id in (${where.ids.join(",")})`;
    case "valueEquals":
      return `value = ${where.value}`;
    case "valueMod":
      return `value % ${where.modulus} = ${where.remainder}`;
    case "valueBelow":
      return `value < ${where.value}`;
    case "and":
      return where.clauses.map(conditionSql).join(" and ");
    default:
      return unreachable(where, "where clause");
  }
}

function setSql(set: SetValue): string {
  switch (set.kind) {
    case "const":
      return `value = ${set.value}`;
    case "add":
      return set.delta >= 0 ? `value = value + ${set.delta}` : `value = value - ${-set.delta}`;
    default:
      return unreachable(set, "set clause");
  }
}

/** The statement as PostgreSQL SQL, in Hermitage's spelling. */
export function sqlOf(statement: Statement): string {
  switch (statement.kind) {
    case "begin": {
      const level = POSTGRES_LEVEL[statement.level];
      // Two-phase locking has no PostgreSQL level: the SQL names the level a reader would ask for.
      return level === null
        ? "begin; -- two-phase locking (no PostgreSQL level)"
        : `begin; set transaction isolation level ${level};`;
    }
    case "select":
      return `select * from test${whereSql(statement.where)}${statement.forUpdate ? " for update" : ""};`;
    case "insert":
      return `insert into test (id, value) values (${statement.row.id}, ${statement.row.value});`;
    case "update":
      return `update test set ${setSql(statement.set)}${whereSql(statement.where)}${statement.returning ? " returning *" : ""};`;
    case "delete":
      return `delete from test${whereSql(statement.where)};`;
    case "commit":
      return "commit;";
    case "abort":
      return "abort;";
    default:
      return unreachable(statement, "statement");
  }
}

/** Rows as Hermitage's comments write them: `1 => 10, 2 => 20`, or `(none)`. */
export function rowsText(rows: readonly Row[]): string {
  return rows.length === 0 ? "(none)" : rows.map((r) => `${r.id} => ${r.value}`).join(", ");
}

/** The result in a few words, for a trace or a side-by-side table. */
export function resultText(result: Result): string {
  switch (result.status) {
    case "ok":
      if (result.rows !== undefined) return rowsText(result.rows);
      return result.count === undefined ? result.tag : `${result.tag} ${result.count}`;
    case "blocked":
      return `blocked (waits for ${result.waitingFor.join(", ")})`;
    case "error":
      return `ERROR ${result.code}: ${result.message}`;
    default:
      return unreachable(result, "result");
  }
}

/** An error a statement raises, with its SQLSTATE: the store fails the transaction, as PostgreSQL does. */
export class SqlError extends Error {
  override name = "SqlError";
  constructor(
    readonly code: SqlState,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }

  toResult(): Result {
    return this.detail === undefined
      ? { status: "error", code: this.code, message: this.message }
      : { status: "error", code: this.code, message: this.message, detail: this.detail };
  }
}

/** PostgreSQL's message for an SSI failure (predicate.c); the reason code is in its DETAIL line. */
export const RW_DEPENDENCIES =
  "could not serialize access due to read/write dependencies among transactions";
