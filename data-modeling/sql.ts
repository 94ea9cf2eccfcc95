/**
 * Real SQL on SQLite, embedded in the process through sql.js (SQLite compiled to WebAssembly),
 * with every statement written to the trace as it runs, and counted. The relational side of
 * every data-modeling scenario goes through this wrapper, so what the learner reads in the trace
 * is exactly what the engine executed.
 */

import initSqlJs, { type Database, type SqlJsStatic, type SqlValue } from "sql.js";
import type { Trace } from "../shared/trace.js";

let engine: Promise<SqlJsStatic> | undefined;

export type Row = Record<string, SqlValue>;
export type Params = SqlValue[] | Record<string, SqlValue>;

export interface SqlStats {
  statements: number;
  /** JOIN clauses in the statements run (the cost the book's "messy multi-way join" names). */
  joins: number;
  rowsReturned: number;
  rowsChanged: number;
  /** CREATE, ALTER and DROP statements run. */
  schemaChanges: number;
}

export class Sql {
  readonly stats: SqlStats = {
    statements: 0,
    joins: 0,
    rowsReturned: 0,
    rowsChanged: 0,
    schemaChanges: 0,
  };
  private detail = false;

  constructor(
    private readonly db: Database,
    private readonly trace: Trace | undefined,
  ) {}

  /** A fresh in-memory database with foreign keys enforced. */
  static async open(trace?: Trace): Promise<Sql> {
    engine ??= initSqlJs();
    const sql = new Sql(new (await engine).Database(), trace);
    sql.db.run("PRAGMA foreign_keys = ON");
    return sql;
  }

  /** Run `body` with its statements marked as bulk detail (shown only with --verbose). */
  bulk<T>(body: () => T): T {
    const before = this.detail;
    this.detail = true;
    try {
      return body();
    } finally {
      this.detail = before;
    }
  }

  /** Run a query and return its rows as objects. */
  all(text: string, params?: Params): Row[] {
    const statement = this.db.prepare(text);
    const rows: Row[] = [];
    try {
      if (params !== undefined) statement.bind(params);
      while (statement.step()) rows.push(statement.getAsObject());
    } finally {
      statement.free();
    }
    this.stats.statements++;
    this.stats.joins += (text.match(/\bJOIN\b/gi) ?? []).length;
    this.stats.rowsReturned += rows.length;
    this.trace?.query("sql", withParams(text, params), describeRows(rows), this.detail);
    return rows;
  }

  /** SQLite's plan for a query, one step per line, traced as the query's result. */
  explain(text: string, params?: Params): string[] {
    const statement = this.db.prepare(`EXPLAIN QUERY PLAN ${text}`);
    const steps: string[] = [];
    try {
      if (params !== undefined) statement.bind(params);
      while (statement.step()) steps.push(String(statement.getAsObject().detail));
    } finally {
      statement.free();
    }
    this.trace?.query(
      "sql",
      withParams(`EXPLAIN QUERY PLAN ${text}`, params),
      steps.join("; "),
      this.detail,
    );
    return steps;
  }

  /** The first column of the first row, or undefined. */
  value(text: string, params?: Params): SqlValue | undefined {
    const row = this.all(text, params)[0];
    return row === undefined ? undefined : Object.values(row)[0];
  }

  /** Run a statement that changes data (or the schema); returns the rows it changed. */
  run(text: string, params?: Params): number {
    this.db.run(text, params);
    // SQLite's count of changed rows only means something after INSERT, UPDATE or DELETE.
    const isDml = /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(text);
    const changed = isDml ? this.db.getRowsModified() : 0;
    this.stats.statements++;
    this.stats.rowsChanged += changed;
    if (/^\s*(CREATE|ALTER|DROP)\b/i.test(text)) this.stats.schemaChanges++;
    const result = isDml ? `${changed} row${changed === 1 ? "" : "s"} changed` : "ok";
    this.trace?.query("sql", withParams(text, params), result, this.detail);
    return changed;
  }

  /** Run a statement expected to fail, and return SQLite's error message. */
  runExpectingError(text: string, params?: Params): string | undefined {
    try {
      this.run(text, params);
      return undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.stats.statements++;
      this.trace?.query("sql", withParams(text, params), `error: ${message}`, this.detail);
      return message;
    }
  }

  close(): void {
    this.db.close();
  }
}

/** What a query returned, in a few words: a single value is shown, otherwise the row count. */
function describeRows(rows: readonly Row[]): string {
  const only = rows.length === 1 ? Object.entries(rows[0] as Row) : [];
  if (only.length === 1) {
    const [column, value] = only[0] as [string, SqlValue];
    const shown =
      typeof value === "string" && value.length > 60
        ? `${value.slice(0, 57)}...`
        : JSON.stringify(value);
    return `${column} = ${shown}`;
  }
  return `${rows.length} row${rows.length === 1 ? "" : "s"}`;
}

/** The statement as the trace shows it: dedented, with its parameters appended. */
function withParams(text: string, params: Params | undefined): string {
  const trimmed = dedent(text);
  if (params === undefined || (Array.isArray(params) && params.length === 0)) return trimmed;
  return `${trimmed}   -- ${JSON.stringify(params)}`;
}

/**
 * Remove the indentation that a statement's continuation lines share. The first line starts right
 * after the opening quote in the source, so it has none and is left as it is.
 */
export function dedent(text: string): string {
  const [first = "", ...rest] = text.trim().split("\n");
  const indents = rest.filter((l) => l.trim() !== "").map((l) => l.match(/^ */)?.[0].length ?? 0);
  const common = indents.length === 0 ? 0 : Math.min(...indents);
  return [first, ...rest.map((l) => `  ${l.slice(common)}`)].join("\n");
}
