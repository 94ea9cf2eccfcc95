/**
 * A history drawn as a timeline in plain text (the way DDIA ch. 9, "Linearizability: What Makes a
 * System Linearizable?", draws its figures 9-2 to 9-4): one row per process, time running left to
 * right, each operation a bar from its invocation to its completion, labelled with what it did.
 *
 *   referee  ├─w(score,final)────────────────────────────────────────────────┤
 *   alice                 ├─r(score)→final──────────┤
 *   bob                                                   ├─r(score)→nil─┤
 *            └────────────────────────────────────────────────────────────────→ time
 *            0 ms         2 ms                      6 ms  7 ms           9 ms
 *
 * Positions keep the order of every invocation and completion, which is all that real time means
 * to a consistency model (which operation returned before which began), and stretch towards the
 * real proportions where the width allows; a bar is never shorter than its label. Operations
 * that touch in time (one invoked at the instant another returned) are drawn overlapping when
 * they belong to different processes, as the linearizability checker takes them (concurrent),
 * and one after the other within a process, whose next operation follows its last. One order of
 * the instants cannot always show both: when a process invokes its next operation at the instant
 * its last returned, that return is drawn before every invocation of that instant, so another
 * process's operation invoked then is drawn after it, although the checker takes the two as
 * concurrent.
 *
 * A process has one row, unless it moved on from an operation that never returned (a client that
 * gave up waiting): that operation's bar runs to the right edge, as it may still take effect, and
 * the process's later operations go in a second row under the same name, so that no two bars
 * share a row.
 *
 * Labels: `w(x,1)` wrote 1 to x; `r(x)→1` read 1 from x (`→nil`: the initial value); a trailing
 * `?` marks an operation whose outcome is unknown (Jepsen's `info`: it never returned, so its bar
 * runs to the right edge), a trailing `✗` one that failed (it did not happen).
 *
 * A pure function from operations to lines: no colour, no trace, nothing printed.
 */

import type { CheckedOp } from "../check/linearizability.js";

export interface TimelineOptions {
  /** Columns the drawing may use, row names included. */
  width: number;
  /** Process rows, top to bottom; by default in the order their first operation was invoked. */
  processes?: readonly string[];
  /** How an operation is labelled; by default `w(x,1)` / `r(x)→1`, see the header. */
  label?: (op: CheckedOp) => string;
  /** How a time is written under the axis (at the instants there is room for); default `12 ms`. */
  time?: (time: number) => string;
}

/** A value as a label shows it: nil for null, text as it is, anything else as JSON. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** `w(x,1)`, `r(x)→1`, with `?` for an unknown outcome and `✗` for a failure. */
export function operationLabel(op: CheckedOp): string {
  const key = op.key === "" ? "" : op.key;
  const body =
    op.f === "write"
      ? `w(${key}${key === "" ? "" : ","}${valueText(op.input)})`
      : op.f === "read"
        ? `r(${key})${op.outcome === "ok" ? `→${valueText(op.output)}` : ""}`
        : `${op.f}(${key}${key === "" || op.input === null ? "" : ","}${op.input === null ? "" : valueText(op.input)})`;
  return op.outcome === "ok" ? body : `${body}${op.outcome === "info" ? "?" : "✗"}`;
}

/**
 * The timeline of `ops` in at most `options.width` columns per line. When the operations do not fit
 * with their labels, the `─` after each label goes, then the labels are shortened (ending in `…`,
 * down to three characters), then dropped; when not even bare bars fit, one line says so.
 */
