/**
 * An isolation checker for transactional histories in the forms Elle reads (Kingsbury and Alvaro,
 * "Elle: Inferring Isolation Anomalies from Experimental Observations", 2020), after DDIA chapter 7
 * ("Weak Isolation Levels", "Serializability"):
 *
 * - list-append: `{:type :ok, :process 3, :f :txn, :value [[:append 5 2] [:r 6 [1 2]]]}`; each key
 *   holds a list, an append adds one element, and a read returns the whole list;
 * - rw-register: `[:w k v]` and `[:r k v]`; each key holds one value, nil before any write.
 *
 * Reads are nil in the `:invoke`; a `:fail` transaction did not commit; an `:info` one may have
 * (its writes count, its reads are unknown). From the reads the checker infers each key's version
 * order, builds Adya's direct serialization graph (isolation-graph.ts), and reports each anomaly
 * with Elle's name, each with a sentence naming the transactions (by process and line). Which
 * models a history satisfies follows Adya's mapping (Adya 1999; Elle's
 * consistency_model.clj for what Adya's model lacks): see `PROSCRIBED`.
 *
 * What is inferred, and why it is sound (every edge drawn is a dependency, or a chain of them of
 * the same kind, in every version order the observations allow):
 *
 * - list-append: every read of a key is a prefix of the longest one, which gives the key's order
 *   of appends: consecutive elements give ww edges, a read ending at one
 *   element gives a wr edge from its appender and an rw edge to the next element's appender. An
 *   append no read shows comes after every element shown (lists only grow): the last shown
 *   element's appender precedes it (ww), and a read of the whole shown list precedes it (rw),
 *   unless the reader itself made such an unseen append (then which came first is unknown, and
 *   the edge could be ww as well as rw, so none is drawn). A key whose reads disagree (one not a
 *   prefix of another, or an element twice) gets no ww or rw edges at all.
 * - rw-register: only two facts order versions: nil (the initial state) precedes every written
 *   value, and a committed transaction that read v and then wrote v' installed v' after v (what
 *   Elle calls "writes follow reads", `wfr-keys?`, an option in Elle; here on unless
 *   `writesFollowReads: false`). The second is an assumption: it holds when versions are ordered
 *   as their writers commit and v's writer had committed when v was read; a dirty read can break
 *   it and make a cycle appear that the history does not have (fixture
 *   wfr-dirty-read-register.edn). wr edges come straight from the reads, since each value is
 *   written once. An rw edge goes from a reader of v to the writer of any v' known to follow v,
 *   unless the reader also wrote the key. Everything else is left unordered: fewer edges, so fewer
 *   cycles found, never a cycle that is not there.
 *
 * So a history judged serializable is one in which no anomaly can be inferred, not one proved
 * serializable: a version order the reads do not reveal can hide a cycle.
 */

import { type Edn, ednString, Keyword } from "./edn.js";
import {
  type CycleName,
  cycleExists,
  DependencyGraph,
  EDGE_BITS,
  type EdgeType,
  entry,
  type FoundCycle,
  findCycles,
} from "./isolation-graph.js";
import { HistoryFormatError, readJepsenEvents } from "./jepsen.js";

export { HistoryFormatError };

export type Outcome = "ok" | "info" | "fail";
export type Form = "list-append" | "rw-register";

/** One micro-operation of a transaction: `[:append k v]`, `[:r k v]` or `[:w k v]`. */
export interface MicroOp {
  readonly f: "append" | "r" | "w";
  /** The key as EDN text, so that equal keys are equal strings. */
  readonly key: string;
  readonly value: Edn;
}

export interface Transaction {
  /** Position in the history, from 0; named T1, T2... in sentences. */
  readonly id: number;
  readonly process: string;
  readonly outcome: Outcome;
  /** The line of its completion (where the reads are), or of its invocation if it never completed. */
  readonly line: number;
  readonly ops: readonly MicroOp[];
}

export interface IsolationHistory {
  form: Form;
  transactions: Transaction[];
}

const K = {
  process: Keyword.of("process"),
  type: Keyword.of("type"),
  f: Keyword.of("f"),
  value: Keyword.of("value"),
};

