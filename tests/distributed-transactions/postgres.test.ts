import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CASES, type CaseId } from "../../distributed-transactions/hermitage/cases.js";
import { runCase, type VariantOutcome } from "../../distributed-transactions/hermitage/runner.js";
import { compareVariant } from "../../distributed-transactions/postgres/compare.js";
import {
  PostgresSession,
  PostgresUnavailable,
} from "../../distributed-transactions/postgres/runner.js";
import type { IsolationLevel } from "../../distributed-transactions/store/statements.js";
import type { StoreOptions } from "../../distributed-transactions/store/store.js";

/**
 * The simulated store against a real PostgreSQL: every step of every Hermitage case, at the three
 * levels PostgreSQL has, must come out the same on both (rows sorted by key, command tag and row
 * count, blocked or not and on which connections, which step released it, error SQLSTATE).
 *
 * The server comes from the PG environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD,
 * PGDATABASE), as node-postgres reads them; `.ci/run` starts one and exports them
 * (`eval "$(.ci/run --postgres-only)"` does that alone). Without a server this test FAILS, with a
 * message saying how to start one, unless DDIA_SKIP_POSTGRES=1 is set.
 */
const SKIP = process.env.DDIA_SKIP_POSTGRES === "1";

const LEVELS: readonly IsolationLevel[] = [
  "read committed",
  "snapshot isolation",
  "serializable snapshot isolation",
];

/**
 * Hermitage's README table, PostgreSQL rows (github.com/ept/hermitage, "Summary of test results",
 * commit 000346f), transcribed by hand: ✓ prevented, — occurs; columns G0 G1a G1b G1c OTV PMP P4
 * G-single G2-item G2.
 */
const P = "prevented";
const O = "occurs";
const PUBLISHED: Record<string, readonly string[]> = {
  "read committed": [P, P, P, P, P, O, O, O, O, O],
  "snapshot isolation": [P, P, P, P, P, P, P, P, O, O],
  "serializable snapshot isolation": [P, P, P, P, P, P, P, P, P, P],
};

/**
 * Steps per level: G0 10, G1a 7, G1b 8, G1c 8, OTV 14, PMP 7 + 7, P4 8, G-single 10 + 7 + 9,
 * G2-item 8, G2 9 + 10, counted by hand in postgres.md's scripts (with each BEGIN one step).
 */
const STEPS_PER_LEVEL = 122;

describe.skipIf(SKIP)("Hermitage on PostgreSQL, step by step against the simulated store", () => {
  let session: PostgresSession | null = null;
  let unavailable: string | null = null;

  beforeAll(async () => {
    try {
      session = await PostgresSession.open(undefined);
    } catch (error) {
      if (!(error instanceof PostgresUnavailable)) throw error;
      unavailable = `${error.message}. Or set DDIA_SKIP_POSTGRES=1 to skip this test.`;
    }
  }, 30_000);

  afterAll(async () => {
    await session?.close();
  });

  const open = (): PostgresSession => {
    if (session === null) throw new Error(unavailable ?? "no PostgreSQL session");
    return session;
  };

  const compareLevel = async (level: IsolationLevel, cases = CASES, store: StoreOptions = {}) => {
    const differences: string[] = [];
    const verdicts: Record<string, string> = {};
    let compared = 0;
    for (const hermitageCase of cases) {
      const simulated = runCase(hermitageCase, level, store);
      const real = await open().runCase(hermitageCase, level);
      verdicts[hermitageCase.id] = real.verdict;
      real.variants.forEach((realVariant, i) => {
        const comparisons = compareVariant(simulated.variants[i] as VariantOutcome, realVariant);
        compared += comparisons.length;
        for (const c of comparisons) {
          if (!c.agree) {
            differences.push(
              `${hermitageCase.id} ${realVariant.name} at ${level}, step ${c.index + 1} (${c.conn} ${c.realSql}): simulated ${c.simulated}; PostgreSQL ${c.real}`,
            );
          }
        }
      });
    }
    return { differences, verdicts, compared };
  };

  for (const level of LEVELS) {
    it(`agrees with PostgreSQL on every step of every case at ${level}`, async () => {
      const { differences, verdicts, compared } = await compareLevel(level);
      expect(differences).toEqual([]);
      expect(compared).toBe(STEPS_PER_LEVEL);
      // PostgreSQL itself, judged by the same judges, still gives Hermitage's published row.
      const published = Object.fromEntries(
        CASES.map((c, i) => [c.id, PUBLISHED[level]?.[i]]),
      ) as Record<CaseId, string>;
      expect(verdicts).toEqual(published);
    }, 60_000);
  }

  it("is not cut short by timeouts the role or database sets: lock_timeout, statement_timeout", async () => {
    // The same server, with timeouts a DBA might set for the role (here through the startup
    // packet's options, as PGOPTIONS would): a blocked step would fail with 55P03 after 1 ms, and
    // T2's update in the lost update waits for T1 far longer than that. The session turns them off.
    const env = process.env;
    const url = `postgres://${encodeURIComponent(env.PGUSER ?? "")}:${encodeURIComponent(env.PGPASSWORD ?? "")}@${env.PGHOST ?? "localhost"}:${env.PGPORT ?? 5432}/${env.PGDATABASE ?? ""}?options=${encodeURIComponent("-c lock_timeout=1 -c statement_timeout=1000")}`;
    open(); // fails with the server's message when there is none
    const timed = await PostgresSession.open(url);
    try {
      const p4 = CASES.filter((c) => c.id === "P4");
      for (const level of LEVELS) {
        const real = await timed.runCase(p4[0] as (typeof CASES)[number], level);
        const simulated = runCase(p4[0] as (typeof CASES)[number], level);
        const differ = compareVariant(
          simulated.variants[0] as VariantOutcome,
          real.variants[0] as NonNullable<(typeof real.variants)[0]>,
        ).filter((c) => !c.agree);
        expect(differ, level).toEqual([]);
      }
    } finally {
      await timed.close();
    }
  }, 30_000);

  it("drops the schema a dead run left behind, and only that", async () => {
    // A schema named after a backend pid no session has (pids are below 2^22 on Linux) is one a
    // run left when it died; a new session drops it. The running session's own schema stays.
    const session = open();
    const pg = await import("pg");
    const client = new pg.default.Client();
    await client.connect();
    try {
      await client.query("create schema if not exists hermitage_999999999");
      const other = await PostgresSession.open(undefined);
      await other.close();
      const left = await client.query(
        "select nspname from pg_namespace where nspname in ('hermitage_999999999', $1)",
        [session.schema],
      );
      expect(left.rows.map((r) => r.nspname)).toEqual([session.schema]);
    } finally {
      await client.query("drop schema if exists hermitage_999999999 cascade");
      await client.end();
    }
  }, 30_000);

  it("catches a simulation that differs from PostgreSQL: snapshot isolation without first-updater-wins", async () => {
    // PostgreSQL's repeatable read fails T2's update with 40001 once T1 commits (postgres.md, Lost
    // Update); the broken store lets it through, and the comparison must say so at that step.
    const p4 = CASES.filter((c) => c.id === "P4");
    const { differences } = await compareLevel("snapshot isolation", p4, {
      firstUpdaterWins: false,
    });
    expect(differences.length).toBeGreaterThan(0);
    expect(differences[0]).toContain("P4 lost update at snapshot isolation, step 6");
    expect(differences[0]).toContain("PostgreSQL blocks on T1, step 7 releases it: ERROR 40001");
  }, 30_000);
});
