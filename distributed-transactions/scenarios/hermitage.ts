/**
 * `hermitage`: Martin Kleppmann's Hermitage tests for PostgreSQL (github.com/ept/hermitage,
 * postgres.md), replayed step by step on the simulated store at each isolation level (DDIA ch. 7,
 * Weak Isolation Levels; Serializability). Each case is an anomaly named as Hermitage names it
 * (Adya's definitions as extended by Bailis et al.; P4 is Berenson et al.'s): G0 (dirty write),
 * G1a, G1b, G1c (dirty reads), OTV, PMP, P4 (lost update), G-single (read skew), G2-item and G2
 * (write skew).
 *
 * The story:
 *   1. per level, one line per variant: which step blocked, which failed with which SQLSTATE,
 *      whether the anomaly occurred, and what the isolation checker finds in the run's history
 *      (hermitage/history.ts), with a note where the two differ (`--level`, `--case` narrow it);
 *   2. every step of the lost update (P4) and of write skew (G2-item) at every level, or of the
 *      case `--case` names: the SQL, the connection, and what the step returned;
 *   3. the isolation matrix (a `table` event titled `isolation matrix`), checked against
 *      PostgreSQL's published rows of Hermitage's table, and two-phase locking against the book;
 *      and the check that the checker finds nothing a level proscribes in any run;
 *   4. with `--postgres [URL]`, the same steps on a real PostgreSQL, each step's simulated and real
 *      outcome side by side, and checks that they agree.
 */

import {
  choice,
  type OptionSpec,
  type Parser,
  type Scenario,
  UsageError,
} from "../../shared/cli.js";
import type { Cell, Trace } from "../../shared/trace.js";
import {
  CASE_IDS,
  CASES,
  type CaseId,
  type HermitageCase,
  type Variant as HermitageVariant,
} from "../hermitage/cases.js";
import {
  checkerCell,
  LEVEL_MODEL,
  proscribedFound,
  type VariantHistory,
  variantHistory,
} from "../hermitage/history.js";
import { HERMITAGE_TABLE_SOURCE, publishedRow } from "../hermitage/published.js";
import {
  type CaseOutcome,
  runCase,
  runHermitage,
  type StepRecord,
  type VariantOutcome,
} from "../hermitage/runner.js";
import { levelName } from "../isolation/session.js";
import { compareVariant, outcomeText } from "../postgres/compare.js";
import { PostgresSession, PostgresUnavailable, type RealCaseOutcome } from "../postgres/runner.js";
import { REF } from "../refs.js";
import { type IsolationLevel, LEVELS, POSTGRES_LEVEL } from "../store/statements.js";
import type { StoreOptions } from "../store/store.js";

const LEVEL_CHOICES = [
  "all",
  "read-committed",
  "snapshot-isolation",
  "serializable-snapshot-isolation",
  "two-phase-locking",
] as const;
type LevelChoice = (typeof LEVEL_CHOICES)[number];
const CASE_CHOICES = ["all", ...CASE_IDS] as const;
type CaseChoice = (typeof CASE_CHOICES)[number];

export interface HermitageFlags {
  case: CaseChoice;
  level: LevelChoice;
  variant: Variant;
  /** false: no PostgreSQL; true: the PG environment variables; a string: that URL. */
  postgres: boolean | string;
}

const VARIANTS = [
  "correct",
  "read-uncommitted",
  "no-first-updater-wins",
  "no-rw-conflict-tracking",
  "no-read-locks",
] as const;
type Variant = (typeof VARIANTS)[number];

/** The store each variant runs: the correct one, or one with a safeguard of a level removed. */
const STORE_OPTIONS: Record<Variant, StoreOptions> = {
  correct: {},
  "read-uncommitted": { readUncommitted: true },
  "no-first-updater-wins": { firstUpdaterWins: false },
  "no-rw-conflict-tracking": { rwConflictTracking: false },
  "no-read-locks": { twoPhaseReadLocks: false },
};

/** Does the variant change a level PostgreSQL has (so its rows of Hermitage's table fail)? */
const breaksPostgresLevels = (variant: Variant): boolean =>
  Object.keys(BROKEN_LEVEL_NOTE[variant]).some(
    (level) => POSTGRES_LEVEL[level as IsolationLevel] !== null,
  );

