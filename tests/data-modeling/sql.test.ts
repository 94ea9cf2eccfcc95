/**
 * The SQL wrapper, for what start-up time depends on (issue 9, section 5): each statement text
 * is compiled once and reused, bulk loads run in one transaction, and the consistency check
 * reads every profile in a fixed number of statements. Counted, never timed.
 */
import initSqlJs from "sql.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { dataModeling } from "../../data-modeling/main.js";
import {
  bookCatalog,
  DocumentStore,
  disagreements,
  generateProfiles,
  loadRelational,
  toDocument,
} from "../../data-modeling/profiles.js";
import { Sql } from "../../data-modeling/sql.js";
import { Random } from "../../shared/random.js";
import type { TraceEvent } from "../../shared/trace.js";
import { expectNdjson, runInProcess } from "../shared/fixtures/cli.js";

afterEach(() => {
  vi.restoreAllMocks();
});

async function loaded(profiles: number) {
  const catalog = bookCatalog();
  const records = generateProfiles(new Random(1), profiles);
  const sql = await Sql.open();
  loadRelational(sql, catalog, records);
  const docs = new DocumentStore(undefined);
  for (const record of records) docs.put(toDocument(record, catalog), true);
  return { sql, docs, catalog };
}

describe("prepared statements", () => {
  it("compile each distinct text once, however many times it runs", async () => {
    // Each of these compiles the SQL text it is given: prepare once, run and exec every time.
    const { Database } = await initSqlJs();
    const compiled = ["prepare", "run", "exec"].map((method) =>
      vi.spyOn(Database.prototype, method as "prepare"),
    );
    const { sql } = await loaded(300);
    // 300 profiles are over a thousand INSERTs, of seven distinct texts, plus the schema.
    expect(sql.stats.statements).toBeGreaterThan(1_000);
    const texts = compiled.flatMap((spy) => spy.mock.calls.map((call) => call[0]));
    expect(texts.length).toBe(new Set(texts).size);
    expect(texts.length).toBeLessThan(30);
    sql.close();
  });

  it("are reusable after a statement failed, and a rolled-back savepoint still undoes", async () => {
    const sql = await Sql.open();
    sql.run("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    sql.run("INSERT INTO t VALUES (?, ?)", [1, "a"]);
    expect(sql.runExpectingError("INSERT INTO t VALUES (?, ?)", [1, "b"])).toMatch(/UNIQUE/);
    expect(sql.run("INSERT INTO t VALUES (?, ?)", [2, "b"])).toBe(1);
    sql.run("SAVEPOINT s");
    sql.run("UPDATE t SET v = ?", ["changed"]);
    sql.run("ROLLBACK TO s");
    sql.run("RELEASE s");
    expect(sql.all("SELECT k, v FROM t ORDER BY k")).toEqual([
      { k: 1, v: "a" },
      { k: 2, v: "b" },
    ]);
    expect(() => sql.transaction(() => sql.run("INSERT INTO t VALUES (?, ?)", [3, null]))).toThrow(
      /NOT NULL/,
    );
    expect(sql.value("SELECT COUNT(*) AS n FROM t")).toBe(2);
    sql.close();
  });

  it("refuse a text holding two statements, of which SQLite would run only the first", async () => {
    const sql = await Sql.open();
    expect(() => sql.run("CREATE TABLE a (x); CREATE TABLE b (y)")).toThrow(/one statement/);
    sql.close();
  });
});

describe("bulk loading", () => {
  const insideTransactions = (events: TraceEvent[]) => {
    let open = false;
    const outside: string[] = [];
    for (const e of events) {
      if (e.kind !== "query" || e.language !== "sql") continue;
      if (/^BEGIN\b/.test(e.text)) open = true;
      else if (/^(COMMIT|ROLLBACK)$/.test(e.text)) open = false;
      else if (e.detail === true && /^INSERT\b/.test(e.text) && !open) outside.push(e.text);
    }
    return outside;
  };

  it.each(dataModeling.scenarios.map((s) => s.name))(
    "%s runs every bulk INSERT inside a transaction, not one transaction per row",
    async (name) => {
      const events = expectNdjson(await runInProcess(dataModeling, [name, "--json"]));
      expect(insideTransactions(events)).toEqual([]);
    },
  );
});

describe("the consistency check between the models", () => {
  it("reads every profile in the same number of statements, whatever the number of profiles", async () => {
    const counts: number[] = [];
    for (const profiles of [10, 200]) {
      const { sql, docs, catalog } = await loaded(profiles);
      const before = sql.stats.statements;
      expect(disagreements(sql, docs, catalog)).toEqual([]);
      counts.push(sql.stats.statements - before);
      sql.close();
    }
    expect(counts[0]).toBe(counts[1]);
    expect(counts[0]).toBeLessThanOrEqual(4);
  });
});
