/**
 * The isolation scenarios: each run's outcome, checked against the book's figures by hand (the
 * numbers in the comments), each broken variant's anomaly named by the isolation checker and each
 * fix judged clean by it; the command line: exit status, --json checks, --export-history, bad
 * flags, determinism; and every step of every run at PostgreSQL's levels replayed on a real
 * PostgreSQL, with the same outcome.
 */

import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session, StepRecord } from "../../distributed-transactions/isolation/session.js";
import { distributedTransactions } from "../../distributed-transactions/main.js";
import {
  figure74,
  figure75,
  READ_VARIANTS,
  WRITE_VARIANTS,
} from "../../distributed-transactions/scenarios/dirty-reads-and-writes.js";
import {
  VARIANTS as LOST_UPDATE,
  runVariant,
} from "../../distributed-transactions/scenarios/lost-update.js";
import {
  bookRoom,
  VARIANTS as PHANTOMS,
} from "../../distributed-transactions/scenarios/phantoms.js";
import { figure76 } from "../../distributed-transactions/scenarios/read-skew.js";
import {
  figure78,
  VARIANTS as WRITE_SKEW,
} from "../../distributed-transactions/scenarios/write-skew.js";
import {
  type Result,
  type Statement,
  sqlOf,
} from "../../distributed-transactions/store/statements.js";
import { checkIsolation, parseIsolationHistory } from "../../shared/check/isolation.js";
import { runCli } from "../../shared/cli.js";
import { Trace } from "../../shared/trace.js";

const silent = () => Trace.silent();

describe("dirty reads and dirty writes (figures 7-4 and 7-5)", () => {
  const [readCommitted, readUncommitted] = READ_VARIANTS;
  it("read committed shows user 2 the committed x = 2 until user 1 commits; read uncommitted shows 3", () => {
    const rc = figure74(silent(), readCommitted?.store ?? {}, "commit", false);
    expect([rc.before, rc.after]).toEqual([2, 3]); // figure 7-4: 2 until the commit, then 3
    const ru = figure74(silent(), readUncommitted?.store ?? {}, "commit", false);
    expect([ru.before, ru.after]).toEqual([3, 3]);
  });
  it("a rolled-back write read by user 2 is an aborted read (G1a) only on the broken store", () => {
    const rc = figure74(silent(), readCommitted?.store ?? {}, "rollback", false).session.judge();
    expect(rc.result.anomalies).toEqual([]);
    const ru = figure74(silent(), readUncommitted?.store ?? {}, "rollback", false).session.judge();
    expect(ru.result.anomalies).toContain("G1a");
    expect(ru.result.models["read-committed"]).toBe(false);
  });
  it("the checker cannot name a read of a write that later commits: the broken store's commit run has no anomaly", () => {
    // By hand: in the read uncommitted run user 2 read x = 3 twice, and user 1 wrote 3 once and
    // committed, so the serial order setup, user 1, user 2 explains every read: no G1a (nothing
    // aborted), no G1b (3 was user 1's final write of x), no cycle. The dirty read is in the
    // timing, which the scenario's own check judges. Read committed's user 2 read 2, then 3, in
    // one transaction: a non-repeatable read, Elle's internal inconsistency, allowed at read
    // committed.
    const ru = figure74(silent(), readUncommitted?.store ?? {}, "commit", false).session.judge();
    expect(ru.result.anomalies).toEqual([]);
    const rc = figure74(silent(), readCommitted?.store ?? {}, "commit", false).session.judge();
    expect(rc.result.anomalies).toEqual(["internal"]);
    expect(rc.result.models["read-committed"]).toBe(true);
  });
  it("the car sale goes to one buyer with row write locks, to two without", () => {
    const [locks, noLocks] = WRITE_VARIANTS;
    // Figure 7-5: with locks Bob's writes wait for Alice's commit and land after hers: Bob, Bob.
    const ok = figure75(silent(), locks?.store ?? {}, false);
    expect([ok.listing, ok.invoice]).toEqual([2, 2]);
    // Without: listing Alice then Bob, invoice Bob then Alice: the listing to Bob, invoice to Alice.
    const broken = figure75(silent(), noLocks?.store ?? {}, false);
    expect([broken.listing, broken.invoice]).toEqual([2, 1]);
  });
});