/** What each broken variant removes, as the --help text says it. */
const VARIANT_WHAT: Record<Variant, string> = {
  correct: "nothing",
  "read-uncommitted": "read committed reads the newest version of each row, committed or not",
  "no-first-updater-wins":
    "snapshot isolation, and SSI built on it, let a write overwrite a row a concurrent transaction changed and committed",
  "no-rw-conflict-tracking":
    "SSI without its rw-antidependency tracking, which is snapshot isolation",
  "no-read-locks":
    "two-phase locking whose reads take no shared or predicate locks, so only writes lock",
};

const VARIANT_REF: Record<Variant, string> = {
  correct: REF.weakIsolation,
  "read-uncommitted": REF.dirtyReads,
  "no-first-updater-wins": REF.detectLostUpdates,
  "no-rw-conflict-tracking": REF.ssi,
  "no-read-locks": REF.twoPhaseLocking,
};

/** What a broken variant makes of the levels it changes, said in place of the level's own note. */
const BROKEN_LEVEL_NOTE: Record<Variant, Partial<Record<IsolationLevel, string>>> = {
  correct: {},
  "read-uncommitted": {
    "read committed":
      "Broken on purpose (--variant read-uncommitted): each SELECT reads the newest version of each row, committed or not; a write still waits for a running transaction that wrote the row.",
  },
  "no-first-updater-wins": {
    "snapshot isolation":
      "Broken on purpose (--variant no-first-updater-wins): one snapshot per transaction, but a write to a row that a concurrent transaction has changed goes through (after waiting for that transaction if it is still running) instead of failing with 40001 once that transaction has committed.",
    "serializable snapshot isolation":
      "Broken on purpose (--variant no-first-updater-wins): the snapshot isolation under it lets a write to a row that a concurrent transaction has changed and committed go through; the rw-antidependency tracking is still there.",
  },
  "no-rw-conflict-tracking": {
    "serializable snapshot isolation":
      "Broken on purpose (--variant no-rw-conflict-tracking): no rw-antidependency is tracked, so this level is snapshot isolation and fails nothing that snapshot isolation lets through.",
  },
  "no-read-locks": {
    "two-phase locking":
      "Broken on purpose (--variant no-read-locks): exclusive locks for writes, held until commit or abort, but reads take no lock, so readers and writers never wait for each other: not two-phase locking as the book describes it.",
  },
};

/** The cases whose every step the default run prints: the two the book tells at length. */
const INSTRUCTIVE: readonly CaseId[] = ["P4", "G2-item"];

const postgresUrl: Parser<string> = {
  range:
    "a postgres:// URL; without one, PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE as node-postgres reads them",
  parse: (value) => {
    if (!/^postgres(ql)?:\/\/\S+$/.test(value))
      throw new UsageError(`--postgres must be a postgres:// URL, not '${value}'`);
    return value;
  },
};

/** The store's level each --level choice names ("two-phase locking" keeps its hyphen). */
const LEVEL_OF: Record<Exclude<LevelChoice, "all">, IsolationLevel> = {
  "read-committed": "read committed",
  "snapshot-isolation": "snapshot isolation",
  "serializable-snapshot-isolation": "serializable snapshot isolation",
  "two-phase-locking": "two-phase locking",
};

const levelsOf = (choice: LevelChoice): IsolationLevel[] =>
  choice === "all" ? [...LEVELS] : [LEVEL_OF[choice]];

const casesOf = (choice: CaseChoice): HermitageCase[] =>
  choice === "all" ? [...CASES] : CASES.filter((c) => c.id === choice);

/** `snapshot isolation (PostgreSQL's repeatable read)`, as every scenario names the levels. */
const levelTitle = levelName;

