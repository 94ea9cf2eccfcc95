/**
 * The isolation scenarios: each run's outcome, checked against the book's figures by hand (the
 * numbers in the comments), each broken variant's anomaly named by the isolation checker and each
 * fix judged clean by it; and the command line: exit status, --json checks, --export-history,
 * bad flags, determinism.
 */

import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