export function renderTimeline(ops: readonly CheckedOp[], options: TimelineOptions): string[] {
  // Never wider than asked: too narrow a width gets the one-line refusal, cut to fit.
  const width = Math.max(0, Math.floor(options.width));
  if (ops.length === 0) return ["(no operations)"];
  const labelOf = options.label ?? operationLabel;
  const timeText = options.time ?? ((t: number) => `${formatTime(t)} ms`);
  const processes = rowOrder(ops, options.processes);
  const nameWidth = Math.max(...processes.map((p) => p.length));
  // Columns for bars: after the names and two spaces; the axis ends in "→ time".
  const arrow = "→ time";
  const area = width - nameWidth - 2 - arrow.length;
  const points = eventPoints(ops);
  const fullLabels = ops.map(labelOf);
  const longest = Math.max(...fullLabels.map((l) => [...l].length));
  // Labels cut below three characters say nothing: below that, bars go bare.
  const cuts = [...Array.from({ length: Math.max(0, longest - 2) }, (_, i) => longest - i), 0];
  for (const cut of cuts)
    for (const padding of [1, 0]) {
      const labels = fullLabels.map((l) => shorten(l, cut));
      const layout = place(ops, points, labels, padding, area);
      if (layout === undefined) continue;
      return draw(ops, processes, nameWidth, labels, layout, points, timeText, arrow);
    }
  const refusal = `(${ops.length} operation${ops.length === 1 ? "" : "s"} at ${points.times.length} instants do not fit in ${width} columns)`;
  return [shorten(refusal, width)];
}

function formatTime(t: number): string {
  return Number.isInteger(t) ? String(t) : t.toFixed(1);
}

function rowOrder(ops: readonly CheckedOp[], given: readonly string[] | undefined): string[] {
  const order = [...(given ?? [])];
  const byCall = [...ops].sort((a, b) => a.callTime - b.callTime || a.id - b.id);
  for (const op of byCall) if (!order.includes(op.process)) order.push(op.process);
  return order;
}

/** A label cut to `n` characters, the last one `…` when anything was cut. */
function shorten(label: string, n: number): string {
  const chars = [...label];
  if (chars.length <= n) return label;
  if (n === 0) return "";
  return `${chars.slice(0, n - 1).join("")}…`;
}

/**
 * The instants of the drawing: each operation's invocation and completion, in time order. At one
 * instant, a completion whose process invokes its next operation then comes first (the process
 * waited for it), then the invocations, then the other completions (concurrent with those
 * invocations, as the linearizability checker has it). An operation that never returned ends at
 * a last instant after every other.
 */
interface Points {
  /** For each point: its time (+Infinity for the end of unknown outcomes). */
  times: number[];
  call: number[];
  ret: number[];
}

function eventPoints(ops: readonly CheckedOp[]): Points {
  const touchedByNext = new Set<CheckedOp>();
  const byProcess = new Map<string, CheckedOp[]>();
  for (const op of ops) {
    const list = byProcess.get(op.process) ?? [];
    list.push(op);
    byProcess.set(op.process, list);
  }
  for (const list of byProcess.values()) {
    list.sort((a, b) => a.callTime - b.callTime || a.id - b.id);
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1] as CheckedOp;
      const b = list[i] as CheckedOp;
      if (a.returnTime === b.callTime) touchedByNext.add(a);
    }
  }
  type Key = { time: number; kind: number };
  const callKey = (op: CheckedOp): Key => ({ time: op.callTime, kind: 1 });
  const retKey = (op: CheckedOp): Key => ({
    time: op.returnTime,
    kind: touchedByNext.has(op) ? 0 : 2,
  });
  const keys = ops.flatMap((op) => [callKey(op), retKey(op)]);
  keys.sort((a, b) => a.time - b.time || a.kind - b.kind);
  const distinct: Key[] = [];
  for (const k of keys) {
    const last = distinct.at(-1);
    if (last === undefined || last.time !== k.time || last.kind !== k.kind) distinct.push(k);
  }
  const index = (k: Key) => distinct.findIndex((d) => d.time === k.time && d.kind === k.kind);
  return {
    times: distinct.map((d) => d.time),
    call: ops.map((op) => index(callKey(op))),
    ret: ops.map((op) => index(retKey(op))),
  };
}

/**
 * A column for each point, within `area` columns, or undefined if the labels do not fit. Each
 * point is at least one column right of the last; a bar's interior is at least its label after
 * one `─`, plus `padding` more `─` after it. Among the layouts that fit, the one
 * closest to real proportions: columns are max(constraints, scale × elapsed time), with the
 * largest scale that still fits.
 */
