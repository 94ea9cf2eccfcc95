/**
 * Hermitage's steps (`../hermitage/cases.ts`) on a real PostgreSQL, so that each step's outcome on
 * the simulated store can be set beside what PostgreSQL does (DDIA ch. 7, Weak Isolation Levels;
 * github.com/ept/hermitage, postgres.md).
 *
 * Each Hermitage connection (T1, T2, T3) is a node-postgres `Client`, one backend each. A run
 * makes its own schema (`hermitage_<pid of its watching backend>`), so that runs on one database
 * do not collide, and drops it at the end, and drops the schemas of runs that died before they
 * could (named after a pid no live backend has). The connections turn off lock_timeout,
 * statement_timeout and idle_in_transaction_session_timeout, which a role may set and which would
 * fail a waiting step. Before each variant Hermitage's setup is run in the schema:
 *
 *   create table test (id int primary key, value int);
 *   insert into test (id, value) values (1, 10), (2, 20);
 *
 * Steps are sent in order. A step that blocks in PostgreSQL cannot be awaited: it is sent, and the
 * run goes on with the next step on another connection while its promise is pending. Whether a
 * pending statement is blocked is not guessed from a delay: after each step the run asks the
 * server, through a fourth connection, `pg_blocking_pids(pid)` of every pending backend (PostgreSQL
 * docs, "System Information Functions"), and moves on only once every pending statement has either
 * finished or waits for a lock, in two polls in a row. So a slow statement is never taken for a
 * blocked one, and a released statement is credited to the step after which it finished. A wait
 * cycle (a deadlock) is left to PostgreSQL's detector, which runs deadlock_timeout (1 s by default;
 * the run reads the server's) after a backend began to wait: the run waits for it to fail one of
 * them before it moves on. (None of Hermitage's cases deadlocks at PostgreSQL's levels; the store's
 * two-phase locking, which does, is never sent to PostgreSQL.)
 *
 * This is real I/O with real time, outside every simulation: it never runs in the deterministic
 * scenarios unless `--postgres` is given.
 */

import pg from "pg";
import { assert } from "../../shared/assert.js";
import {
  CASES,
  type Conn,
  type HermitageCase,
  type RunView,
  type Variant,
} from "../hermitage/cases.js";
import { statementOf, type Verdict } from "../hermitage/runner.js";
import {
  type IsolationLevel,
  POSTGRES_LEVEL,
  type Result,
  type Row,
  type SqlState,
  type Statement,
} from "../store/statements.js";

/** What PostgreSQL answered to one step, in the store's terms. */
export type RealResult =
  | {
      readonly status: "ok";
      readonly tag: string;
      readonly rows?: readonly Row[];
      readonly count?: number;
    }
  | { readonly status: "blocked"; readonly waitingFor: readonly string[] }
  | { readonly status: "error"; readonly code: string; readonly message: string };

export interface RealStepRecord {
  readonly index: number;
  readonly conn: Conn;
  readonly sql: string;
  readonly statement: Statement;
  /** Sent while its connection still waited for an earlier statement (node-postgres queued it). */
  queued: boolean;
  /** PostgreSQL made it wait for a lock. */
  blocked: boolean;
  /** The connections holding the locks it waited for, when it blocked. */
  waitedFor: string[];
  /** The step after which it was found finished, when it had been blocked or queued. */
  releasedBy: number | null;
  /** The final result; `blocked` if it never finished before the variant ended. */
  result: RealResult;
  /** Order of completion across the variant (-1: never). */
  finishedAt: number;
}

export interface RealVariantOutcome {
  readonly name: string;
  readonly steps: readonly RealStepRecord[];
  readonly verdict: Verdict;
}

export interface RealCaseOutcome {
  readonly id: HermitageCase["id"];
  readonly verdict: Verdict;
  readonly variants: readonly RealVariantOutcome[];
}

/** No server answered, or it refused us: the one line the CLI prints (without `error: `). */
export class PostgresUnavailable extends Error {
  override name = "PostgresUnavailable";
}

/**
 * How long, by the server's clock, a pending statement may stay neither finished nor blocked
 * before the run gives up; while the waits form a cycle the run also allows the server's
 * deadlock_timeout, after which PostgreSQL's detector breaks it.
 */
const SETTLE_LIMIT_MS = 10_000;
const POLL_MS = 5;
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Settings a role or database may have changed that would fail a step PostgreSQL makes wait, or a
 * transaction Hermitage leaves open between steps (SQLSTATE 55P03, 57014, 25P03): off for the
 * run's connections, so that only the steps decide what happens.
 */
const SESSION_SETTINGS =
  "set lock_timeout = 0; set statement_timeout = 0; set idle_in_transaction_session_timeout = 0";

