/**
 * Reading and writing Jepsen-style histories (the format of Jepsen, Knossos, Elle and Porcupine's
 * Jepsen input): one EDN map per line with :process, :type (:invoke, :ok, :fail, :info), :f,
 * :value, and :key for key-value histories. Each process has at most one operation outstanding:
 * its next completion closes it. An invocation never completed counts as :info.
 *
 * Jepsen's console log lines are read too (`INFO  jepsen.util - 3\t:ok\t:read\t2`: process,
 * type, f and value separated by tabs), the form of Porcupine's test_data/jepsen histories.
 */

import { type Edn, EdnError, parseEdn } from "./edn.js";
import type { CheckedOp, Outcome } from "./linearizability.js";

export class HistoryFormatError extends Error {
  override name = "HistoryFormatError";
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** A Jepsen console log line: an optional logger prefix, then process, :type, :f and value, tab-separated. */
const LOG_LINE = /^(?:\S+\s+jepsen\.util\s+-\s+)?(\S+)\t(:[\w-]+)\t(:[\w-]+)\t(.*)$/;

/** Read one line as EDN, turning a console log line into the map it stands for. */
function parseLine(line: string): Edn {
  const log = LOG_LINE.exec(line);
  if (log === null) return parseEdn(line);
  const [, process, type, f, value] = log as unknown as [string, string, string, string, string];
  return parseEdn(`{:process ${process} :type ${type} :f ${f} :value ${value}}`);
}

/** Operations whose result is in the completion's :value rather than the invocation's. */
const READS = new Set(["read", "get"]);

export function parseJepsenHistory(text: string): CheckedOp[] {
  const ops: CheckedOp[] = [];
  const open = new Map<string, { op: CheckedOp; index: number }>();
  const lines = text.split("\n");
  lines.forEach((raw, lineIndex) => {
    const line = raw.trim();
    if (line === "" || line.startsWith(";")) return;
    let event: Edn;
    try {
      event = parseLine(line);
    } catch (error) {
      throw new HistoryFormatError(
        lineIndex + 1,
        error instanceof EdnError ? error.message : String(error),
      );
    }
    if (event === null || typeof event !== "object" || Array.isArray(event)) {
      throw new HistoryFormatError(
        lineIndex + 1,
        "expected a map such as {:process 0, :type :invoke, :f :read, :value nil}",
      );
    }
    const type = event.type;
    const f = event.f;
    const process = event.process;
    if (typeof f !== "string") throw new HistoryFormatError(lineIndex + 1, "missing :f");
    if (typeof process !== "number" && typeof process !== "string")
      throw new HistoryFormatError(lineIndex + 1, "missing :process");
    const key = event.key === undefined || event.key === null ? "" : String(event.key);
    const who = String(process);
    // Jepsen logs the fault injector's actions as process :nemesis; they are not client operations.
    if (who === "nemesis") return;
    if (type === "invoke") {
      if (open.has(who))
        throw new HistoryFormatError(
          lineIndex + 1,
          `process ${who} invokes again before its last operation completed`,
        );
      const op: CheckedOp = {
        id: ops.length,
        process: who,
        f,
        key,
        input: event.value ?? null,
        output: null,
        outcome: "info",
        callTime: lineIndex,
        returnTime: Number.POSITIVE_INFINITY,
      };
      ops.push(op);
      open.set(who, { op, index: lineIndex });
      return;
    }
    if (type !== "ok" && type !== "fail" && type !== "info") {
      throw new HistoryFormatError(
        lineIndex + 1,
        `:type must be :invoke, :ok, :fail or :info, got ${JSON.stringify(type)}`,
      );
    }
    const pending = open.get(who);
    if (pending === undefined)
      throw new HistoryFormatError(
        lineIndex + 1,
        `process ${who} completes an operation it never invoked`,
      );
    if (pending.op.f !== f)
      throw new HistoryFormatError(
        lineIndex + 1,
        `process ${who} completes :${f} but invoked :${pending.op.f}`,
      );
    open.delete(who);
    pending.op.outcome = type as Outcome;
    if (type !== "info") pending.op.returnTime = lineIndex;
    if (READS.has(f)) pending.op.output = event.value ?? null;
  });
  return ops;
}

function ednValue(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) return `[${value.map(ednValue).join(" ")}]`;
  return JSON.stringify(String(value));
}

/** Write operations back as Jepsen EDN lines, invocations and completions in time order. */
export function toJepsenHistory(ops: readonly CheckedOp[]): string {
  const events: { time: number; order: number; line: string }[] = [];
  // An :info completion bounds nothing, but its process must close the operation before invoking
  // again: write it just before the process's next invocation (or at the very end).
  const nextCall = (op: CheckedOp) =>
    Math.min(
      ...ops
        .filter((o) => o.process === op.process && o.callTime > op.callTime)
        .map((o) => o.callTime),
      Number.POSITIVE_INFINITY,
    );
  for (const op of ops) {
    const key = op.key === "" ? "" : `, :key ${ednValue(op.key)}`;
    const invokeValue = READS.has(op.f) ? null : op.input;
    events.push({
      time: op.callTime,
      order: 0,
      line: `{:process ${ednValue(op.process)}, :type :invoke, :f :${op.f}${key}, :value ${ednValue(invokeValue)}}`,
    });
    const value = READS.has(op.f) ? op.output : op.input;
    const completeAt = Number.isFinite(op.returnTime) ? op.returnTime : nextCall(op);
    events.push({
      time: completeAt,
      order: Number.isFinite(op.returnTime) ? 1 : -1,
      line: `{:process ${ednValue(op.process)}, :type :${op.outcome}, :f :${op.f}${key}, :value ${ednValue(op.outcome === "info" && READS.has(op.f) ? null : value)}}`,
    });
  }
  events.sort((a, b) => a.time - b.time || a.order - b.order);
  return `${events.map((e) => e.line).join("\n")}\n`;
}