describe("read skew (figure 7-6)", () => {
  it("read committed: Alice sees $900 and the checker names G-single; snapshot isolation and 2PL: $1,000, none", () => {
    const rc = figure76(silent(), "read committed", false);
    expect(rc.seen).toBe(900); // 500 before the transfer + 400 after it
    expect(rc.session.judge().result.anomalies).toContain("G-single");
    for (const level of ["snapshot isolation", "two-phase locking"] as const) {
      const run = figure76(silent(), level, false);
      expect(run.seen, level).toBe(1000);
      expect(run.session.judge().result.anomalies, level).toEqual([]);
    }
  });
});

describe("lost updates", () => {
  it("the read-modify-write and the snapshot compare-and-set lose Alice's +1; every fix counts both", () => {
    const outcomes = LOST_UPDATE.map((v) => {
      const run = runVariant(silent(), v, false);
      return {
        title: v.title,
        broken: v.broken,
        final: run.final,
        anomalies: run.session.judge().result.anomalies,
      };
    });
    for (const o of outcomes) {
      // 42 + 1 + 2 = 45 when both count; 42 + 2 = 44 when Bob overwrites Alice's 43.
      expect(o.final, o.title).toBe(o.broken ? 44 : 45);
      if (o.broken) expect(o.anomalies, o.title).toContain("lost-update");
      else expect(o.anomalies, o.title).toEqual([]);
    }
    expect(outcomes.filter((o) => o.broken)).toHaveLength(2);
  });
});

describe("write skew (figure 7-8)", () => {
  it("read committed and snapshot isolation let both doctors go off call (G2-item); the fixes keep one", () => {
    for (const v of WRITE_SKEW) {
      const run = figure78(silent(), v, false);
      const { result } = run.session.judge();
      expect(run.onCallAtEnd, v.title).toBe(v.broken ? 0 : 1);
      if (v.broken) expect(result.anomalies, v.title).toContain("G2-item");
      else expect(result.models.serializable, `${v.title}: ${result.anomalies}`).toBe(true);
    }
  });
  it("SSI aborts one with 40001, two-phase locking one with 40P01", () => {
    const codes = (title: string) => {
      const v = WRITE_SKEW.find((w) => w.title === title);
      if (!v) throw new Error(title);
      return figure78(silent(), v, false)
        .session.endings.filter((e) => e.outcome === "fail")
        .map((e) => e.code);
    };
    expect(codes("Serializable snapshot isolation")).toEqual(["40001"]);
    expect(codes("Two-phase locking")).toEqual(["40P01"]);
  });
});

describe("phantoms (the meeting-room booking)", () => {
  it("snapshot isolation books noon twice (G2-item); SSI, predicate locks and a materialized slot once", () => {
    for (const v of PHANTOMS) {
      const run = bookRoom(silent(), v, false);
      const { result } = run.session.judge();
      expect(run.atNoon, v.title).toBe(v.broken ? 2 : 1);
      if (v.broken) expect(result.anomalies, v.title).toContain("G2-item");
      else expect(result.models.serializable, `${v.title}: ${result.anomalies}`).toBe(true);
    }
  });
});