/** `url`: a postgres:// URL, or undefined for the PG environment variables, as `pg` reads them. */
function clientFor(url: string | undefined): pg.Client {
  const client = new pg.Client(
    url === undefined
      ? { connectionTimeoutMillis: CONNECT_TIMEOUT_MS }
      : { connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS },
  );
  // A backend that goes away mid-run must not crash the process; the pending query rejects.
  client.on("error", () => {});
  client.on("notice", () => {});
  return client;
}

/** Where a client connects, for messages: `localhost:5432`. */
export function serverOf(url: string | undefined): string {
  const client = new pg.Client(url === undefined ? {} : { connectionString: url });
  return `${client.host}:${client.port}`;
}

async function connect(url: string | undefined): Promise<pg.Client> {
  const client = clientFor(url);
  try {
    await client.connect();
  } catch (error) {
    const e = error as { code?: string; message?: string };
    const server = serverOf(url);
    const why = e.code ?? e.message ?? String(error);
    if (
      e.code === "ECONNREFUSED" ||
      e.code === "ENOTFOUND" ||
      e.code === "EAI_AGAIN" ||
      e.code === "ENOENT" ||
      e.code === "ETIMEDOUT" ||
      /timeout/i.test(e.message ?? "")
    ) {
      throw new PostgresUnavailable(
        `no PostgreSQL at ${server} (${e.code ?? "timeout"}); start one with: eval "$(.ci/run --postgres-only)" (or sudo pg_ctlcluster <version> main start), or give --postgres postgres://user:pass@host/db`,
      );
    }
    throw new PostgresUnavailable(
      `PostgreSQL at ${server} refused the connection (${why}: ${e.message ?? ""}); give a role and database it accepts with PGUSER, PGPASSWORD and PGDATABASE (.ci/run --postgres-only makes one and prints them), or --postgres postgres://user:pass@host/db`,
    );
  }
  return client;
}

/** The rows of a SELECT, sorted by key: PostgreSQL returns a scan in physical order. */
function rowsOf(rows: readonly Record<string, unknown>[]): Row[] {
  return rows
    .map((row) => ({ id: Number(row.id), value: Number(row.value) }))
    .sort((a, b) => a.id - b.id);
}

function resultOf(result: pg.QueryResult, statement: Statement): RealResult {
  if (statement.kind === "select")
    return { status: "ok", tag: result.command, rows: rowsOf(result.rows) };
  if (
    result.rowCount === null ||
    statement.kind === "begin" ||
    statement.kind === "commit" ||
    statement.kind === "abort"
  ) {
    return { status: "ok", tag: result.command };
  }
  return { status: "ok", tag: result.command, count: result.rowCount };
}

function errorOf(error: unknown): RealResult {
  const e = error as { code?: string; message?: string };
  return { status: "error", code: e.code ?? "unknown", message: e.message ?? String(error) };
}

/** The SQL a step sends to PostgreSQL: Hermitage's text, or the level's one-statement BEGIN. */
export function postgresSqlFor(sql: string | null, level: IsolationLevel): string {
  if (sql !== null) return sql;
  const name = POSTGRES_LEVEL[level];
  assert(name !== null, `${level} has no PostgreSQL level`);
  return `begin isolation level ${name};`;
}

interface Pending {
  readonly record: RealStepRecord;
  done: boolean;
}

/**
 * One run on one server: four connections (T1, T2, T3 and one that sets up and watches) and a
 * schema of its own. `close()` drops the schema and ends the connections.
 */
export class PostgresSession {
  private constructor(
    private readonly admin: pg.Client,
    private readonly conns: Map<Conn, pg.Client>,
    private readonly pids: Map<number, Conn>,
    readonly schema: string,
    readonly serverVersion: string,
    /** The server's deadlock_timeout, in ms: how long a cycle of waits lasts before it is broken. */
    private readonly deadlockTimeoutMs: number,
  ) {}

