/**
 * Consistency models (DDIA ch. 9, "Linearizability" and "Ordering Guarantees"; ch. 5, "Problems
 * with Replication Lag"). First the classic small histories, scripted and drawn as timelines, each
 * classified by the checker (shared/check/consistency.ts) and compared with the verdict worked out
 * by hand: a read concurrent with a write (linearizable), Bob's reload after Alice's read
 * (sequential, not linearizable), independent reads of independent writes (causal, not
 * sequential), the answer seen before the question (PRAM, not causal), and the book's two
 * replication-lag anomalies (not even PRAM). Then stores run one workload and the checker
 * classifies each store's history: a matrix of which models each history satisfies, and the
 * checker's sentence for each violation.
 */

import {
  type Classification,
  type ClassifyOptions,
  type ConsistencyModel,
  classify,
  DEFAULT_MAX_STEPS,
} from "../../shared/check/consistency.js";
import type { CheckedOp } from "../../shared/check/linearizability.js";
import { integer, option, probability, type Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import { historyOperations } from "../../shared/render/diagram/model.js";
import { renderTimeline } from "../../shared/render/timeline.js";
import type { Trace } from "../../shared/trace.js";
import { CLASSIC_HISTORIES, type ClassicHistory } from "../models/classic.js";
import {
  atTime,
  disagreements,
  emptySubject,
  firstViolations,
  MATRIX_CAPTION,
  MODEL_TITLES,
  matrixColumns,
  matrixRow,
} from "../models/matrix.js";
import { STORES, type StoreUnderTest } from "../models/stores.js";
import { REF } from "../refs.js";
import { type ClientScript, planRegisterWorkload } from "../workload.js";

/** Columns a timeline may use: the note that carries it indents it by four. */
export const TIMELINE_WIDTH = 96;

interface Options {
  clients: number;
  operations: number;
  keys: number;
  loss: number;
  maxSteps: number;
}

/** The workload's shape beyond the flags: each operation a write with probability 1/2, pauses of up to 30 ms. */
const WRITE_RATIO = 0.5;
const THINK_MS_MAX = 30;

/** `at 6 ms`: where an operation of a scripted history is, in the checker's sentences. */
const at = (op: { callTime: number }) => `at ${op.callTime} ms`;

export const consistencyModels: Scenario<Options> = {
  name: "consistency-models",
  networked: true,
  summary:
    "classic histories drawn as timelines and classified (linearizable, sequential, causal, PRAM, session guarantees); then five stores run one workload and the checker classifies each history",
  options: [
    option("--clients <count>", "clients (users' sessions) running the workload", integer(1, 8), 3),
    option("--operations <count>", "operations per client", integer(1, 100), 10),
    option("--keys <count>", "registers the workload reads and writes", integer(1, 5), 2),
    option("--loss <p>", "probability that a message is lost, in every store", probability, 0),
    option(
      "--max-steps <count>",
      "the checker's search steps per model and store history before it reports the model undecided (the classic histories are small and always decided)",
      integer(1, 5_000_000),
      DEFAULT_MAX_STEPS,
    ),
  ],
  run: ({ trace, seed }, options) => {
    classicHistories(trace);
    storeHistories(trace, seed, options);
  },
};

/** A checker as the scenario calls it; tests pass a broken one to see the checks catch it. */
export type Classifier = (ops: readonly CheckedOp[], options: ClassifyOptions) => Classification;

/** Part 1: the classic histories, drawn, classified and compared with the verdicts by hand. */
export function classicHistories(trace: Trace, checker: Classifier = classify): void {
  trace.section("The classic histories, drawn and classified", REF.linearizability);
  trace.note(
    "Each history below is scripted: one row per process, time running to the right, each operation a bar from its invocation to its completion. w(x,1) wrote 1 to x; r(x)→1 read 1 (→nil: it saw no write); a trailing ? marks an operation whose outcome is unknown (it may have happened), ✗ one that failed. Positions keep the order of every invocation and completion; distances are only roughly to scale. Every register starts at nil and every value is written once, so a read names the write it saw.",
  );
  trace.note(
    "An order of operations explains a history's reads when each read returns the latest write to its key before it in that order, or nil if there is none. The models, strongest first, each implying the next: linearizable (one such order of all the operations that respects real time), sequential (Lamport 1979: one such order that respects each process's own order, not real time), causal memory (Ahamad et al. 1995: for each process, an order of all the writes and of its own operations that respects the causal order), PRAM (Lipton and Sandberg 1988: the same, respecting only the order of each process's operations). Then the session guarantees of Terry et al. 1994, judged by the patterns one session's reads can show.",
    { ref: REF.strongerThanCausal },
  );
  const rows = [];
  for (const history of CLASSIC_HISTORIES) {
    const c = checker(history.ops, { place: at });
    classicHistory(trace, history, c);
    rows.push(matrixRow(history.name, c, history.ops));
  }
  trace.table(
    "The classic histories: which models each satisfies",
    matrixColumns("history"),
    rows,
    MATRIX_CAPTION,
  );
}

function classicHistory(trace: Trace, history: ClassicHistory, c: Classification): void {
  trace.section(history.title, history.ref);
  trace.note(
    [`${history.name}:`, ...renderTimeline(history.ops, { width: TIMELINE_WIDTH })].join("\n"),
  );
  trace.note(history.why, { ref: history.ref });
  for (const v of firstViolations(c))
    trace.note(`The checker, on ${MODEL_TITLES[v.model]}: ${v.message}.`);
  const differ = disagreements(c, history.holds);
  trace.check(
    `the checker's verdicts on ${history.name} match the ones worked out by hand`,
    differ.length === 0,
    {
      detail:
        differ.length === 0
          ? `strongest memory model that holds: ${c.strongest === null ? "none of the four" : MODEL_TITLES[c.strongest]}`
          : differ.map((d) => `${d.model}: ${d.got}, by hand ${d.expected}`).join("; "),
      ref: history.ref,
    },
  );
}

/** A store's history with its classification. */
export interface StoreResult {
  store: StoreUnderTest;
  history: CheckedOp[];
  classification: Classification;
}

/** Run every store on the same scripts and classify each history. */
export function runStores(
  seed: number,
  options: Options,
  stores: readonly StoreUnderTest[] = STORES,
  checker: Classifier = classify,
  /** A trace that keeps messages (--verbose, --json): each store's run shows its messages there. */
  trace?: Trace,
): { scripts: ClientScript[]; results: StoreResult[] } {
  const scripts = planRegisterWorkload(new Random(seed).fork("workload"), {
    clients: options.clients,
    operations: options.operations,
    keys: options.keys,
    writeRatio: WRITE_RATIO,
    thinkMsMax: THINK_MS_MAX,
  });
  const results = stores.map((store) => {
    if (trace !== undefined)
      trace.note(`The ${store.name} store's run, message by message (its clock starts at 0):`);
    const history = store.run(scripts, { seed, loss: options.loss, trace });
    const classification = checker(history, { place: atTime, maxSteps: options.maxSteps });
    // For the pictures: the history as bars, the weakest violation's operations as the witness
    // (the one drawn below the matrix), in the store's own run.
    const witness = [...firstViolations(classification)]
      .reverse()
      .find((v) => new Set(v.ops).size >= 2);
    trace?.history(
      `the ${store.name} store's history${witness === undefined ? "" : `, with the ${MODEL_TITLES[witness.model]} witness`}`,
      historyOperations(history),
      witness === undefined ? [] : [...new Set(witness.ops.map((op) => op.id))],
    );
    return { store, history, classification };
  });
  return { scripts, results };
}

/** Part 2: the stores, one workload, the matrix, the checker's sentences, and the checks. */
export function storeHistories(
  trace: Trace,
  seed: number,
  options: Options,
  stores: readonly StoreUnderTest[] = STORES,
  checker: Classifier = classify,
): void {
  trace.section(
    `${stores.length === 1 ? "One store" : `${numberWord(stores.length)} stores`}, one workload`,
  );
  trace.note(
    `The workload (seed ${seed}): ${options.clients === 1 ? "1 client, a user's session," : `${options.clients} clients, each a user's session,`} running ${options.operations === 1 ? "1 operation" : `${options.operations} operations one at a time`} on ${options.keys} key${options.keys === 1 ? "" : "s"}, each operation a write with probability ${WRITE_RATIO} (every value written once) and each preceded by a pause of up to ${THINK_MS_MAX} ms. Every store runs these same scripts on its own simulated network, ${options.loss === 0 ? "losing no message" : `each message lost with probability ${options.loss}`}; a client retries what gets no answer, and an operation that never gets one is recorded with an unknown outcome (a write) or as failed (a read).`,
  );
  for (const store of stores) trace.note(`${store.name}: ${store.how}`, { ref: store.ref });
  // --verbose and --json show each store's messages (the trace keeps them only then).
  const { results } = runStores(seed, options, stores, checker, trace.messages ? trace : undefined);
  trace.table(
    `Which models each store's history satisfies (seed ${seed})`,
    matrixColumns("store"),
    results.map((r) => matrixRow(r.store.name, r.classification, r.history)),
    MATRIX_CAPTION,
  );
  for (const r of results) storeWitnesses(trace, r, options);
  trace.note(
    "One history shows violations, never guarantees: a yes above says only that the checker found no violation of that model in this run's history (for a session guarantee, no witness within one session), not that the store cannot produce one. Other seeds (--seed), more clients or operations, and message loss (--loss) make other histories.",
    { level: "summary", ref: REF.linearizability },
  );
  trace.section("What each store is built to give, and what it is not, checked on its history");
  for (const r of results) storeChecks(trace, r, options);
}

function storeWitnesses(trace: Trace, r: StoreResult, options: Options): void {
  const c = r.classification;
  const reads = r.history.filter((op) => op.f === "read" && op.outcome === "ok").length;
  const writes = r.history.filter((op) => op.f === "write" && op.outcome === "ok").length;
  const unknown = r.history.filter((op) => op.outcome !== "ok").length;
  const counts = `${r.history.length} operation${r.history.length === 1 ? "" : "s"}: ${reads} read${reads === 1 ? "" : "s"} and ${writes} write${writes === 1 ? "" : "s"} completed${unknown === 0 ? "" : `, ${unknown} failed or of unknown outcome`}`;
  const found = firstViolations(c);
  const undecided = c.undecided.map((u) => MODEL_TITLES[u.model]);
  trace.note(
    `${r.store.name} (${counts}): ${
      found.length === 0
        ? undecided.length === 0
          ? "the checker found no violation of any model in this history."
          : `the checker found no violation; ${undecided.join(", ")} undecided within ${steps(options.maxSteps)}.`
        : `${found.length} model${found.length === 1 ? "" : "s"} violated (${found.map((v) => MODEL_TITLES[v.model]).join(", ")})${undecided.length === 0 ? "" : `, ${undecided.join(", ")} undecided within ${steps(options.maxSteps)}`}.`
    }`,
    { level: "summary" },
  );
  for (const v of found)
    trace.note(`The checker's first sentence on ${MODEL_TITLES[v.model]}: ${v.message}.`);
  // The operations of the weakest violation that names several, drawn.
  const drawn = [...found].reverse().find((v) => new Set(v.ops).size >= 2);
  if (drawn !== undefined)
    trace.note(
      [
        `The operations the ${MODEL_TITLES[drawn.model]} witness names, drawn:`,
        ...renderTimeline([...new Set(drawn.ops)], { width: TIMELINE_WIDTH }),
      ].join("\n"),
    );
}

const numberWord = (n: number) =>
  ["One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight"][n - 1] ?? String(n);

const steps = (n: number) => `${n.toLocaleString("en")} step${n === 1 ? "" : "s"}`;

/** The memory models, strongest first: each implies the next. */
const MEMORY_MODELS: readonly ConsistencyModel[] = ["linearizable", "sequential", "causal", "pram"];

function storeChecks(trace: Trace, r: StoreResult, options: Options): void {
  for (const claim of r.store.claims) {
    const name =
      claim.model === "linearizable" ||
      claim.model === "sequential" ||
      claim.model === "causal" ||
      claim.model === "pram"
        ? `the ${r.store.name} store's history is ${claim.model === "pram" ? "PRAM" : claim.model}`
        : `the ${r.store.name} store's history has no ${MODEL_TITLES[claim.model]} witness`;
    // A session guarantee is cited where the book describes it; a memory model where the store is.
    const ref =
      claim.model === "read-your-writes"
        ? REF.readYourWrites
        : claim.model === "monotonic-reads"
          ? REF.monotonicReads
          : r.store.ref;
    let held = r.classification.models[claim.model];
    let detail = claim.because;
    // Undecided, but a weaker memory model is violated: then so is this one.
    const weaker = MEMORY_MODELS.slice(MEMORY_MODELS.indexOf(claim.model) + 1).find(
      (m) => MEMORY_MODELS.includes(claim.model) && r.classification.models[m] === false,
    );
    if (held === null && weaker !== undefined) {
      held = false;
      detail = `${claim.because} (undecided within ${steps(options.maxSteps)}, but not ${MODEL_TITLES[weaker]}, which it implies)`;
    }
    // A violation is always reported; a hold only when the history could have broken the model.
    const empty = held === false ? undefined : emptySubject(r.history, claim.model);
    const cannot = held === false ? undefined : claim.unbreakable?.(options.clients);
    if (empty !== undefined) trace.notExercised(name, empty, { ref });
    else if (cannot !== undefined) trace.notExercised(name, cannot, { ref });
    else if (held === null)
      trace.notExercised(
        name,
        `the checker could not decide it within ${steps(options.maxSteps)} (--max-steps)`,
        { ref },
      );
    else
      trace.check(name, held, {
        expected: claim.designed,
        detail,
        ref,
      });
  }
}