describe("the command line", () => {
  const cli = async (argv: string[]) => {
    let out = "";
    let err = "";
    const code = await runCli(distributedTransactions, argv, {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        err += t;
      },
      env: {},
      isTTY: false,
    });
    return { code, out, err };
  };
  const SCENARIOS = [
    "dirty-reads-and-writes",
    "read-skew",
    "lost-update",
    "write-skew",
    "phantoms",
  ];

  it("each scenario completes as expected; its checks are as designed and the same on every run", async () => {
    for (const name of SCENARIOS) {
      const small = name === "lost-update" || name === "write-skew" ? ["--transactions", "12"] : [];
      const first = await cli([name, "--json", ...small]);
      expect(first.code, name).toBe(0);
      const events = first.out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { kind: string; held?: boolean | null; expected?: boolean });
      const checks = events.filter((e) => e.kind === "check");
      expect(checks.length, name).toBeGreaterThan(0);
      // Every check came out as expected (a broken variant's violation is expected), and every
      // scenario shows at least one violation on purpose and one check that holds.
      for (const c of checks) if (c.held !== null) expect(c.held, name).toBe(c.expected);
      expect(checks.some((c) => c.held === false)).toBe(true);
      expect(checks.some((c) => c.held === true)).toBe(true);
      expect((await cli([name, "--json", ...small])).out, name).toBe(first.out);
    }
  });

  it("read-skew has two checks per level, as every isolation scenario: the example's and the checker's; read committed fails both", async () => {
    const { code, out } = await cli(["read-skew", "--json"]);
    expect(code).toBe(0);
    const checks = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; name?: string; held?: boolean | null })
      .filter((e) => e.kind === "check")
      .map((c) => [c.name, c.held]);
    // Figure 7-6: read committed shows Alice $500 + $400 (G-single); the other two levels $1,000.
    expect(checks).toEqual([
      ["Read committed: Alice sees $1,000 in all", false],
      ["Read committed: the isolation checker finds no read skew (G-single)", false],
      ["Snapshot isolation: Alice sees $1,000 in all", true],
      ["Snapshot isolation: the isolation checker finds no read skew (G-single)", true],
      ["Two-phase locking: Alice sees $1,000 in all", true],
      ["Two-phase locking: the isolation checker finds no read skew (G-single)", true],
    ]);
  });

  it("--transactions 0 leaves the random-workload check not exercised, never held", async () => {
    const { code, out } = await cli(["write-skew", "--json", "--transactions", "0"]);
    expect(code).toBe(0);
    const random = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; name?: string; held?: boolean | null })
      .filter((e) => e.kind === "check" && e.name?.startsWith("random"));
    expect(random.map((e) => e.held)).toEqual([null]);
  });

  it("figure 7-5's blind writes leave the G0 check not exercised, never held", async () => {
    // By hand: Alice and Bob only write (update ... set value = const), the setup only writes and
    // the observer only reads, so no transaction reads a row before writing it: the checker has no
    // order between two writes of a row (shared/check/isolation.ts: nil first, writes follow reads).
    const { code, out } = await cli(["dirty-reads-and-writes", "--json"]);
    expect(code).toBe(0);
    const g0 = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; name?: string; held?: boolean | null })
      .filter((e) => e.kind === "check" && e.name?.includes("(G0)"));
    expect(g0.map((e) => e.held)).toEqual([null, null]);
  });

  it("--transactions 1 leaves the random-workload check not exercised (one transaction alone); 2 judges it", async () => {
    const randomChecks = async (name: string, n: string) => {
      const { code, out } = await cli([name, "--json", "--transactions", n]);
      expect(code).toBe(0);
      return out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { kind: string; name?: string; held?: boolean | null })
        .filter((e) => e.kind === "check" && e.name?.startsWith("random"))
        .map((e) => e.held);
    };
    for (const name of ["lost-update", "write-skew"]) {
      expect(await randomChecks(name, "1"), name).toEqual([null]);
      // Two transactions can overlap: the correct levels are judged, and hold.
      expect(await randomChecks(name, "2"), name).toEqual([true]);
    }
  });

  it("--export-history writes the history the checker judged: G2-item, read again from the file", async () => {
    const file = join(tmpdir(), `write-skew-${process.pid}.edn`);
    try {
      expect(
        (await cli(["write-skew", "--transactions", "0", "--export-history", file])).code,
      ).toBe(0);
      const result = checkIsolation(parseIsolationHistory(readFileSync(file, "utf8")));
      expect(result.anomalies).toEqual(["G2-item"]);
      expect(result.models["snapshot-isolation"]).toBe(true);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it("refuses a bad flag in one line, with status 2", async () => {
    for (const argv of [
      ["lost-update", "--transactions", "501"],
      ["write-skew", "--transactions", "-1"],
      ["phantoms", "--export-history", "/no/such/folder/h.edn"],
    ]) {
      const { code, err } = await cli(argv);
      expect(code, argv.join(" ")).toBe(2);
      expect(err.trim().split("\n"), argv.join(" ")).toHaveLength(1);
    }
  });
});

// --- The same steps on a real PostgreSQL ---------------------------------------------------------

/**
 * Every run of the scenarios at a level PostgreSQL has, on the store as PostgreSQL behaves (no
 * broken variant), replayed statement by statement on a real server over one connection per
 * named connection: each step must block or not as in the simulation, and end with the same
 * result (rows by key, command tag and count, or SQLSTATE). A step counts as blocked when its
 * backend waits for a lock (pg_stat_activity's wait_event_type = 'Lock'). As in
 * postgres.test.ts, the server comes from the PG environment variables (`.ci/run --postgres-only`
 * prints them), and without one this FAILS unless DDIA_SKIP_POSTGRES=1.
 */
const SKIP_POSTGRES = process.env.DDIA_SKIP_POSTGRES === "1";
const SCHEMA = `isolation_scenarios_${process.pid}`;

function simulatedText(statement: Statement, result: Result | null): string {
  if (result === null) return "never finished";
  if (result.status === "blocked") return "blocked";
  if (result.status === "error") return `ERROR ${result.code}`;
  if (statement.kind === "begin") return "BEGIN";
  const rows = result.rows ? ` ${JSON.stringify(result.rows.map((r) => [r.id, r.value]))}` : "";
  const count = result.count !== undefined ? ` ${result.count}` : "";
  return `${result.tag}${count}${rows}`;
}

function realText(statement: Statement, result: pg.QueryResult | pg.QueryResult[]): string {
  if (statement.kind === "begin") return "BEGIN";
  const r = Array.isArray(result) ? (result.at(-1) as pg.QueryResult) : result;
  const rows = (r.rows as { id: number; value: number }[])
    .map((row) => [Number(row.id), Number(row.value)])
    .sort((a, b) => (a[0] as number) - (b[0] as number));
  const returning =
    statement.kind === "select" || (statement.kind === "update" && statement.returning);
  const count =
    statement.kind === "select" || statement.kind === "commit" || statement.kind === "abort"
      ? ""
      : ` ${r.rowCount}`;
  return `${r.command}${count}${returning ? ` ${JSON.stringify(rows)}` : ""}`;
}

interface Replayed {
  readonly step: number;
  readonly conn: string;
  readonly sql: string;
  readonly queued: boolean;
  readonly blocked: boolean;
  readonly text: string;
}

async function replay(monitor: pg.Client, session: Session): Promise<Replayed[]> {
  const steps = session.steps();
  const clients = new Map<
    string,
    { client: pg.Client; pid: number; busy: Promise<unknown> | null }
  >();
  await monitor.query(`drop table if exists ${SCHEMA}.test`);
  await monitor.query(`create table ${SCHEMA}.test (id int primary key, value int)`);
  for (const row of session.initialRows)
    await monitor.query(`insert into ${SCHEMA}.test values (${row.id}, ${row.value})`);
  const out: Omit<Replayed, "text">[] = [];
  const texts: { text: string }[] = [];
  try {
    for (const record of steps) {
      let c = clients.get(record.conn);
      if (!c) {
        const client = new pg.Client({ connectionTimeoutMillis: 5_000 });
        client.on("error", () => {});
        await client.connect();
        await client.query(`set search_path to ${SCHEMA}`);
        const pid = (await client.query("select pg_backend_pid() as pid")).rows[0].pid as number;
        c = { client, pid, busy: null };
        clients.set(record.conn, c);
      }
      const entry = { text: "never finished" };
      const sql = sqlOf(record.statement);
      const run = () =>
        (c as { client: pg.Client }).client.query(sql).then(
          (r) => {
            entry.text = realText(record.statement, r);
          },
          (e: { code?: string }) => {
            entry.text = `ERROR ${e.code}`;
          },
        );
      const queued = c.busy !== null;
      const promise: Promise<unknown> = queued ? (c.busy as Promise<unknown>).then(run) : run();
      let settled = false;
      const mine = c;
      mine.busy = promise.then(() => {
        settled = true;
        if (mine.busy === guard) mine.busy = null;
      });
      const guard = mine.busy;
      // Let every connection run until it finishes or waits for a lock (seen four polls in a row,
      // so that a backend just released is not taken for a waiting one).
      for (const other of clients.values()) {
        let lockSeen = 0;
        for (let i = 0; other.busy !== null && lockSeen < 4 && i < 2_000; i++) {
          const state = await monitor.query(
            "select wait_event_type from pg_stat_activity where pid = $1",
            [other.pid],
          );
          lockSeen = state.rows[0]?.wait_event_type === "Lock" ? lockSeen + 1 : 0;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      const blocked = !queued && !settled;
      out.push({ step: record.step, conn: record.conn, sql, queued, blocked });
      // The final text is read once everything has settled.
      texts.push(entry);
    }
    await Promise.all([...clients.values()].map((c) => c.busy));
  } finally {
    for (const c of clients.values()) await c.client.end();
  }
  return out.map((r, i) => ({ ...r, text: (texts[i] as { text: string }).text }));
}

const simulated = (session: Session): Replayed[] =>
  session.steps().map((r: StepRecord) => ({
    step: r.step,
    conn: r.conn,
    sql: sqlOf(r.statement),
    queued: r.queued,
    blocked: r.blocked,
    text: simulatedText(r.statement, r.result),
  }));

describe.skipIf(SKIP_POSTGRES)("the scenarios' steps on a real PostgreSQL", () => {
  let monitor: pg.Client | null = null;
  let unavailable: string | null = null;
  beforeAll(async () => {
    const client = new pg.Client({ connectionTimeoutMillis: 5_000 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query(`create schema if not exists ${SCHEMA}`);
      monitor = client;
    } catch (error) {
      unavailable = `no PostgreSQL from the PG environment variables (${(error as Error).message}): eval "$(.ci/run --postgres-only)", or set DDIA_SKIP_POSTGRES=1`;
    }
  }, 30_000);
  afterAll(async () => {
    if (!monitor) return;
    await monitor.query(`drop schema if exists ${SCHEMA} cascade`);
    await monitor.end();
  });

  // The runs at PostgreSQL's levels, on the store without a broken variant.
  const runs = (): { title: string; session: Session }[] => {
    const t = silent;
    return [
      ...(["read committed", "snapshot isolation"] as const).map((level) => ({
        title: `read-skew at ${level}`,
        session: figure76(t(), level, false).session,
      })),
      ...LOST_UPDATE.filter((v) => !v.store).map((v) => ({
        title: `lost-update: ${v.title}`,
        session: runVariant(t(), v, false).session,
      })),
      ...WRITE_SKEW.filter((v) => v.level !== "two-phase locking").map((v) => ({
        title: `write-skew: ${v.title}`,
        session: figure78(t(), v, false).session,
      })),
      ...PHANTOMS.filter((v) => v.level !== "two-phase locking").map((v) => ({
        title: `phantoms: ${v.title}`,
        session: bookRoom(t(), v, false).session,
      })),
      ...(["commit", "rollback"] as const).map((end) => ({
        title: `dirty reads, user 1 ends with ${end}`,
        session: figure74(t(), {}, end, false).session,
      })),
      { title: "dirty writes at read committed", session: figure75(t(), {}, false).session },
    ];
  };

  it("every step blocks or not, and ends, as on the simulated store", async () => {
    if (unavailable) throw new Error(unavailable);
    let compared = 0;
    for (const { title, session } of runs()) {
      const real = await replay(monitor as pg.Client, session);
      expect(real, title).toEqual(simulated(session));
      compared += real.length;
    }
    // The numbered steps of the 17 runs in the default traces: read-skew 9 + 9, lost-update
    // 11 + 9 + 11 + 15 + 15, write-skew 11 + 11 + 14 + 10, phantoms 11 + 14 + 12, dirty reads
    // 8 + 7, dirty writes 12.
    expect(compared).toBe(189);
  }, 60_000);

  it("catches a broken store: compare-and-set on a stale snapshot writes 44 where PostgreSQL fails with 40001", async () => {
    if (unavailable) throw new Error(unavailable);
    const broken = LOST_UPDATE.find((v) => v.store?.firstUpdaterWins === false);
    if (!broken) throw new Error("no broken compare-and-set");
    const session = runVariant(silent(), broken, false).session;
    const real = await replay(monitor as pg.Client, session);
    const mismatches = real.filter((r, i) => r.text !== simulated(session)[i]?.text);
    expect(mismatches[0]).toMatchObject({ conn: "bob", text: "ERROR 40001" });
  }, 30_000);
});