function shorten(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Read a history of transactions. Bad input throws a HistoryFormatError naming the line: an
 * operation that is not a transaction, a micro-operation other than :append, :r and :w, both
 * appends and register writes in one history, a value appended (or written) twice to one key
 * (Elle refuses these too: the order of versions is read from unique values), or a write of nil.
 */
export function parseIsolationHistory(text: string): IsolationHistory {
  const pending = new Map<string, { value: Edn; line: number }>();
  const raw: { process: string; outcome: Outcome; line: number; value: Edn; invoked: Edn }[] = [];
  for (const { map, line } of readJepsenEvents(text)) {
    const fail = (message: string): never => {
      throw new HistoryFormatError(line, message);
    };
    const process = map.get(K.process);
    if (process === undefined || process === null) fail("missing :process");
    const who = process instanceof Keyword ? process.name : ednString(process);
    if (who === "nemesis") continue;
    const f = map.get(K.f);
    if (f !== Keyword.of("txn"))
      fail(`expected a transaction, :f :txn, got :f ${ednString(f ?? null)}`);
    const type = map.get(K.type);
    const value = map.get(K.value) ?? null;
    if (type === Keyword.of("invoke")) {
      if (pending.has(who))
        fail(`process ${who} invokes again before its last transaction completed`);
      pending.set(who, { value, line });
      continue;
    }
    if (type !== Keyword.of("ok") && type !== Keyword.of("fail") && type !== Keyword.of("info"))
      fail(`:type must be :invoke, :ok, :fail or :info, got ${ednString(type ?? null)}`);
    const invocation = pending.get(who);
    pending.delete(who);
    // A completion without its invocation is taken alone, as Elle's own tests write histories.
    raw.push({
      process: who,
      outcome: (type as Keyword).name as Outcome,
      line,
      value,
      invoked: invocation?.value ?? value,
    });
  }
  for (const [who, { value, line }] of pending)
    raw.push({ process: who, outcome: "info", line, value, invoked: value });
  raw.sort((a, b) => a.line - b.line);

  let appends = false;
  let writes = false;
  let listReads = false;
  const transactions: Transaction[] = raw.map((r, id) => {
    // An :info transaction's reads are unknown: its writes are those it was asked to make.
    const source = r.outcome === "ok" ? r.value : r.invoked;
    const ops = microOps(source, r.line);
    for (const op of ops) {
      if (op.f === "append") appends = true;
      if (op.f === "w") writes = true;
      if (op.f === "r" && Array.isArray(op.value)) listReads = true;
    }
    return { id, process: r.process, outcome: r.outcome, line: r.line, ops };
  });
  if (appends && writes)
    throw new HistoryFormatError(
      transactions.find((t) => t.ops.some((o) => o.f === "w"))?.line ?? 1,
      "a history is either list-append (:append) or rw-register (:w), not both",
    );
  const form: Form = appends || (!writes && listReads) ? "list-append" : "rw-register";
  checkInput(form, transactions);
  return { form, transactions };
}

const MOP_FUNCTIONS = new Set(["append", "r", "w"]);

function microOps(value: Edn, line: number): MicroOp[] {
  const fail = (message: string): never => {
    throw new HistoryFormatError(line, message);
  };
  if (!Array.isArray(value))
    fail(
      `a transaction's :value is a vector of micro-operations, got ${shorten(ednString(value))}`,
    );
  return (value as Edn[]).map((mop) => {
    if (!Array.isArray(mop) || mop.length !== 3 || !(mop[0] instanceof Keyword))
      return fail(
        `a micro-operation is [:append k v], [:r k v] or [:w k v], got ${shorten(ednString(mop))}`,
      );
    const f = (mop[0] as Keyword).name;
    if (!MOP_FUNCTIONS.has(f))
      fail(`a micro-operation is :append, :r or :w, got :${f} in ${shorten(ednString(mop))}`);
    return { f: f as MicroOp["f"], key: ednString(mop[1] as Edn), value: mop[2] as Edn };
  });
}

/** Unique appended (written) values per key; lists read in list-append; no write of nil. */
function checkInput(form: Form, transactions: readonly Transaction[]): void {
  const written = new Map<string, Set<string>>();
  for (const t of transactions) {
    for (const op of t.ops) {
      const fail = (message: string): never => {
        throw new HistoryFormatError(t.line, message);
      };
      if (op.f === "r") {
        if (
          form === "list-append" &&
          t.outcome === "ok" &&
          op.value !== null &&
          !Array.isArray(op.value)
        )
          fail(
            `a list-append read returns a list or nil, got [:r ${op.key} ${shorten(ednString(op.value))}]`,
          );
        continue;
      }
      if (op.value === null)
        fail(`[:${op.f} ${op.key} nil]: nil is the initial state, never written`);
      const values = entry(written, op.key, () => new Set());
      const text = ednString(op.value);
      if (values.has(text))
        fail(
          `${text} is ${form === "list-append" ? "appended to" : "written to"} key ${op.key} more than once; the checker needs unique values (Elle: duplicate-appends)`,
        );
      values.add(text);
    }
  }
}

/** Elle's names for what this checker finds. */
export type AnomalyName =
  | CycleName
  | "G1a"
  | "G1b"
  | "internal"
  | "future-read"
  | "duplicate-elements"
  | "incompatible-order"
  | "lost-update"
  | "cyclic-versions"
  | "garbage-read"
  | "PL-1-cycle-exists"
  | "PL-2-cycle-exists"
  | "PL-SI-cycle-exists"
  | "PL-2.99-cycle-exists";

export const MODEL_NAMES = [
  "serializable",
  "snapshot-isolation",
  "repeatable-read",
  "read-committed",
  "read-uncommitted",
] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

const READ_UNCOMMITTED: AnomalyName[] = [
  "G0",
  "duplicate-elements",
  "cyclic-versions",
  "garbage-read",
  "PL-1-cycle-exists",
];
const READ_COMMITTED: AnomalyName[] = [
  ...READ_UNCOMMITTED,
  "G1a",
  "G1b",
  "G1c",
  "incompatible-order",
  "future-read",
  "PL-2-cycle-exists",
];

/**
 * What each model proscribes. Adya (1999): read uncommitted (PL-1)
 * proscribes G0; read committed (PL-2) G1, that is G1a, G1b and G1c; repeatable read (PL-2.99) G1
 * and G2-item, which is every cycle with an rw edge (here G-single, G-nonadjacent and G2-item);
 * snapshot isolation (PL-SI) G1 and G-single, and, as Elle adds after Fekete et al. and Cerone and
 * Gotsman, G-nonadjacent, internal inconsistency and lost update (which Berenson et al. 1995 list
 * as prevented by snapshot isolation); serializable (PL-3) all of them. As in Elle: duplicate
 * elements, cyclic versions and a read of a value nobody wrote fall outside every Adya history
 * (proscribed from read uncommitted up); an incompatible order and a future read imply G1a and G1c,
 * and are proscribed from read committed up. The -cycle-exists names are Elle's for a cycle known
 * to exist whose search ran out of budget.
 */
export const PROSCRIBED: Record<ModelName, readonly AnomalyName[]> = {
  "read-uncommitted": READ_UNCOMMITTED,
  "read-committed": READ_COMMITTED,
  "repeatable-read": [
    ...READ_COMMITTED,
    "G-single",
    "G-nonadjacent",
    "G2-item",
    "lost-update",
    "PL-SI-cycle-exists",
    "PL-2.99-cycle-exists",
  ],
  "snapshot-isolation": [
    ...READ_COMMITTED,
    "G-single",
    "G-nonadjacent",
    "internal",
    "lost-update",
    "PL-SI-cycle-exists",
  ],
  serializable: [
    ...READ_COMMITTED,
    "G-single",
    "G-nonadjacent",
    "G2-item",
    "internal",
    "lost-update",
    "PL-SI-cycle-exists",
    "PL-2.99-cycle-exists",
  ],
};

/** One step of a cycle: an edge and what it stands on. */
export interface CycleStep {
  from: number;
  to: number;
  type: EdgeType;
  key: string;
  /** The earlier version (ww: the from-transaction's; rw: what was read, nil for nothing). */
  before?: string;
  /** The later version (ww, rw: the to-transaction's; wr: the version read). */
  after?: string;
}

export interface AnomalyCase {
  name: AnomalyName;
  transactions: number[];
  /** For cycles: each edge, the last back to the first transaction. */
  steps?: CycleStep[];
  explanation: string;
}

export interface IsolationResult {
  form: Form;
  transactions: Transaction[];
  /** Anomalies found, each once, sorted. */
  anomalies: AnomalyName[];
  models: Record<ModelName, boolean>;
  cases: AnomalyCase[];
  graph: DependencyGraph;
}

/** Why an edge is there, for sentences: the key and the versions (as EDN text) it stands on. */
interface Reason {
  key: string;
  before?: string;
  after?: string;
  /** rw to an append no read shows: it came after the read, not necessarily right after. */
  later?: boolean;
  /** rw-register: the order of the two versions is known because `to` read one, then wrote the other. */
  writesFollowReads?: boolean;
}

export interface IsolationOptions {
  /**
   * rw-register: a committed transaction that read v and then wrote v' installed v' after v
   * (Elle's `wfr-keys?`). True unless told otherwise; it holds when versions are ordered as their
   * writers commit and no read is dirty (a read of a version whose writer had not yet committed
   * can see its writer commit after the reader, so the reader's write comes first).
   */
  writesFollowReads?: boolean;
}

class Analysis {
  readonly graph: DependencyGraph;
  readonly reasons = new Map<number, Reason>();
  readonly cases: AnomalyCase[] = [];
  constructor(
    readonly history: IsolationHistory,
    readonly options: IsolationOptions = {},
  ) {
    this.graph = new DependencyGraph(history.transactions.length);
  }

  committedOrMaybe(id: number): boolean {
    return (this.history.transactions[id] as Transaction).outcome !== "fail";
  }

  link(from: number, to: number, type: EdgeType, reason: Reason): void {
    if (!this.committedOrMaybe(from) || !this.committedOrMaybe(to)) return;
    if (this.graph.link(from, to, type)) this.reasons.set(this.edgeId(from, to, type), reason);
  }

  /**
   * A dependency whose type is unknown: `from` read a version that `to`'s write follows, but
   * `from` also wrote the key, in an order no read shows. Either its own write came first (a ww
   * path from it to `to`) or `to`'s did (an rw edge, and then ww ones): an edge of one kind or
   * the other, which only the question "is there a cycle at all" may use.
   */
  linkUncertain(from: number, to: number): void {
    if (this.committedOrMaybe(from) && this.committedOrMaybe(to))
      this.graph.linkUncertain(from, to);
  }

  reason(from: number, to: number, type: EdgeType): Reason {
    return this.reasons.get(this.edgeId(from, to, type)) as Reason;
  }

  private edgeId(from: number, to: number, type: EdgeType): number {
    return (from * this.graph.size + to) * 4 + EDGE_BITS[type];
  }

  add(name: AnomalyName, transactions: number[], explanation: string): void {
    this.cases.push({ name, transactions, explanation });
  }

  name(id: number): string {
    return `T${id + 1}`;
  }

  /** T3 (process 1, line 7): the first mention of a transaction in a sentence. */
  full(id: number): string {
    const t = this.history.transactions[id] as Transaction;
    return `T${id + 1} (process ${t.process}, line ${t.line}${t.outcome === "ok" ? "" : `, :${t.outcome}`})`;
  }
}

/** Check a history: anomalies, models, and a sentence for each case. */
export function checkIsolation(
  history: IsolationHistory,
  searchBudget?: number,
  options: IsolationOptions = {},
): IsolationResult {
  const analysis = new Analysis(history, options);
  if (history.form === "list-append") analyzeListAppend(analysis);
  else analyzeRegisters(analysis);
  // Whether each class of cycle exists is decided exactly; a search that gave up leaves Elle's
  // "-cycle-exists" in its place, so that no model is judged satisfied on a cycle not shown.
  const exists = cycleExists(analysis.graph);
  const cycles = findCycles(analysis.graph, searchBudget, exists);
  for (const cycle of cycles) analysis.cases.push(explainCycle(analysis, cycle));
  const found = new Set(cycles.map((c) => c.name));
  const fallback = (name: AnomalyName, text: string) =>
    analysis.add(name, [], `a cycle ${text} exists, but the search for one ran out of steps`);
  if (exists.ww && !found.has("G0")) fallback("PL-1-cycle-exists", "of ww edges");
  if (exists.wwWr && !found.has("G1c"))
    fallback("PL-2-cycle-exists", "of ww and wr edges with a wr edge");
  const siShown = ["G0", "G1c", "G-single", "G-nonadjacent"].some((n) => found.has(n as CycleName));
  if (exists.snapshot && !siShown && !exists.ww && !exists.wwWr)
    fallback("PL-SI-cycle-exists", "with rw edges, no two in a row");
  if (exists.any && found.size === 0 && !exists.ww && !exists.wwWr && !exists.snapshot)
    fallback("PL-2.99-cycle-exists", "with rw edges");
  if (exists.anyUncertain && !exists.any)
    analysis.add(
      "PL-2.99-cycle-exists",
      [],
      "a cycle exists through a transaction that read a key and then wrote it, where no read shows whether its write or another's came first: an edge that is ww or rw, so the cycle's class is unknown, but no serial order exists",
    );
  dropRedundantCycleExists(analysis);
  const anomalies = [...new Set(analysis.cases.map((c) => c.name))].sort();
  const models = Object.fromEntries(
    MODEL_NAMES.map((m) => [m, !anomalies.some((a) => PROSCRIBED[m].includes(a))]),
  ) as Record<ModelName, boolean>;
  return {
    form: history.form,
    transactions: history.transactions,
    anomalies,
    models,
    cases: analysis.cases,
    graph: analysis.graph,
  };
}

/**
 * As Elle's remove-redundant-cycle-exists (txn.clj): a "-cycle-exists" case says only that some
 * cycle rules a model out, so it is dropped when the other anomalies already rule out every model
 * that proscribes it (a lost update and the cycle of unknown class it makes, say). The verdicts do
 * not change.
 */
function dropRedundantCycleExists(a: Analysis): void {
  const isFallback = (name: AnomalyName) => name.endsWith("-cycle-exists");
  const others = new Set(a.cases.filter((c) => !isFallback(c.name)).map((c) => c.name));
  const ruledOut = (m: ModelName) => PROSCRIBED[m].some((n) => others.has(n));
  const redundant = (name: AnomalyName) =>
    MODEL_NAMES.every((m) => !PROSCRIBED[m].includes(name) || ruledOut(m));
  const kept = a.cases.filter((c) => !isFallback(c.name) || !redundant(c.name));
  a.cases.splice(0, a.cases.length, ...kept);
}

function list(value: Edn): Edn[] {
  return Array.isArray(value) ? value : [];
}

/** An element's identity as text: EDN's canonical form, quickly for the usual integers. */
function elementText(value: Edn | undefined): string {
  return typeof value === "number" && Number.isSafeInteger(value)
    ? String(value)
    : ednString(value ?? null);
}

/** A list in a sentence: whole when short, else its first and last four elements and its length. */
function listText(texts: readonly string[]): string {
  if (texts.length <= 12) return `[${texts.join(" ")}]`;
  return `[${texts.slice(0, 4).join(" ")} … ${texts.slice(-4).join(" ")}] (${texts.length} elements)`;
}

function sameElement(x: Edn | undefined, y: Edn | undefined): boolean {
  return x === y || (typeof x !== "number" && elementText(x) === elementText(y));
}

function analyzeListAppend(a: Analysis): void {
  const txns = a.history.transactions;
  // Who appended each element to each key, and whether it was not their last append to it.
  const appender = new Map<string, Map<string, { id: number; intermediate: boolean }>>();
  for (const t of txns) {
    const last = new Map<string, string>();
    for (const op of t.ops) if (op.f === "append") last.set(op.key, elementText(op.value));
    for (const op of t.ops) {
      if (op.f !== "append") continue;
      const byElement = entry(appender, op.key, () => new Map());
      const e = elementText(op.value);
      byElement.set(e, { id: t.id, intermediate: last.get(op.key) !== e });
    }
  }
  // Every read of each key by a committed transaction. Lists can be long, so elements become text
  // only for the longest read of each key; the others are compared with it element by element.
  const readsOf = new Map<string, { id: number; values: Edn[] }[]>();
  for (const t of txns) {
    if (t.outcome !== "ok") continue;
    internalListAppend(a, t);
    for (const op of t.ops) {
      if (op.f !== "r") continue;
      const values = list(op.value);
      entry(readsOf, op.key, () => []).push({ id: t.id, values });
      if (values.length === 0) continue;
      const lastElement = elementText(values.at(-1));
      const w = appender.get(op.key)?.get(lastElement);
      if (w === undefined || w.id === t.id) continue;
      if (w.intermediate)
        a.add(
          "G1b",
          [t.id, w.id],
          `${a.full(t.id)} read key ${op.key} ending at ${lastElement}, which ${a.full(w.id)} appended before appending more to it (intermediate read)`,
        );
      a.link(w.id, t.id, "wr", { key: op.key, after: lastElement });
    }
  }
  lostUpdates(a, (t) => t.ops.filter((o) => o.f === "append").map((o) => o.key));

  const keys = new Set([...appender.keys(), ...readsOf.keys()]);
  for (const key of keys) {
    const byElement = appender.get(key) ?? new Map<string, { id: number; intermediate: boolean }>();
    const reads = readsOf.get(key) ?? [];
    let longest: { id: number; values: Edn[] } | undefined;
    for (const r of reads)
      if (longest === undefined || r.values.length > longest.values.length) longest = r;
    const order = (longest?.values ?? []).map(elementText);
    let trusted = true;
    for (const r of reads) {
      const differ = r.values.findIndex((v, j) => !sameElement(v, longest?.values[j]));
      if (differ === -1) continue;
      trusted = false;
      a.add(
        "incompatible-order",
        [r.id, longest?.id as number].sort((x, y) => x - y),
        `${a.full(r.id)} read key ${key} as ${listText(r.values.map(elementText))} and ${a.full(longest?.id as number)} as ${listText(order)}: element ${differ + 1} is ${elementText(r.values[differ])} in the first and ${order[differ]} in the second, so the first is not a prefix of the second, and no one order of appends explains both`,
      );
      break;
    }
    // Elements read: each must have been appended once, by a transaction that did not abort. When
    // every read is a prefix of the longest, checking the longest checks them all, and the readers
    // of position p are those whose reads are longer than p.
    const checked = trusted ? (longest === undefined ? [] : [longest]) : reads;
    for (const r of checked) {
      const texts = r === longest ? order : r.values.map(elementText);
      const seen = new Set<string>();
      const byPosition = trusted;
      texts.forEach((e, p) => {
        // Found only when something is wrong, so looked up only then.
        const readerOf = () => (byPosition ? firstReaderBeyond(reads, p) : r.id);
        if (seen.has(e)) {
          const reader = readerOf();
          trusted = false;
          a.add(
            "duplicate-elements",
            [reader],
            `${a.full(reader)} read key ${key} with ${e} twice, though ${byElement.has(e) ? "it was appended once" : "no transaction appended it"}`,
          );
          return;
        }
        seen.add(e);
        const w = byElement.get(e);
        if (w === undefined) {
          const reader = readerOf();
          a.add(
            "garbage-read",
            [reader],
            `${a.full(reader)} read ${e} in key ${key}, which no transaction appended`,
          );
        } else if (txns[w.id]?.outcome === "fail") {
          const reader = readerOf();
          a.add(
            "G1a",
            [reader, w.id],
            `${a.full(reader)} read ${e} in key ${key}, appended by ${a.full(w.id)}, which aborted (aborted read)`,
          );
        }
      });
    }
    if (!trusted) continue;
    const readersOf = new Map<number, number[]>();
    for (const r of reads) entry(readersOf, r.values.length, () => []).push(r.id);
    const writer = (e: string | undefined) => (e === undefined ? undefined : byElement.get(e)?.id);
    for (let i = 0; i < order.length; i++) {
      const w = writer(order[i]);
      if (w === undefined) continue;
      const previous = writer(order[i - 1]);
      if (previous !== undefined)
        a.link(previous, w, "ww", { key, before: order[i - 1], after: order[i] });
      for (const r of readersOf.get(i) ?? [])
        if (r !== w) a.link(r, w, "rw", { key, before: order[i - 1], after: order[i] });
    }
    // Appends no read shows: after every element shown, in an order nobody saw.
    const position = new Set(order);
    const unseen = [...byElement].filter(
      ([e, w]) => !position.has(e) && txns[w.id]?.outcome !== "fail",
    );
    const unseenWriters = new Set(unseen.map(([, w]) => w.id));
    const lastShown = writer(order.at(-1));
    for (const [e, w] of unseen) {
      if (lastShown !== undefined)
        a.link(lastShown, w.id, "ww", { key, before: order.at(-1), after: e, later: true });
      for (const r of readersOf.get(order.length) ?? [])
        if (!unseenWriters.has(r))
          a.link(r, w.id, "rw", { key, before: order.at(-1), after: e, later: true });
        else a.linkUncertain(r, w.id);
    }
  }
}

/** The transaction with the shortest read longer than p (the first to read position p). */
function firstReaderBeyond(reads: readonly { id: number; values: Edn[] }[], p: number): number {
  let best: { id: number; values: Edn[] } | undefined;
  for (const r of reads)
    if (r.values.length > p && (best === undefined || r.values.length < best.values.length))
      best = r;
  return (best as { id: number }).id;
}

/**
 * Elle's internal consistency for list-append (after Cerone, Bernardi and Gotsman's axiom INT): a
 * read must show what the transaction's own earlier read showed, plus its own appends since; a read
 * after appends with no read before must end with those appends. And a future read: a read that
 * shows an element the transaction appends only later.
 */
function internalListAppend(a: Analysis, t: Transaction): void {
  // Most transactions touch each key once: nothing to compare, so nothing is converted.
  const expected = new Map<string, { known: boolean; elements: Edn[] }>();
  const appendedLater = new Map<string, Set<string>>();
  for (const op of t.ops)
    if (op.f === "append") entry(appendedLater, op.key, () => new Set()).add(elementText(op.value));
  for (const op of t.ops) {
    if (op.f === "append") {
      const state = expected.get(op.key) ?? { known: false, elements: [] };
      expected.set(op.key, { known: state.known, elements: [...state.elements, op.value] });
      appendedLater.get(op.key)?.delete(elementText(op.value));
      continue;
    }
    const read = list(op.value);
    const state = expected.get(op.key);
    if (state !== undefined) {
      const offset = state.known ? 0 : read.length - state.elements.length;
      const ok =
        (state.known ? state.elements.length === read.length : offset >= 0) &&
        state.elements.every((x, i) => sameElement(read[offset + i], x));
      if (!ok) {
        const texts = state.elements.map(elementText);
        a.add(
          "internal",
          [t.id],
          `${a.full(t.id)} read key ${op.key} as ${listText(read.map(elementText))}, though its own earlier reads and appends say it holds ${state.known ? listText(texts) : `[... ${texts.join(" ")}]`}`,
        );
      }
    }
    const later = appendedLater.get(op.key);
    if (later !== undefined && later.size > 0) {
      const future = read.map(elementText).filter((x) => later.has(x));
      if (future.length > 0)
        a.add(
          "future-read",
          [t.id],
          `${a.full(t.id)} read ${future.join(", ")} in key ${op.key} before appending ${future.length === 1 ? "it" : "them"} itself`,
        );
    }
    expected.set(op.key, { known: true, elements: read });
  }
}

/**
 * Elle's lost update: two committed transactions read the same version of a key (their first
 * access to it) and then both wrote it. With the full version order this is a G2-item cycle; it is
 * found directly because the order of the two writes is often unknown.
 */
function lostUpdates(a: Analysis, writtenKeys: (t: Transaction) => string[]): void {
  const groups = new Map<string, { key: string; version: string; ids: number[] }>();
  for (const t of a.history.transactions) {
    if (t.outcome !== "ok") continue;
    const written = new Set(writtenKeys(t));
    const seen = new Set<string>();
    for (const op of t.ops) {
      if (seen.has(op.key)) continue;
      seen.add(op.key);
      if (op.f !== "r" || !written.has(op.key)) continue;
      const values = list(op.value);
      const id =
        a.history.form === "list-append"
          ? JSON.stringify([op.key, values.map(elementText)])
          : JSON.stringify([op.key, ednString(op.value)]);
      const group = entry(groups, id, () => ({
        key: op.key,
        version:
          a.history.form === "list-append"
            ? listText(values.map(elementText))
            : ednString(op.value),
        ids: [] as number[],
      }));
      group.ids.push(t.id);
    }
  }
  for (const { key, version, ids } of groups.values()) {
    if (ids.length < 2) continue;
    a.add(
      "lost-update",
      ids,
      `${ids.map((id) => a.full(id)).join(" and ")} ${ids.length === 2 ? "both" : "all"} read key ${key} as ${version} and then ${a.history.form === "list-append" ? "appended to" : "wrote"} it, so every one but the first to write missed an earlier one's write (lost update)`,
    );
  }
}

function analyzeRegisters(a: Analysis): void {
  const txns = a.history.transactions;
  // Each value's writer, and whether it was that writer's last write of the key.
  const writerOf = new Map<string, Map<string, { id: number; final: boolean }>>();
  const finalWrites = txns.map(() => new Map<string, string>());
  const externalReads = txns.map(() => new Map<string, string>());
  for (const t of txns) {
    const finals = finalWrites[t.id] as Map<string, string>;
    for (const op of t.ops) if (op.f === "w") finals.set(op.key, ednString(op.value));
    for (const op of t.ops) {
      if (op.f !== "w") continue;
      const byValue = entry(writerOf, op.key, () => new Map());
      const v = ednString(op.value);
      byValue.set(v, { id: t.id, final: finals.get(op.key) === v });
    }
  }
  // Readers (external reads of committed transactions) of each version, nil included.
  const readersOf = new Map<string, Map<string, Set<number>>>();
  for (const t of txns) {
    if (t.outcome !== "ok") continue;
    const state = new Map<string, string>();
    const wroteKey = new Set<string>();
    const later = new Map<string, Set<string>>();
    for (const op of t.ops)
      if (op.f === "w") {
        const s = entry(later, op.key, () => new Set());
        s.add(ednString(op.value));
      }
    for (const op of t.ops) {
      const v = ednString(op.value);
      if (op.f === "w") {
        state.set(op.key, v);
        wroteKey.add(op.key);
        later.get(op.key)?.delete(v);
        continue;
      }
      const expected = state.get(op.key);
      if (expected !== undefined && expected !== v)
        a.add(
          "internal",
          [t.id],
          `${a.full(t.id)} read key ${op.key} = ${v}, though its own earlier ${wroteKey.has(op.key) ? "write" : "read"} says it holds ${expected}`,
        );
      state.set(op.key, v);
      if (wroteKey.has(op.key) || externalReads[t.id]?.has(op.key)) continue;
      (externalReads[t.id] as Map<string, string>).set(op.key, v);
      const byValue = entry(readersOf, op.key, () => new Map());
      const readers = entry(byValue, v, () => new Set());
      readers.add(t.id);
      if (op.value === null) continue;
      if (later.get(op.key)?.has(v)) {
        a.add(
          "future-read",
          [t.id],
          `${a.full(t.id)} read key ${op.key} = ${v} before writing that value itself`,
        );
        continue;
      }
      const w = writerOf.get(op.key)?.get(v);
      if (w === undefined)
        a.add(
          "garbage-read",
          [t.id],
          `${a.full(t.id)} read key ${op.key} = ${v}, which no transaction wrote`,
        );
      else if (txns[w.id]?.outcome === "fail")
        a.add(
          "G1a",
          [t.id, w.id],
          `${a.full(t.id)} read key ${op.key} = ${v}, written by ${a.full(w.id)}, which aborted (aborted read)`,
        );
      else if (!w.final)
        a.add(
          "G1b",
          [t.id, w.id],
          `${a.full(t.id)} read key ${op.key} = ${v}, which ${a.full(w.id)} wrote and then overwrote (intermediate read)`,
        );
      else a.link(w.id, t.id, "wr", { key: op.key, after: v });
    }
  }
  lostUpdates(a, (t) => t.ops.filter((o) => o.f === "w").map((o) => o.key));

  // Version order per key: nil before every value, and writes follow reads.
  const readThenWrote = new Map<string, [string, string][]>();
  for (const t of txns) {
    if (t.outcome !== "ok" || a.options.writesFollowReads === false) continue;
    for (const [key, read] of externalReads[t.id] ?? []) {
      const wrote = finalWrites[t.id]?.get(key);
      if (wrote !== undefined) entry(readThenWrote, key, () => []).push([read, wrote]);
    }
  }
  for (const [key, byValue] of writerOf) {
    const committedFinal = (v: string) => {
      const w = byValue.get(v);
      if (w === undefined || !w.final || txns[w.id]?.outcome === "fail") return undefined;
      return w.id;
    };
    const follows = new Map<string, Set<string>>();
    const edge = (v1: string, v2: string) => {
      const s = entry(follows, v1, () => new Set());
      s.add(v2);
    };
    for (const [v] of byValue) if (committedFinal(v) !== undefined) edge("nil", v);
    const wfr = new Map<string, Set<string>>();
    for (const [read, wrote] of readThenWrote.get(key) ?? []) {
      if (read === "nil" || committedFinal(read) === undefined) continue;
      entry(wfr, read, () => new Set()).add(wrote);
    }
    const cycle = versionCycle(wfr);
    if (cycle !== undefined) {
      // The value after each one was written by the transaction that read it.
      const ids = cycle.map(
        (_, i) => committedFinal(cycle[(i + 1) % cycle.length] as string) as number,
      );
      a.add(
        "cyclic-versions",
        ids,
        `on key ${key}, ${cycle.map((v, i) => `${a.full(ids[i] as number)} read ${v} and wrote ${cycle[(i + 1) % cycle.length]}`).join(", ")}: if each write follows the read before it in the version order, as assumed, no version order exists`,
      );
    } else for (const [v1, s] of wfr) for (const v2 of s) edge(v1, v2);
    const readers = readersOf.get(key) ?? new Map<string, Set<number>>();
    for (const [v1, s] of follows)
      for (const v2 of s) {
        const w2 = committedFinal(v2);
        if (w2 === undefined) continue;
        const w1 = v1 === "nil" ? undefined : committedFinal(v1);
        // Every order but nil's comes from writes following reads: w2 read v1, then wrote v2.
        const reason = { key, before: v1, after: v2, writesFollowReads: v1 !== "nil" };
        if (w1 !== undefined) a.link(w1, w2, "ww", reason);
        for (const r of readers.get(v1) ?? [])
          if (!finalWrites[r]?.has(key)) a.link(r, w2, "rw", reason);
          else a.linkUncertain(r, w2);
      }
  }
}

/** A cycle among versions (values), or undefined. */
function versionCycle(follows: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const path: string[] = [];
  const visit = (v: string): string[] | undefined => {
    state.set(v, 1);
    path.push(v);
    for (const w of follows.get(v) ?? []) {
      if (state.get(w) === 1) return path.slice(path.indexOf(w));
      if (state.get(w) === undefined) {
        const found = visit(w);
        if (found !== undefined) return found;
      }
    }
    path.pop();
    state.set(v, 2);
    return undefined;
  };
  for (const v of follows.keys()) {
    if (state.get(v) !== undefined) continue;
    const found = visit(v);
    if (found !== undefined) return found;
  }
  return undefined;
}

const EDGE_MEANING: Record<EdgeType, string> = { ww: "ww", wr: "wr", rw: "rw" };

/** One sentence naming every transaction and edge of a cycle. */
function explainCycle(a: Analysis, cycle: FoundCycle): AnomalyCase {
  const mentioned = new Set<number>();
  const name = (id: number) => {
    if (mentioned.has(id)) return a.name(id);
    mentioned.add(id);
    return a.full(id);
  };
  const steps: CycleStep[] = [];
  const clauses = cycle.transactions.map((from, i) => {
    const to = cycle.transactions[(i + 1) % cycle.transactions.length] as number;
    const type = cycle.types[i] as EdgeType;
    const r = a.reason(from, to, type);
    steps.push({
      from,
      to,
      type,
      key: r.key,
      ...(r.before === undefined ? {} : { before: r.before }),
      ...(r.after === undefined ? {} : { after: r.after }),
    });
    const f = name(from);
    const t = name(to);
    const appends = a.history.form === "list-append";
    switch (type) {
      case "ww":
        return appends
          ? `${f} appended ${r.before} to key ${r.key} and ${t} appended ${r.after} after it (ww)`
          : r.writesFollowReads
            ? `${f} wrote ${r.before} to key ${r.key} and ${t} read it and then wrote ${r.after} (ww, writes following reads)`
            : `${f} wrote ${r.before} to key ${r.key} and ${t} wrote ${r.after} after it in the version order (ww)`;
      case "wr":
        return appends
          ? `${f} appended ${r.after} to key ${r.key} and ${t} read it as the last element (wr)`
          : `${f} wrote ${r.after} to key ${r.key} and ${t} read it (wr)`;
      case "rw":
        if (appends)
          return `${f} read key ${r.key} ${r.before === undefined ? "empty" : `ending at ${r.before}`}, missing the ${r.after} that ${t} appended ${r.later ? "after it" : "next"} (rw)`;
        return r.writesFollowReads
          ? `${f} read key ${r.key} = ${r.before} and ${t} read ${r.before} too and then wrote ${r.after} (rw, writes following reads)`
          : `${f} read key ${r.key} = ${r.before} and ${t} wrote ${r.after} after it in the version order (rw)`;
    }
    return EDGE_MEANING[type];
  });
  const names = cycle.transactions.map((id) => a.name(id));
  return {
    name: cycle.name,
    transactions: cycle.transactions,
    steps,
    explanation: `${clauses.join(", ")}: a cycle ${[...names, names[0]].join(" → ")}`,
  };
}

/** The text report of one file. */
export function isolationText(file: string, result: IsolationResult): string {
  const n = result.transactions.length;
  const header = `${file}: ${n} transaction${n === 1 ? "" : "s"} (${result.form})`;
  const holds = MODEL_NAMES.filter((m) => result.models[m]);
  const fails = MODEL_NAMES.filter((m) => !result.models[m]);
  const lines = [
    result.anomalies.length === 0
      ? `${header}: no anomaly found`
      : `${header}: ${result.anomalies.join(", ")}`,
  ];
  if (result.anomalies.length > 0) {
    lines.push(`  ruled out: ${fails.join(", ")}`);
    if (holds.length > 0) lines.push(`  not ruled out: ${holds.join(", ")}`);
  }
  for (const c of result.cases) lines.push(`  ${c.name}: ${c.explanation}`);
  return `${lines.join("\n")}\n`;
}

/** The --json report of one file. */
export function isolationJson(file: string, result: IsolationResult) {
  const txn = (id: number) => {
    const t = result.transactions[id] as Transaction;
    return { name: `T${id + 1}`, process: t.process, line: t.line, outcome: t.outcome };
  };
  const cycles = result.cases.filter((c) => c.steps !== undefined);
  const others = result.cases.filter((c) => c.steps === undefined);
  return {
    file,
    form: result.form,
    transactions: result.transactions.length,
    anomalies: result.anomalies,
    models: result.models,
    cycles: cycles.map((c) => ({
      anomaly: c.name,
      transactions: c.transactions.map(txn),
      steps: (c.steps ?? []).map((s) => ({ ...s, from: `T${s.from + 1}`, to: `T${s.to + 1}` })),
      explanation: c.explanation,
    })),
    cases: others.map((c) => ({
      anomaly: c.name,
      transactions: c.transactions.map(txn),
      explanation: c.explanation,
    })),
  };
}