  static async open(url: string | undefined): Promise<PostgresSession> {
    const admin = await connect(url);
    const conns = new Map<Conn, pg.Client>();
    const pids = new Map<number, Conn>();
    // Named after the watching backend's pid, which no other live session on the server has; a
    // schema of that name can only be left over from a run that died, and is dropped.
    let schema = "";
    try {
      const version = await admin.query("show server_version");
      const deadlock = await admin.query(
        "select setting::int as ms from pg_settings where name = 'deadlock_timeout'",
      );
      const pid = await admin.query("select pg_backend_pid() as pid");
      await admin.query(SESSION_SETTINGS);
      schema = `hermitage_${Number(pid.rows[0].pid)}`;
      // Schemas of runs that died (killed, or lost their connection) before dropping theirs: each
      // is named after a backend that no longer exists. One this role may not drop is left alone.
      const leftovers = await admin.query(
        `select nspname from pg_namespace
          where nspname ~ '^hermitage_[0-9]+$'
            and substr(nspname, 11)::bigint not in (select pid from pg_stat_activity)`,
      );
      for (const row of leftovers.rows as { nspname: string }[]) {
        await admin.query(`drop schema if exists ${row.nspname} cascade`).catch(() => {});
      }
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.query(`create schema ${schema}`);
      await admin.query(`set search_path to ${schema}`);
      for (const name of ["T1", "T2", "T3"] as const) {
        const client = await connect(url);
        conns.set(name, client);
        await client.query(SESSION_SETTINGS);
        await client.query(`set search_path to ${schema}`);
        const pid = await client.query("select pg_backend_pid() as pid");
        pids.set(Number(pid.rows[0].pid), name);
      }
      return new PostgresSession(
        admin,
        conns,
        pids,
        schema,
        String(version.rows[0].server_version),
        Number(deadlock.rows[0]?.ms ?? 1000),
      );
    } catch (error) {
      if (schema !== "")
        await admin.query(`drop schema if exists ${schema} cascade`).catch(() => {});
      for (const client of conns.values()) await client.end().catch(() => {});
      await admin.end().catch(() => {});
      throw error;
    }
  }

  async close(): Promise<void> {
    for (const client of this.conns.values()) await client.end().catch(() => {});
    await this.admin.query(`drop schema if exists ${this.schema} cascade`).catch(() => {});
    await this.admin.end().catch(() => {});
  }

  private client(conn: Conn): pg.Client {
    const client = this.conns.get(conn);
    assert(client !== undefined, `no connection ${conn}`);
    return client;
  }

  private pidOf(conn: Conn): number {
    for (const [pid, name] of this.pids) if (name === conn) return pid;
    throw new Error(`no backend for ${conn}`);
  }

  /** The connections each pending backend waits for (empty: it is not waiting for a lock). */
  private async blockers(conns: readonly Conn[]): Promise<Map<Conn, string[]>> {
    const pids = conns.map((c) => this.pidOf(c));
    const answer = await this.admin.query(
      "select pid, pg_blocking_pids(pid) as blockers from unnest($1::int[]) as pid",
      [pids],
    );
    const out = new Map<Conn, string[]>();
    for (const row of answer.rows as { pid: number; blockers: number[] }[]) {
      const conn = this.pids.get(Number(row.pid)) as Conn;
      out.set(
        conn,
        row.blockers.map((pid) => this.pids.get(Number(pid)) ?? `backend ${pid}`),
      );
    }
    return out;
  }

  /**
   * Wait until every pending statement has finished or waits for a lock, twice in a row (a
   * statement woken by a commit may wait a moment for a lock its fellow waiter holds); while the
   * waits form a cycle, wait for PostgreSQL's deadlock detector to break it.
   */
  private async settle(pending: readonly Pending[]): Promise<Map<Conn, string[]>> {
    let stableRounds = 0;
    const limitMs = SETTLE_LIMIT_MS + this.deadlockTimeoutMs;
    // Time is the server's clock (clock_timestamp, pg_sleep): this module keeps no timers of its
    // own, as no file in a concept folder does (tests/shared/determinism.test.ts).
    const startMs = await this.serverMs(0);
    for (let nowMs = startMs; nowMs - startMs < limitMs; ) {
      const open = pending.filter((p) => !p.done);
      if (open.length === 0) return new Map();
      const blockers = await this.blockers(open.map((p) => p.record.conn));
      const stillOpen = open.filter((p) => !p.done);
      const allWaiting = stillOpen.every((p) => (blockers.get(p.record.conn)?.length ?? 0) > 0);
      if (allWaiting && !hasCycle(blockers, stillOpen)) {
        stableRounds++;
        if (stableRounds >= 2) return blockers;
      } else {
        stableRounds = 0;
      }
      nowMs = await this.serverMs(POLL_MS);
    }
    throw new Error(
      `a statement neither finished nor waited for a lock within ${limitMs} ms: ${pending
        .filter((p) => !p.done)
        .map((p) => `${p.record.conn} ${p.record.sql}`)
        .join("; ")}`,
    );
  }

  /** The server's clock in ms, after sleeping `sleepMs` there. */
  private async serverMs(sleepMs: number): Promise<number> {
    const answer = await this.admin.query(
      "select extract(epoch from clock_timestamp()) * 1000 as ms from pg_sleep($1)",
      [sleepMs / 1000],
    );
    return Number(answer.rows[0].ms);
  }

  /** Hermitage's setup, in this run's schema: a fresh table `test` with rows 1 => 10 and 2 => 20. */
  private async setup(): Promise<void> {
    await this.admin.query("drop table if exists test");
    await this.admin.query("create table test (id int primary key, value int)");
    await this.admin.query("insert into test (id, value) values (1, 10), (2, 20)");
  }