/** How each level of the store decides, in a sentence (the store's header has the details). */
const LEVEL_NOTE: Record<IsolationLevel, { text: string; ref: string }> = {
  "read committed": {
    text: "Each statement reads the latest committed versions; a write to a row another running transaction has written waits until that transaction commits or aborts, then, if it committed, goes on with the row's newest version if that still matches the statement's WHERE clause (PostgreSQL's EvalPlanQual).",
    ref: REF.readCommitted,
  },
  "snapshot isolation": {
    text: "Each transaction reads one snapshot, taken at its first statement; a write to a row that a concurrent transaction has changed fails with 40001 once that transaction has committed, waiting for it first if it is still running, and goes on if it aborts (the first updater wins).",
    ref: REF.snapshotIsolation,
  },
  "serializable snapshot isolation": {
    text: "Snapshot isolation, plus tracking of rw-antidependencies (a transaction read a row version that a concurrent one replaced, or did not see a row a concurrent one wrote). Two in a row, Tin -rw-> Tpivot -rw-> Tout, are PostgreSQL's dangerous structure (Tin may be Tout itself, as in write skew): PostgreSQL fails one of its transactions that has not committed with 40001, and only once Tout has committed first, before the structure's other transactions (and, if Tin is another, read-only transaction, before Tin took its snapshot). The failure comes at the statement that completes these conditions if its own transaction is the one to go, otherwise at the victim's next statement or COMMIT.",
    ref: REF.ssi,
  },
  "two-phase locking": {
    text: "Shared locks for reads (a lookup by key locks the key, whether or not a row has it), exclusive locks for writes, predicate locks for predicate reads, all held until commit or abort; a statement whose wait would close a cycle in the waits-for graph is the deadlock's victim and fails with 40P01, PostgreSQL's deadlock_detected.",
    ref: REF.twoPhaseLocking,
  },
};

/** `step 4 (T2 update)`: steps count from 1, as the printed steps do. */
function stepName(step: StepRecord): string {
  return `step ${step.index + 1} (${step.conn} ${step.statement.kind})`;
}

/** What a variant's run did, in one line: the steps that blocked or failed. */
function variantSummary(variant: VariantOutcome): string {
  const events: string[] = [];
  for (const step of variant.steps) {
    const failed = step.result.status === "error" ? step.result.code : null;
    if (step.blocked) {
      const waited = `${stepName(step)} blocks on ${step.waitedFor.join(", ")}`;
      if (step.releasedBy === null) events.push(`${waited} and never finishes`);
      else if (failed)
        events.push(`${waited}; step ${step.releasedBy + 1} releases it with ${failed}`);
      else events.push(`${waited} until step ${step.releasedBy + 1}`);
    } else if (failed) {
      events.push(`${stepName(step)} fails with ${failed}`);
    }
  }
  return events.length === 0 ? "no step blocks or fails" : events.join("; ");
}

function summaries(
  trace: Trace,
  levels: readonly IsolationLevel[],
  cases: HermitageCase[],
  variant: Variant,
) {
  const store = STORE_OPTIONS[variant];
  trace.section("Each case at each level, in one line per variant", REF.weakIsolation);
  trace.note(
    "Steps count from 1 in the order Hermitage types them. A blocked step waits for the transactions on the connections named; a step that fails names PostgreSQL's SQLSTATE: 40001 serialization_failure, 40P01 deadlock_detected, 25P02 in_failed_sql_transaction. `anomaly` is the case's own judge; `checker` is what the isolation checker (shared/check/isolation.ts) finds in the run's history, Elle's rw-register form: the setup insert as the first committed transaction, each SELECT's rows as reads (a row it did not return as read absent only where every value ever written to that row matches its WHERE clause and no row was deleted, else left out), each UPDATE's and INSERT's rows as writes with the values written, DELETEs left out (the form has no deletion), each transaction :ok if it committed, :fail if not.",
  );
  for (const level of levels) {
    const broken = BROKEN_LEVEL_NOTE[variant][level];
    trace.note(`${levelTitle(level)}: ${broken ?? LEVEL_NOTE[level].text}`, {
      ref: broken === undefined ? LEVEL_NOTE[level].ref : VARIANT_REF[variant],
    });
    const rows: Cell[][] = [];
    const why: string[] = [];
    const differ: string[] = [];
    for (const hermitageCase of cases) {
      const outcome = runCase(hermitageCase, level, store);
      for (const variant of outcome.variants) {
        const history = variantHistory(variant, store.readUncommitted === true);
        rows.push([
          hermitageCase.id,
          variant.name,
          variant.verdict,
          checkerCell(history),
          variantSummary(variant),
        ]);
        if (variant.verdict === "occurs")
          why.push(`${hermitageCase.id} ${variant.name}: ${variant.reasoning}.`);
        const difference = whyTheyDiffer(variant, history, store);
        if (difference !== null) differ.push(`${hermitageCase.id} ${variant.name}: ${difference}.`);
      }
    }
    trace.table(
      `at ${levelTitle(level)}`,
      ["case", "variant", "anomaly", "checker", "what happened"],
      rows,
    );
    // The judges' reasons, below the table so that its lines stay short enough to read.
    if (why.length > 0) trace.note(`Why each anomaly occurs here: ${why.join(" ")}`);
    if (differ.length > 0)
      trace.note(
        `Where the isolation checker (on each run's history, Elle's rw-register form) and Hermitage's judge differ here: ${differ.join(" ")}`,
        { ref: REF.weakIsolation },
      );
  }
}