function place(
  ops: readonly CheckedOp[],
  points: Points,
  labels: readonly string[],
  padding: number,
  area: number,
): number[] | undefined {
  const need = labels.map((l) => (l === "" ? 1 : [...l].length + 2 + padding));
  const endingAt: number[][] = points.times.map(() => []);
  for (let i = 0; i < ops.length; i++) endingAt[points.ret[i] as number]?.push(i);
  const first = points.times[0] as number;
  const finite = points.times.filter(Number.isFinite);
  const span = (finite.at(-1) as number) - first;
  const columns = (scale: number): number[] => {
    const x: number[] = [];
    points.times.forEach((t, p) => {
      let at = p === 0 ? 0 : (x[p - 1] as number) + 1;
      if (Number.isFinite(t)) at = Math.max(at, Math.round(scale * (t - first)));
      for (const i of endingAt[p] as number[])
        at = Math.max(at, (x[points.call[i] as number] as number) + (need[i] as number));
      x.push(at);
    });
    return x;
  };
  const fits = (x: number[]) => (x.at(-1) as number) < area;
  const tight = columns(0);
  if (!fits(tight)) return undefined;
  if (span <= 0) return tight;
  let low = 0;
  let high = area / span;
  for (let step = 0; step < 30; step++) {
    const mid = (low + high) / 2;
    if (fits(columns(mid))) low = mid;
    else high = mid;
  }
  return columns(low);
}

function draw(
  ops: readonly CheckedOp[],
  processes: readonly string[],
  nameWidth: number,
  labels: readonly string[],
  x: readonly number[],
  points: Points,
  timeText: (t: number) => string,
  arrow: string,
): string[] {
  const lastColumn = x.at(-1) as number;
  const lines: string[] = [];
  for (const process of processes) {
    // A row per lane: an operation goes into the first of its process's rows where the last bar
    // ended left of its start. One row, unless the process moved on from an operation that never
    // returned: that bar runs to the right edge, and the process's later ones go in a second row.
    const lanes: { row: string[]; end: number }[] = [];
    const own = ops
      .map((op, i) => ({ op, i }))
      .filter(({ op }) => op.process === process)
      .sort(
        (a, b) => (points.call[a.i] as number) - (points.call[b.i] as number) || a.op.id - b.op.id,
      );
    for (const { op, i } of own) {
      const from = x[points.call[i] as number] as number;
      const to = x[points.ret[i] as number] as number;
      let lane = lanes.find((l) => l.end < from);
      if (lane === undefined) {
        lane = { row: Array.from({ length: lastColumn + 1 }, () => " "), end: -1 };
        lanes.push(lane);
      }
      const row = lane.row;
      row[from] = "├";
      for (let c = from + 1; c < to; c++) row[c] = "─";
      row[to] = Number.isFinite(op.returnTime) ? "┤" : "╌";
      [...(labels[i] as string)].forEach((ch, k) => {
        row[from + 2 + k] = ch;
      });
      lane.end = to;
    }
    // A process named in `options.processes` with no operation here keeps its (empty) row.
    if (lanes.length === 0) lines.push(process.padEnd(nameWidth).trimEnd());
    for (const lane of lanes)
      lines.push(`${process.padEnd(nameWidth)}  ${lane.row.join("").trimEnd()}`);
  }
  const axisLength = lastColumn + 1;
  lines.push(`${" ".repeat(nameWidth)}  └${"─".repeat(Math.max(0, axisLength - 1))}${arrow}`);
  // Times under the axis, left to right, where each fits without touching the last.
  const ticks: string[] = Array.from({ length: axisLength + arrow.length }, () => " ");
  let free = 0;
  let written: number | undefined;
  points.times.forEach((t, p) => {
    // A time is written once: two instants at one time (a completion and an invocation) share it.
    if (!Number.isFinite(t) || t === written) return;
    const text = [...timeText(t)];
    const at = x[p] as number;
    if (at < free || at + text.length > ticks.length) return;
    written = t;
    text.forEach((ch, k) => {
      ticks[at + k] = ch;
    });
    free = at + text.length + 2;
  });
  const tickLine = ticks.join("").trimEnd();
  if (tickLine !== "") lines.push(`${" ".repeat(nameWidth)}  ${tickLine}`);
  return lines;
}