  async runVariant(variant: Variant, level: IsolationLevel): Promise<RealVariantOutcome> {
    await this.setup();
    const records: RealStepRecord[] = variant.steps.map((step, index) => ({
      index,
      conn: step.conn,
      sql: postgresSqlFor(step.sql, level),
      statement: statementOf(step, level),
      queued: false,
      blocked: false,
      waitedFor: [],
      releasedBy: null,
      result: { status: "blocked", waitingFor: [] },
      finishedAt: -1,
    }));
    let finishedCount = 0;
    const pending: Pending[] = [];
    const promises: Promise<void>[] = [];

    for (const record of records) {
      record.queued = pending.some((p) => !p.done && p.record.conn === record.conn);
      const entry: Pending = { record, done: false };
      pending.push(entry);
      promises.push(
        this.client(record.conn)
          .query(record.sql)
          .then(
            (result) => resultOf(result, record.statement),
            (error: unknown) => errorOf(error),
          )
          .then((result) => {
            record.result = result;
            record.finishedAt = finishedCount++;
            entry.done = true;
          }),
      );
      const blockers = await this.settle(pending);
      for (const p of pending) {
        if (p.record === record) {
          if (!p.done) {
            record.blocked = !record.queued;
            record.waitedFor = blockers.get(record.conn) ?? [];
            record.result = { status: "blocked", waitingFor: record.waitedFor };
          }
        } else if (
          p.done &&
          (p.record.blocked || p.record.queued) &&
          p.record.releasedBy === null
        ) {
          p.record.releasedBy = record.index;
        }
      }
      // Drop finished entries so that the next round asks only about pending ones.
      for (let i = pending.length - 1; i >= 0; i--)
        if ((pending[i] as Pending).done) pending.splice(i, 1);
    }

    // Statements still blocked when the steps run out never finished: end every transaction so
    // that they do, and leave their records as they were.
    const neverFinished = new Set(pending.map((p) => p.record));
    for (const conn of this.conns.keys()) {
      if (!pending.some((p) => p.record.conn === conn)) await this.client(conn).query("rollback");
    }
    for (const conn of new Set(pending.map((p) => p.record.conn))) {
      await this.admin.query("select pg_cancel_backend($1)", [this.pidOf(conn)]);
    }
    await Promise.all(promises);
    for (const conn of this.conns.keys()) await this.client(conn).query("rollback");
    for (const record of neverFinished) {
      record.result = { status: "blocked", waitingFor: record.waitedFor };
      record.finishedAt = -1;
    }

    const labelled = (label: string): RealStepRecord => {
      const index = variant.steps.findIndex((s) => s.label === label);
      assert(index >= 0, `variant ${variant.name} has no step labelled ${label}`);
      return records[index] as RealStepRecord;
    };
    const view: RunView = {
      result: (label) => asStoreResult(labelled(label).result),
      finishedAt: (label) => labelled(label).finishedAt,
    };
    return {
      name: variant.name,
      steps: records,
      verdict: variant.occurs(view) ? "occurs" : "prevented",
    };
  }

  async runCase(hermitageCase: HermitageCase, level: IsolationLevel): Promise<RealCaseOutcome> {
    const variants: RealVariantOutcome[] = [];
    for (const variant of hermitageCase.variants)
      variants.push(await this.runVariant(variant, level));
    return {
      id: hermitageCase.id,
      verdict: variants.some((v) => v.verdict === "occurs") ? "occurs" : "prevented",
      variants,
    };
  }

  async runHermitage(level: IsolationLevel, cases = CASES): Promise<RealCaseOutcome[]> {
    const outcomes: RealCaseOutcome[] = [];
    for (const c of cases) outcomes.push(await this.runCase(c, level));
    return outcomes;
  }
}

function hasCycle(blockers: Map<Conn, string[]>, open: readonly Pending[]): boolean {
  const waiting = new Set(open.map((p) => p.record.conn as string));
  const visit = (conn: string, path: Set<string>): boolean => {
    if (path.has(conn)) return true;
    if (!waiting.has(conn)) return false;
    path.add(conn);
    const found = (blockers.get(conn as Conn) ?? []).some((next) => visit(next, path));
    path.delete(conn);
    return found;
  };
  return [...waiting].some((conn) => visit(conn, new Set()));
}

/** A real result as the judges of `cases.ts` read results. */
function asStoreResult(result: RealResult): Result {
  switch (result.status) {
    case "ok":
      return {
        status: "ok",
        tag: result.tag as Extract<Result, { status: "ok" }>["tag"],
        ...(result.rows !== undefined ? { rows: result.rows } : {}),
        ...(result.count !== undefined ? { count: result.count } : {}),
      };
    case "blocked":
      return result;
    case "error":
      return { status: "error", code: result.code as SqlState, message: result.message };
  }
}