/**
 * Why the checker's finding and the case's judge differ on one run, or null if they do not (both
 * see an anomaly, or neither does). Each reason is read off the run's history.
 */
function whyTheyDiffer(
  variant: VariantOutcome,
  history: VariantHistory,
  store: StoreOptions,
): string | null {
  const found = history.result.anomalies;
  const occurs = variant.verdict === "occurs";
  if (occurs === found.length > 0) return null;
  if (!occurs) {
    if (found.every((a) => a === "internal"))
      return "the checker's internal is a transaction that read one row twice and got two different values, a non-repeatable read, which is not the anomaly this case tests";
    return `the checker finds ${found.join(", ")}, which is not the anomaly this case tests`;
  }
  const reasons: string[] = [];
  if (history.omitted.length > 0)
    reasons.push(
      `the history, which has no deletions and no predicates, leaves out ${history.omitted.join(" and ")}`,
    );
  if (history.uncommitted.length > 0)
    reasons.push(
      `${[...new Set(history.uncommitted)].join(" and ")} did not commit, and the checker draws no dependency to or from a transaction that did not commit, while the judge asks what its statements did`,
    );
  if (store.readUncommitted === true && reasons.length === 0)
    reasons.push(
      "this store reads uncommitted versions, so the checker runs without assuming that a write follows the version its transaction read, and then nothing tells it in which order a row's written values were installed: no rw edge, so no cycle through one",
    );
  if (reasons.length === 0)
    reasons.push("the history shows no dependency cycle the checker can infer");
  return `Hermitage's judge sees the anomaly and the checker finds none, because ${reasons.join("; and ")}. That is a limit of what the checker can infer from a history, not a disagreement about the outcome`;
}

/** One line per step: the connection, the SQL, and what it returned. */
function stepRows(variant: VariantOutcome): Cell[][] {
  return variant.steps.map((step) => {
    const released = variant.steps
      .filter((other) => other.releasedBy === step.index && other.index !== step.index)
      .map((other) => `step ${other.index + 1}`);
    const outcome = outcomeText(step, true);
    return [
      step.index + 1,
      step.conn,
      step.sql,
      released.length === 0 ? outcome : `${outcome}; releases ${released.join(", ")}`,
    ];
  });
}

const CASE_NOTE: Partial<Record<CaseId, { text: string; ref: string }>> = {
  P4: {
    text: "The lost update: both transactions read row 1, then both set it to 11, as two read-modify-write cycles would. Watch which update waits, and whether it goes through once the other transaction ends, or fails.",
    ref: REF.lostUpdates,
  },
  "G2-item": {
    text: "Write skew: both transactions read rows 1 and 2, then each updates the row the other did not. They write different rows, so row write locks alone never make one wait for the other; only a level that tracks or locks what each transaction read can see that no serial order explains both.",
    ref: REF.writeSkew,
  },
};

/**
 * Where the steps come from, and what postgres.md says of them at this level: its heading for the
 * level when it has one (the lost update's heading at repeatable read is not its heading at read
 * committed), else the heading the steps were taken from and the fact that it has none here.
 */
function postgresMdCaption(variant: HermitageVariant, level: IsolationLevel): string {
  const postgres = POSTGRES_LEVEL[level];
  const heading =
    postgres === null
      ? undefined
      : (variant.alsoPublished?.[level] ??
        (variant.source.includes(`"${postgres}"`) ? variant.source : undefined));
  if (heading !== undefined) return `postgres.md at ${postgres}: ${heading}`;
  const why =
    postgres === null
      ? "two-phase locking is not a PostgreSQL level"
      : `postgres.md does not run them at ${postgres}`;
  return `steps from postgres.md, under: ${variant.source} (${why})`;
}

