/**
 * Real SQL on SQLite, embedded in the process through sql.js (SQLite compiled to WebAssembly),
 * with every statement written to the trace as it runs, and counted. The relational side of
 * every data-modeling scenario goes through this wrapper, so what the learner reads in the trace
 * is exactly what the engine executed.
 */

import { createRequire } from "node:module";
import type { Database, SqlJsStatic, SqlValue, Statement } from "sql.js";
import type { Trace } from "../shared/trace.js";

/**
 * sql.js is a CommonJS module. Required, it loads through Node's CommonJS loader in this thread;
 * imported, it would also be scanned for its export names and handed across to the thread where
 * tsx's import hooks run, which costs tens of milliseconds at every start.
 */
const initSqlJs = createRequire(import.meta.url)("sql.js") as typeof import("sql.js").default;

/**
 * The engine, compiling from the moment this module loads. WebAssembly compiles off the main
 * thread, so starting here overlaps it with loading the rest of the program and parsing the
 * command line, instead of making the first statement wait for all of it.
 */
const engine: Promise<SqlJsStatic> = initSqlJs();
// A failure surfaces where it matters, in open(), which awaits this same promise.
engine.catch(() => undefined);

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
  /**
   * Each distinct statement text is compiled once and reused with new parameters, as a driver's
   * prepared statements are: compiling SQL costs more than running a small INSERT, and a bulk
   * load runs the same few texts thousands of times. Limited, since texts can be built at run time.
   */
  private readonly prepared = new Map<string, Statement>();
  private static readonly preparedMax = 500;

  constructor(
    private readonly db: Database,
    private readonly trace: Trace | undefined,
  ) {}

  /** A fresh in-memory database with foreign keys enforced. */
  static async open(trace?: Trace): Promise<Sql> {
    const sql = new Sql(new (await engine).Database(), trace);
    sql.bulk(() => {
      sql.run("PRAGMA foreign_keys = ON");
      // sql.js keeps the database in a file of Emscripten's in-memory file system, which only this
      // process ever opens. Holding its lock for the whole session (SQLite then skips re-reading
      // the file header and looking for a hot journal before every statement) and keeping the
      // rollback journal in memory instead of creating and deleting a journal file per
      // transaction change nothing a scenario shows: transactions, rollbacks and savepoints work
      // as before, and no crash can outlive the process. They make each statement several times
      // cheaper.
      sql.run("PRAGMA locking_mode = EXCLUSIVE");
      sql.run("PRAGMA journal_mode = MEMORY");
    });
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

  /**
   * Run `body` inside one transaction, BEGIN and COMMIT traced like any statement; ROLLBACK if it
   * throws. A bulk load does this for the reason real loaders do: each statement outside a
   * transaction is a transaction of its own, with its own journal to write and remove.
   */
  transaction<T>(body: () => T): T {
    this.run("BEGIN");
    let result: T;
    try {
      result = body();
    } catch (error) {
      this.run("ROLLBACK");
      throw error;
    }
    this.run("COMMIT");
    return result;
  }

  /** The compiled statement for `text`, from the cache or compiled now. */
  private statement(text: string): Statement {
    const cached = this.prepared.get(text);
    if (cached !== undefined) return cached;
    // sqlite3_prepare compiles the first statement of a text and ignores the rest: a second one
    // would silently not run.
    if (/;\s*\S/.test(text)) throw new Error(`one statement at a time, not: ${text}`);
    const statement = this.db.prepare(text);
    if (this.prepared.size < Sql.preparedMax) this.prepared.set(text, statement);
    return statement;
  }

  /** Give a statement back: cached ones are reset for their next use, others freed. */
  private release(text: string, statement: Statement): void {
    if (this.prepared.get(text) === statement) statement.reset();
    else statement.free();
  }

  /** Run a query and return its rows as objects. */
  all(text: string, params?: Params): Row[] {
    const statement = this.statement(text);
    const rows: Row[] = [];
    try {
      if (params !== undefined) statement.bind(params);
      // The column names once per query, not once per row as getAsObject asks for them.
      let columns: string[] | undefined;
      while (statement.step()) {
        columns ??= statement.getColumnNames();
        const values = statement.get();
        const row: Row = {};
        for (let i = 0; i < columns.length; i++) row[columns[i] as string] = values[i] as SqlValue;
        rows.push(row);
      }
    } finally {
      this.release(text, statement);
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
    const statement = this.statement(text);
    try {
      if (params !== undefined) statement.bind(params);
      statement.step();
    } finally {
      this.release(text, statement);
    }
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
    // Closing the database finalizes every statement prepared on it, the cached ones included.
    this.prepared.clear();
    this.db.close();
  }
}

/**
 * What a query returned, in a few words: a single value is shown whole (a JSON document one field
 * per line, under the arrow), otherwise the row count.
 */
function describeRows(rows: readonly Row[]): string {
  const only = rows.length === 1 ? Object.entries(rows[0] as Row) : [];
  if (only.length === 1) {
    const [column, value] = only[0] as [string, SqlValue];
    const document = typeof value === "string" ? parseObject(value) : undefined;
    // The renderer indents only the first line ("    → "); the rest line up under it.
    if (document !== undefined) return `${column} = ${formatJson(document, "      ")}`;
    return `${column} = ${JSON.stringify(value)}`;
  }
  return `${rows.length} row${rows.length === 1 ? "" : "s"}`;
}

function parseObject(text: string): object | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A JSON object as a few lines: one line per field, nested values kept compact. `indent` goes
 * before every line after the first, so that a document lines up under whatever precedes it.
 */
export function formatJson(document: object, indent = ""): string {
  const fields = Object.entries(document).map(
    ([key, value]) => `${indent}  ${JSON.stringify(key)}: ${JSON.stringify(value)}`,
  );
  return `{\n${fields.join(",\n")}\n${indent}}`;
}

/** Statement texts as the trace shows them, dedented once: a bulk load repeats the same few. */
const dedented = new Map<string, string>();

/** The statement as the trace shows it: dedented, with its parameters appended. */
function withParams(text: string, params: Params | undefined): string {
  let trimmed = dedented.get(text);
  if (trimmed === undefined) {
    trimmed = dedent(text);
    if (dedented.size < 1_000) dedented.set(text, trimmed);
  }
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
