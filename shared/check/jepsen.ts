/**
 * Reading and writing Jepsen-style histories (the format of Jepsen, Knossos, Elle and Porcupine's
 * Jepsen input): operations as EDN maps with :process, :type (:invoke, :ok, :fail, :info), :f and
 * :value, and :key for key-value histories. Three layouts are read:
 *
 * - one map per line, as Jepsen writes history.edn;
 * - one vector or list of maps, as Knossos's test data is written (comments and line breaks
 *   anywhere);
 * - Jepsen's console log lines (`INFO  jepsen.util - 3\t:ok\t:read\t2`: process, type, f and value
 *   separated by tabs), the form of Porcupine's test_data/jepsen histories.
 *
 * Each process has at most one operation outstanding: its next completion closes it. An invocation
 * never completed counts as :info. With `independent`, every :value is a [key value] tuple, as
 * Jepsen's `independent` checker writes multi-key histories, and each key is checked as its own
 * object.
 */

import { type Edn, EdnError, EdnMap, ednString, Keyword, lineOf, readEdnAll } from "./edn.js";
import { type CheckedOp, type Model, type Outcome, operationProblem } from "./linearizability.js";

export class HistoryFormatError extends Error {
  override name = "HistoryFormatError";
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ParseOptions {
  /** Jepsen's multi-key form: each :value is [key value], and each key is its own object. */
  independent?: boolean;
  /** Refuse operations this model does not accept, naming the line (see `operationProblem`). */
  model?: Model<unknown>;
}

/**
 * A Jepsen console log line of an operation: the logger's prefix if any (old Jepsen's
 * `INFO  jepsen.util - `, newer Jepsen's `INFO [2019-04-01 11:25:23,791] jepsen worker 1 -
 * jepsen.util `), then process, :type and :f, then the value and, on :info and :fail lines, the
 * error, separated by tabs or (as some of Porcupine's logs have it) spaces.
 */
const LOG_LINE =
  /^(?:.*?\bjepsen\.util\s+(?:-\s+)?)?([-\w:]+)\s+(:(?:invoke|ok|fail|info))\s+(:[\w-]+)\s+(.*)$/;

/** Operations whose result is in the completion's :value, when no model says otherwise. */
const READS = new Set(["read", "get"]);

const K = {
  process: Keyword.of("process"),
  type: Keyword.of("type"),
  f: Keyword.of("f"),
  value: Keyword.of("value"),
  key: Keyword.of("key"),
};

interface Event {
  map: EdnMap;
  line: number;
}

/** The history's events, in the order written, each with its line. */
function events(text: string): Event[] {
  const lines = text.split("\n");
  // EDN begins with a map, a vector or a list (after comments); anything else is a console log.
  const first = lines.find((l) => l.trim() !== "" && !l.trim().startsWith(";"));
  if (first !== undefined && !/^[{[(]/.test(first.trim())) {
    const out: Event[] = [];
    lines.forEach((raw, index) => {
      // A console log holds other lines too ("INFO  jepsen.core - Running test"): as Porcupine
      // does, only the lines of operations are read.
      const log = LOG_LINE.exec(raw.trim());
      if (log === null) return;
      const [, process, type, f, rest] = log as unknown as [string, string, string, string, string];
      // The value, then on :info and :fail lines the error, which says nothing the checker uses.
      let who: Edn;
      let value: Edn;
      try {
        who = readEdnAll(process)[0]?.value ?? null;
        value = readEdnAll(rest)[0]?.value ?? null;
      } catch (error) {
        if (error instanceof EdnError) throw new HistoryFormatError(index + 1, error.reason);
        throw error;
      }
      out.push({
        map: new EdnMap([
          [K.process, who],
          [K.type, Keyword.of(type.slice(1))],
          [K.f, Keyword.of(f.slice(1))],
          [K.value, value],
        ]),
        line: index + 1,
      });
    });
    return out;
  }
  let elements: ReturnType<typeof readEdnAll>;
  try {
    elements = readEdnAll(text);
  } catch (error) {
    if (error instanceof EdnError)
      throw new HistoryFormatError(error.line, `${error.reason} (column ${error.column})`);
    throw error;
  }
  const only = elements[0];
  const items =
    elements.length === 1 && only !== undefined && Array.isArray(only.value)
      ? only.value.map((value) => ({
          value,
          line: value instanceof EdnMap ? (lineOf(value) ?? only.line) : only.line,
        }))
      : elements;
  return items.map(({ value, line }) => {
    if (!(value instanceof EdnMap))
      throw new HistoryFormatError(
        line,
        `expected an operation, a map such as {:process 0, :type :invoke, :f :read, :value nil}, got ${shorten(ednString(value))}`,
      );
    return { map: value, line };
  });
}

/**
 * The events of a Jepsen history (EDN maps one per line or in one vector, or console log lines), in
 * the order written, each with its line, for checkers whose operations are not a register's (Elle's
 * transactions, in isolation.ts). Malformed text throws a HistoryFormatError naming the line.
 */
export function readJepsenEvents(text: string): { map: EdnMap; line: number }[] {
  return events(text);
}

function shorten(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A process as the checker names it: a keyword by its name (:nemesis is "nemesis"), anything else
 * as EDN, so that the process 1 and the process "1" stay two processes.
 */
function nameOf(value: Edn): string {
  return value instanceof Keyword ? value.name : ednString(value);
}

/** [key value] under --independent, or undefined when `value` is not such a tuple. */
function tuple(value: Edn): [Edn, Edn] | undefined {
  return Array.isArray(value) && value.length === 2 ? (value as [Edn, Edn]) : undefined;
}

export function parseJepsenHistory(text: string, options: ParseOptions = {}): CheckedOp[] {
  const ops: CheckedOp[] = [];
  const open = new Map<string, CheckedOp>();
  const sourceLines = text.split("\n");
  const isRead = (f: string) =>
    options.model ? options.model.operations[f]?.read === true : READS.has(f);
  // Events are written in the order they happened, and their position is their time (as Knossos
  // and Porcupine read it): not their line, since one line may hold a whole history.
  let time = 0;
  for (const { map, line } of events(text)) {
    time++;
    const fail = (message: string): never => {
      throw new HistoryFormatError(line, message);
    };
    const type = map.get(K.type);
    const f = map.get(K.f);
    const process = map.get(K.process);
    if (!(f instanceof Keyword) && typeof f !== "string")
      fail("missing :f (a keyword, such as :read)");
    if (process === undefined || process === null) fail("missing :process");
    const who = nameOf(process as Edn);
    // Jepsen logs the fault injector's actions as process :nemesis; they are not client operations.
    if (who === "nemesis") continue;
    const fName = f instanceof Keyword ? f.name : (f as string);
    const raw = map.get(K.value) ?? null;
    let key = "";
    let value: Edn = raw;
    if (options.independent) {
      const pair = tuple(raw);
      if (type === Keyword.of("invoke") || type === Keyword.of("ok")) {
        if (pair === undefined)
          fail(`with --independent, :value must be a [key value] tuple, got ${ednString(raw)}`);
      }
      if (pair !== undefined) {
        key = ednString(pair[0]);
        value = pair[1];
      }
    } else {
      const k = map.get(K.key);
      if (k !== undefined && k !== null) key = ednString(k);
    }
    if (type === Keyword.of("invoke")) {
      if (open.has(who)) fail(`process ${who} invokes again before its last operation completed`);
      const op: CheckedOp = {
        id: ops.length,
        process: who,
        f: fName,
        key,
        input: value,
        output: null,
        outcome: "info",
        callTime: time,
        returnTime: Number.POSITIVE_INFINITY,
        line,
      };
      if (options.model !== undefined) {
        const problem = operationProblem(options.model, op);
        if (problem !== undefined)
          fail(`${shorten((sourceLines[line - 1] ?? "").trim().replace(/,$/, ""))}: ${problem}`);
      }
      ops.push(op);
      open.set(who, op);
      continue;
    }
    if (type !== Keyword.of("ok") && type !== Keyword.of("fail") && type !== Keyword.of("info"))
      fail(`:type must be :invoke, :ok, :fail or :info, got ${ednString(type ?? null)}`);
    const pending = open.get(who);
    if (pending === undefined) fail(`process ${who} completes an operation it never invoked`);
    const op = pending as CheckedOp;
    if (op.f !== fName) fail(`process ${who} completes :${fName} but invoked :${op.f}`);
    if (options.independent && key !== "" && key !== op.key)
      fail(`process ${who} completes an operation on key ${key} but invoked it on key ${op.key}`);
    open.delete(who);
    op.outcome = (type as Keyword).name as Outcome;
    if (op.outcome !== "info") op.returnTime = time;
    if (op.outcome === "ok" && isRead(fName)) op.output = value;
  }
  return ops;
}

/** Names Jepsen's register models use for what a key-value history calls get and put. */
const JEPSEN_NAMES: Record<string, string> = { get: "read", put: "write" };

/**
 * Write operations as a Jepsen history, one EDN map per line, invocations and completions in time
 * order, so that Knossos (or this project's checker) reads it. A key-value history is written in
 * Jepsen's multi-key form: get and put become :read and :write, and each :value is a [key value]
 * tuple, so it is checked with `--model register --independent` here, or with Jepsen's
 * `independent` checker over Knossos's register. Processes become integers (Jepsen's form), named
 * in a comment on the first line; :time is the simulated time in nanoseconds, as Jepsen's :time is.
 * As in Jepsen, a process whose operation ended :info never invokes again (that operation may still
 * be in flight): the client's next operations get a new process number.
 */
export function toJepsenHistory(ops: readonly CheckedOp[]): string {
  const keyed = ops.some((op) => op.key !== "");
  const rename = jepsenNames(ops);
  const events: { time: number; order: number; line: string }[] = [];
  // Each operation's Jepsen process: a client's number, renewed after each :info.
  const processOf = new Map<CheckedOp, number>();
  const names: string[] = [];
  const current = new Map<string, number>();
  // An :info completion bounds nothing; it is written when the client moves on to its next
  // operation (or at the very end), so that the history reads in the order things were known.
  const nextCall = new Map<CheckedOp, number>();
  const lastByProcess = new Map<string, CheckedOp>();
  for (const op of [...ops].sort((a, b) => a.callTime - b.callTime || a.id - b.id)) {
    const last = lastByProcess.get(op.process);
    if (last !== undefined) nextCall.set(last, op.callTime);
    lastByProcess.set(op.process, op);
    let n = current.get(op.process);
    if (n === undefined || last?.outcome === "info") {
      n = names.length;
      names.push(last === undefined ? op.process : `${op.process} (after an :info)`);
      current.set(op.process, n);
    }
    processOf.set(op, n);
  }
  const nanos = (ms: number) => (Number.isFinite(ms) ? Math.round(ms * 1e6) : undefined);
  const line = (op: CheckedOp, type: string, value: unknown, time: number) => {
    const f = rename(op.f);
    const v = keyed ? `[${ednString(op.key)} ${ednString(value)}]` : ednString(value);
    const ns = nanos(time);
    return `{:process ${processOf.get(op)}, :type :${type}, :f :${f}, :value ${v}${ns === undefined ? "" : `, :time ${ns}`}}`;
  };
  for (const op of ops) {
    const read = READS.has(op.f);
    events.push({
      time: op.callTime,
      order: 0,
      line: line(op, "invoke", read ? null : op.input, op.callTime),
    });
    const returned = Number.isFinite(op.returnTime);
    const completeAt = returned ? op.returnTime : (nextCall.get(op) ?? Number.POSITIVE_INFINITY);
    const value = read ? (op.outcome === "ok" ? op.output : null) : op.input;
    events.push({
      time: completeAt,
      order: returned ? 1 : -1,
      line: line(op, op.outcome, value, completeAt),
    });
  }
  events.sort((a, b) => a.time - b.time || a.order - b.order);
  const named = names.map((name, n) => `${n} is ${name}`).join(", ");
  return `; processes: ${named}\n${events.map((e) => e.line).join("\n")}\n`;
}

/**
 * get and put become :read and :write when the history has nothing else a register lacks (an
 * append keeps the key-value names, for the kv model).
 */
function jepsenNames(ops: readonly CheckedOp[]): (f: string) => string {
  const registerLike = ops.every((op) => ["get", "put", "read", "write", "cas"].includes(op.f));
  return (f) => (registerLike ? (JEPSEN_NAMES[f] ?? f) : f);
}

/** The model and form in which this project's checker reads what `toJepsenHistory` wrote. */
export function exportedForm(ops: readonly CheckedOp[]): {
  model: "register" | "cas-register" | "kv";
  independent: boolean;
} {
  const rename = jepsenNames(ops);
  const fs = new Set(ops.map((op) => rename(op.f)));
  const model =
    fs.has("get") || fs.has("put") || fs.has("append")
      ? "kv"
      : fs.has("cas")
        ? "cas-register"
        : "register";
  return { model, independent: ops.some((op) => op.key !== "") };
}

/** The checker command that reads what `toJepsenHistory` wrote. */
export function checkCommandFor(ops: readonly CheckedOp[], path: string): string {
  const { model, independent } = exportedForm(ops);
  return `npx tsx shared/check/main.ts linearizability --model ${model}${independent ? " --independent" : ""} ${path}`;
}