/** The history the checker read, and its sentences: with --case, where there is room. */
function explainHistory(trace: Trace, history: VariantHistory) {
  const ops = history.edn
    .trim()
    .split("\n")
    .filter((line) => !line.startsWith("{:type :invoke"))
    .map((line) =>
      line.replace(/^\{:type :(\w+), :f :txn, :value (\[.*\]), :process.*$/, "$2 :$1"),
    );
  trace.note(
    `The history the isolation checker read, one completed transaction each (in the checker's names: ${history.legend.join(", ")}): ${ops.join("; ")}.${
      history.omitted.length > 0 ? ` Left out: ${history.omitted.join("; ")}.` : ""
    }`,
  );
  for (const c of history.result.cases) trace.note(`  checker, ${c.name}: ${c.explanation}`);
}

function fullSteps(
  trace: Trace,
  levels: readonly IsolationLevel[],
  cases: HermitageCase[],
  store: StoreOptions,
  explain: boolean,
) {
  for (const hermitageCase of cases) {
    const note = CASE_NOTE[hermitageCase.id];
    trace.section(
      `Every step of ${hermitageCase.id}, ${hermitageCase.title}`,
      note?.ref ?? REF.weakIsolation,
    );
    if (note) trace.note(note.text, { ref: note.ref });
    for (const level of levels) {
      const outcome = runCase(hermitageCase, level, store);
      outcome.variants.forEach((variant, i) => {
        const history = variantHistory(variant, store.readUncommitted === true);
        trace.table(
          `${hermitageCase.id} ${variant.name} at ${levelTitle(level)}: ${variant.verdict}; checker: ${checkerCell(history)}`,
          ["step", "conn", "SQL", "result"],
          stepRows(variant),
          postgresMdCaption(hermitageCase.variants[i] as HermitageVariant, level),
        );
        if (explain) explainHistory(trace, history);
      });
    }
  }
}

/** The matrix of every case at every level, and the checks of it against Hermitage and the book. */
function matrix(trace: Trace, variant: Variant) {
  const store = STORE_OPTIONS[variant];
  const brokenPostgres = breaksPostgresLevels(variant);
  const brokenTwoPhase = BROKEN_LEVEL_NOTE[variant]["two-phase locking"] !== undefined;
  trace.section("The isolation matrix", REF.weakIsolation);
  const rows = LEVELS.map((level) => ({ level, outcomes: runHermitage(level, store) }));
  trace.table(
    "isolation matrix",
    ["level", ...CASE_IDS],
    rows.map(({ level, outcomes }) => [level, ...outcomes.map((o) => o.verdict)]),
    "prevented: no variant of the case shows the anomaly; occurs: some variant does. PostgreSQL's read committed, repeatable read (snapshot isolation) and serializable (serializable snapshot isolation); two-phase locking is the store's own.",
  );
  const differences: string[] = [];
  for (const { level, outcomes } of rows) {
    const published = publishedRow(level);
    if (published === undefined) continue;
    for (const outcome of outcomes) {
      if (outcome.verdict !== published[outcome.id]) {
        differences.push(
          `${outcome.id} at ${level}: ${outcome.verdict}, published ${published[outcome.id]}`,
        );
      }
    }
  }
  trace.check(
    "read committed, snapshot isolation and SSI reproduce PostgreSQL's rows of Hermitage's table",
    differences.length === 0,
    {
      detail:
        differences.length === 0
          ? `all 30 cells as in ${HERMITAGE_TABLE_SOURCE}`
          : differences.join("; "),
      ref: REF.weakIsolation,
      expected: !brokenPostgres,
    },
  );
  // The checker on every run's history: nothing the level proscribes (Adya's mapping).
  const proscribed: string[] = [];
  for (const { level, outcomes } of rows)
    for (const outcome of outcomes)
      for (const v of outcome.variants) {
        const history = variantHistory(v, store.readUncommitted === true);
        if (proscribedFound(history, level))
          proscribed.push(
            `${outcome.id} ${v.name} at ${level}: ${history.result.anomalies.join(", ")}, which ${LEVEL_MODEL[level]} proscribes`,
          );
      }
  trace.check(
    "the isolation checker finds no anomaly that the level proscribes in any run at PostgreSQL's levels and two-phase locking",
    proscribed.length === 0,
    {
      detail:
        proscribed.length === 0
          ? `every variant's history at every level, each level judged as ${LEVELS.map((l) => `${l} → ${LEVEL_MODEL[l]}`).join(", ")} (Adya's mapping)`
          : proscribed.join("; "),
      ref: REF.weakIsolation,
      // Each broken store lets through, on some run, an anomaly its level proscribes and the
      // checker can see (tests/distributed-transactions/hermitage-scenario.test.ts).
      expected: variant === "correct",
    },
  );
  const twoPhase = rows.find((r) => r.level === "two-phase locking")?.outcomes ?? [];
  const occurring = twoPhase.filter((o) => o.verdict === "occurs").map((o) => o.id);
  trace.check("two-phase locking prevents every anomaly", occurring.length === 0, {
    expected: !brokenTwoPhase,
    detail:
      occurring.length === 0
        ? "2PL is serializable, and none of the ten anomalies can happen in a serializable history"
        : `occurs: ${occurring.join(", ")}`,
    ref: REF.twoPhaseLocking,
  });
}

/** Connects first, so that a missing server is one line of error before the run prints anything. */
async function openSession(url: string | undefined): Promise<PostgresSession> {
  try {
    return await PostgresSession.open(url);
  } catch (error) {
    if (error instanceof PostgresUnavailable) throw new UsageError(error.message);
    throw error;
  }
}

async function onPostgres(
  trace: Trace,
  session: PostgresSession,
  levels: readonly IsolationLevel[],
  cases: HermitageCase[],
  variant: Variant,
) {
  const store = STORE_OPTIONS[variant];
  const postgresLevels = levels.filter((level) => POSTGRES_LEVEL[level] !== null);
  const agreement = "every step's simulated outcome is PostgreSQL's";
  if (postgresLevels.length === 0) {
    trace.notExercised(
      agreement,
      "two-phase locking has no PostgreSQL level: there is nothing to compare",
    );
    return;
  }
  {
    const version = `PostgreSQL ${session.serverVersion.split(" ")[0]}`;
    trace.section(`The same steps on ${version}`, REF.weakIsolation);
    trace.note(
      `Each connection T1, T2, T3 is a node-postgres client with a backend of its own, each transaction begins with the level's "begin isolation level ...", and Hermitage's setup runs before each variant in a schema made for this run. A step PostgreSQL makes wait is left pending while the next step goes out on another connection: after each step the run asks the server pg_blocking_pids() of every pending backend, so a blocked step is one PostgreSQL reports waiting for a lock, not one that was merely slow. Rows are compared sorted by id, errors by SQLSTATE.`,
    );
    const differences: string[] = [];
    let compared = 0;
    const realRows: Cell[][] = [];
    const publishedDifferences: string[] = [];
    for (const level of postgresLevels) {
      const real: RealCaseOutcome[] = [];
      for (const hermitageCase of cases) {
        const simulated: CaseOutcome = runCase(hermitageCase, level, store);
        const outcome = await session.runCase(hermitageCase, level);
        real.push(outcome);
        outcome.variants.forEach((realVariant, i) => {
          const simVariant = simulated.variants[i] as VariantOutcome;
          const comparisons = compareVariant(simVariant, realVariant);
          compared += comparisons.length;
          for (const c of comparisons.filter((c) => !c.agree)) {
            differences.push(
              `${hermitageCase.id} ${simVariant.name} at ${level}, step ${c.index + 1}: simulated ${c.simulated}, PostgreSQL ${c.real}`,
            );
          }
          trace.table(
            `${hermitageCase.id} ${simVariant.name} at ${levelTitle(level)}: simulated ${simVariant.verdict}, ${version} ${realVariant.verdict}`,
            ["step", "conn", "SQL sent to PostgreSQL", "simulated", "PostgreSQL", "same"],
            comparisons.map((c) => [
              c.index + 1,
              c.conn,
              c.realSql,
              c.simulated,
              c.real,
              c.agree ? "yes" : "NO",
            ]),
          );
        });
        const published = publishedRow(level)?.[hermitageCase.id];
        if (published !== undefined && published !== outcome.verdict) {
          publishedDifferences.push(
            `${hermitageCase.id} at ${level}: ${outcome.verdict}, published ${published}`,
          );
        }
      }
      realRows.push([POSTGRES_LEVEL[level] as string, ...real.map((o) => o.verdict)]);
    }
    trace.table(
      `isolation matrix on ${version}`,
      ["PostgreSQL level", ...cases.map((c) => c.id)],
      realRows,
      "judged from PostgreSQL's results by the same judges as the simulated matrix",
    );
    trace.check(agreement, differences.length === 0, {
      expected: !breaksPostgresLevels(variant),
      detail:
        differences.length === 0
          ? `${compared} steps at ${postgresLevels.map((l) => POSTGRES_LEVEL[l]).join(", ")} on ${version}: rows, blocking, releasing step and SQLSTATE all agree`
          : `${differences.length} of ${compared} steps differ: ${differences.slice(0, 5).join("; ")}`,
      ref: REF.weakIsolation,
    });
    trace.check(
      `${version} reproduces its rows of Hermitage's table`,
      publishedDifferences.length === 0,
      {
        detail:
          publishedDifferences.length === 0
            ? `${realRows.length * cases.length} cells as in ${HERMITAGE_TABLE_SOURCE}`
            : publishedDifferences.join("; "),
        ref: REF.weakIsolation,
      },
    );
  }
}

const options: OptionSpec[] = [
  {
    flags: "--case <name>",
    description:
      "the case whose every step to replay (all: one line per variant of every case, and every step of P4 and G2-item)",
    parser: choice(CASE_CHOICES),
    default: "all",
  },
  {
    flags: "--level <level>",
    description: "the level to replay the steps at (the isolation matrix always has every level)",
    parser: choice(LEVEL_CHOICES),
    default: "all",
  },
  {
    flags: "--variant <name>",
    description: `correct, or a broken store: ${VARIANTS.filter((v) => v !== "correct")
      .map((v) => `${v} (${VARIANT_WHAT[v]})`)
      .join(", ")}`,
    parser: choice(VARIANTS),
    default: "correct",
  },
  {
    flags: "--postgres [url]",
    description: "also run the same steps on a real PostgreSQL and compare them step by step",
    parser: postgresUrl,
    default: false,
  },
];

export const hermitage: Scenario<HermitageFlags> = {
  name: "hermitage",
  summary:
    "Kleppmann's Hermitage tests for PostgreSQL, step by step at each isolation level, ending with the isolation matrix; with --postgres, the same steps on a real PostgreSQL side by side",
  options,
  // The server is tried before anything is printed: unreachable, the run is one line on stderr.
  validate: async (flags) => {
    if (flags.postgres === false) return undefined;
    try {
      await (
        await PostgresSession.open(flags.postgres === true ? undefined : flags.postgres)
      ).close();
      return undefined;
    } catch (error) {
      if (error instanceof PostgresUnavailable) return error.message;
      throw error;
    }
  },
  run: async ({ trace }, flags) => {
    const levels = levelsOf(flags.level);
    const cases = casesOf(flags.case);
    const session =
      flags.postgres === false
        ? null
        : await openSession(flags.postgres === true ? undefined : flags.postgres);
    try {
      story(trace, flags, levels, cases);
      if (session !== null) await onPostgres(trace, session, levels, cases, flags.variant);
    } finally {
      await session?.close();
    }
  },
};

function story(
  trace: Trace,
  flags: HermitageFlags,
  levels: readonly IsolationLevel[],
  cases: HermitageCase[],
) {
  const store = STORE_OPTIONS[flags.variant];
  trace.section("Hermitage: testing the I in ACID", REF.weakIsolation);
  trace.note(
    "Hermitage (Martin Kleppmann's background research for the book) probes what each database's isolation levels really prevent, by typing the same transactions into two or three connections in a fixed order. Each test starts from `create table test (id int primary key, value int); insert into test (id, value) values (1, 10), (2, 20);`. Here the connections T1, T2, T3 send PostgreSQL's tests, as postgres.md types them, to the simulated store, each transaction begun at the level under test.",
    { ref: REF.weakIsolation },
  );
  if (flags.variant !== "correct") {
    trace.note(
      `This run's store is broken on purpose (--variant ${flags.variant}): ${VARIANT_WHAT[flags.variant]}. ${
        breaksPostgresLevels(flags.variant)
          ? "The check against Hermitage's published rows at the end is expected to fail"
          : "The check that two-phase locking prevents every anomaly is expected to fail"
      }, and the cells that differ are the anomalies the missing safeguard was there to prevent.`,
      { ref: VARIANT_REF[flags.variant] },
    );
  }
  if (flags.case === "all") {
    summaries(trace, levels, cases, flags.variant);
    fullSteps(
      trace,
      levels,
      CASES.filter((c) => INSTRUCTIVE.includes(c.id)),
      store,
      false,
    );
  } else {
    fullSteps(trace, levels, cases, store, true);
  }
  matrix(trace, flags.variant);
}
