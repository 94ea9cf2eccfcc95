/**
 * What every picture of a run draws, read from the trace events a run already emits (send,
 * deliver, drop, crash, recover, partition, heal, notes, checks, histories), so that no algorithm
 * changes to be drawn. The book explains replication, consensus and transactions with such
 * space-time diagrams: one line per node, time going down, messages as slanted arrows (DDIA
 * figures 5-1, 5-4, 8-4, 9-6...). Lamport's "Time, Clocks, and the Ordering of Events" drew the
 * first ones.
 *
 * A scenario may run several simulations one after the other (the broken variant, then the fixed
 * one): each new network emits a `run` event, and each run is a diagram of its own, titled by the
 * heading it belongs to.
 */

import type { CheckedOp, Verdict } from "../../check/linearizability.js";
import type { DropReason, HistoryOperation, TraceEvent } from "../../trace.js";

/** One copy of a message on the wire: a duplicated message is two copies with the same id. */
export interface DiagramMessage {
  /** The network's message id (ids start again at 1 in each run). */
  id: number;
  from: string;
  to: string;
  /** The message's `type` tag, or "message" when it has none. */
  type: string;
  msg: unknown;
  sendMs: number;
  /** Delivered, dropped (with the network's reason) or still in flight when the run ended. */
  fate:
    | { kind: "delivered"; atMs: number }
    | { kind: "dropped"; atMs: number; reason: DropReason }
    | { kind: "in-flight" };
  /** Index of its send event in the trace's event list, to find the trace lines it belongs to. */
  sendEvent: number;
  /** Index of its deliver or drop event, when it has one. */
  fateEvent?: number;
  /** The second copy of a message the network duplicated. */
  duplicate?: boolean;
}

/** Something that happened at one node, or to the whole network, at one moment. */
export type DiagramMark =
  | { kind: "crash"; atMs: number; node: string; event: number }
  | { kind: "recover"; atMs: number; node: string; event: number }
  | { kind: "partition"; atMs: number; groups: string[][]; event: number }
  | { kind: "heal"; atMs: number; event: number }
  | { kind: "timer"; atMs: number; node: string; name: string; event: number }
  | { kind: "clock"; atMs: number; node: string; text: string; event: number }
  /** Narration with a time; `node` when it belongs to one. */
  | { kind: "note"; atMs: number; node?: string; text: string; ref?: string; event: number }
  | {
      kind: "check";
      atMs: number;
      name: string;
      held: boolean | null;
      expected: boolean;
      detail?: string;
      event: number;
    };

/** A span during which the network was cut; `untilMs` is undefined when it never healed. */
export interface DiagramPartition {
  fromMs: number;
  untilMs?: number;
  groups: string[][];
}

/** A span during which a node was down; `untilMs` is undefined when it never came back. */
export interface DiagramOutage {
  node: string;
  fromMs: number;
  untilMs?: number;
}

export interface DiagramHistory {
  name: string;
  operations: HistoryOperation[];
  /** `op` numbers of the operations a checker's witness names. */
  witness: number[];
  event: number;
}

export interface DiagramRun {
  /** 0-based position among the runs of the trace. */
  index: number;
  /**
   * The last section heading before the run began; for a run that began before any heading of its
   * own (its network made just before the scenario's first heading), the heading that follows when
   * nothing happened in between; with no heading at all, the scenario's name.
   */
  title: string;
  /**
   * Nodes (clients included): those of earlier runs in the order they had there, so that a
   * scenario's panels line up, then the others in order of first appearance in the run.
   */
  nodes: string[];
  startMs: number;
  /** The latest time any event of the run carries (at least startMs). */
  endMs: number;
  /** Every copy of every message, in send order. */
  messages: DiagramMessage[];
  /** Crashes, restarts, partitions, heals, timers, clock events, timed notes and checks, in order. */
  marks: DiagramMark[];
  partitions: DiagramPartition[];
  outages: DiagramOutage[];
  histories: DiagramHistory[];
  /** Index in the trace's event list of the run's first and last event. */
  firstEvent: number;
  lastEvent: number;
}

/**
 * The runs of a trace. Message events before any `run` event (a trace recorded by hand in a test)
 * form a run of their own. A trace without messages, crashes or partitions has no runs.
 */
export function buildDiagram(events: readonly TraceEvent[]): DiagramRun[] {
  const runs: DiagramRun[] = [];
  let heading: string | undefined;
  /** Whether `heading` came after the current run began, so no earlier run took it. */
  let headingIsNew = false;
  /** The scenario the trace runs, for a run that no heading names. */
  let scenario: string | undefined;
  let current: Builder | undefined;
  /** Whether the current run began before any heading of its own: the next one names it. */
  let untitled = false;

  const begin = (index: number, time: number): Builder => {
    untitled = !headingIsNew;
    headingIsNew = false;
    const title = heading ?? scenario ?? "run";
    const builder = new Builder(runs.length, title, index, time);
    current = builder;
    return builder;
  };
  /** Every node of the earlier runs, in their order: a later run keeps it, so columns line up. */
  const known: string[] = [];
  const finish = () => {
    if (current?.hasContent()) {
      const run = current.build();
      const seen = run.nodes.filter((n) => known.includes(n));
      seen.sort((a, b) => known.indexOf(a) - known.indexOf(b));
      run.nodes = [...seen, ...run.nodes.filter((n) => !known.includes(n))];
      for (const node of run.nodes) if (!known.includes(node)) known.push(node);
      runs.push(run);
    }
    current = undefined;
  };

  events.forEach((event, index) => {
    switch (event.kind) {
      case "start":
        scenario = event.scenario;
        return;
      case "section":
        heading = event.title;
        headingIsNew = true;
        // A network made just before its heading (sharding makes its network, then prints the
        // scenario's first heading) is named by it, if nothing happened in the run before it.
        if (current !== undefined && untitled && !current.hasContent()) {
          current.title = event.title;
          untitled = false;
          headingIsNew = false;
        }
        return;
      case "run":
        finish();
        begin(index, event.time);
        return;
      case "send":
      case "deliver":
      case "drop":
      case "crash":
      case "recover":
      case "partition":
      case "heal":
      case "timer":
      case "clock":
        (current ?? begin(index, event.time)).add(event, index);
        return;
      case "note":
      case "check":
        if (event.time !== undefined && current !== undefined) current.add(event, index);
        return;
      case "history":
        current?.add(event, index);
        return;
      default:
        return;
    }
  });
  finish();
  return runs;
}

class Builder {
  private readonly nodes: string[] = [];
  private readonly seen = new Set<string>();
  private readonly messages: DiagramMessage[] = [];
  /** Copies sent and not yet delivered or dropped, by message id, oldest first. */
  private readonly inFlight = new Map<number, DiagramMessage[]>();
  /** The first copy of each message sent, by id. */
  private readonly sent = new Map<number, DiagramMessage>();
  private readonly marks: DiagramMark[] = [];
  private readonly partitions: DiagramPartition[] = [];
  private readonly outages: DiagramOutage[] = [];
  private readonly histories: DiagramHistory[] = [];
  private endMs: number;
  private lastEvent: number;

  constructor(
    private readonly index: number,
    public title: string,
    private readonly firstEvent: number,
    private readonly startMs: number,
  ) {
    this.endMs = startMs;
    this.lastEvent = firstEvent;
  }

  hasContent(): boolean {
    return (
      this.messages.length > 0 || this.marks.some((m) => m.kind !== "note" && m.kind !== "check")
    );
  }

  add(event: TraceEvent, index: number): void {
    this.lastEvent = index;
    if ("time" in event && event.time !== undefined) this.endMs = Math.max(this.endMs, event.time);
    switch (event.kind) {
      case "send": {
        this.node(event.from);
        this.node(event.to);
        const message: DiagramMessage = {
          id: event.id,
          from: event.from,
          to: event.to,
          type: typeOf(event.msg),
          msg: event.msg,
          sendMs: event.time,
          fate: { kind: "in-flight" },
          sendEvent: index,
        };
        this.messages.push(message);
        this.sent.set(event.id, message);
        const copies = this.inFlight.get(event.id) ?? [];
        copies.push(message);
        this.inFlight.set(event.id, copies);
        return;
      }
      case "deliver":
      case "drop": {
        const copy = this.takeCopy(event.id, event.from, event.to, event.msg, event.time, index);
        copy.fate =
          event.kind === "deliver"
            ? { kind: "delivered", atMs: event.time }
            : { kind: "dropped", atMs: event.time, reason: event.reason };
        copy.fateEvent = index;
        return;
      }
      case "crash":
        this.node(event.node);
        this.marks.push({ kind: "crash", atMs: event.time, node: event.node, event: index });
        this.outages.push({ node: event.node, fromMs: event.time });
        return;
      case "recover": {
        this.node(event.node);
        this.marks.push({ kind: "recover", atMs: event.time, node: event.node, event: index });
        const outage = this.outages.findLast((o) => o.node === event.node);
        if (outage !== undefined && outage.untilMs === undefined) outage.untilMs = event.time;
        return;
      }
      case "partition":
        for (const group of event.groups) for (const node of group) this.node(node);
        this.marks.push({
          kind: "partition",
          atMs: event.time,
          groups: event.groups,
          event: index,
        });
        // A new partition replaces the one standing (the network keeps adding cuts, but every
        // scenario heals before it cuts again).
        this.closePartition(event.time);
        this.partitions.push({ fromMs: event.time, groups: event.groups.map((g) => [...g]) });
        return;
      case "heal":
        this.marks.push({ kind: "heal", atMs: event.time, event: index });
        this.closePartition(event.time);
        return;
      case "timer":
        this.node(event.node);
        this.marks.push({
          kind: "timer",
          atMs: event.time,
          node: event.node,
          name: event.name,
          event: index,
        });
        return;
      case "clock":
        this.node(event.node);
        this.marks.push({
          kind: "clock",
          atMs: event.time,
          node: event.node,
          text: event.text,
          event: index,
        });
        return;
      case "note":
        if (event.time === undefined) return;
        if (event.node !== undefined) this.node(event.node);
        this.marks.push({
          kind: "note",
          atMs: event.time,
          text: event.text,
          ...(event.node !== undefined ? { node: event.node } : {}),
          ...(event.ref !== undefined ? { ref: event.ref } : {}),
          event: index,
        });
        return;
      case "check":
        if (event.time === undefined) return;
        this.marks.push({
          kind: "check",
          atMs: event.time,
          name: event.name,
          held: event.held,
          expected: event.expected,
          ...(event.detail !== undefined ? { detail: event.detail } : {}),
          event: index,
        });
        return;
      case "history":
        for (const operation of event.operations) this.node(operation.process);
        this.histories.push({
          name: event.name,
          operations: event.operations,
          witness: event.witness ?? [],
          event: index,
        });
        for (const operation of event.operations) {
          this.endMs = Math.max(this.endMs, operation.completeMs ?? operation.invokeMs);
        }
        return;
      default:
        return;
    }
  }

  build(): DiagramRun {
    return {
      index: this.index,
      title: this.title,
      nodes: this.nodes,
      startMs: this.startMs,
      endMs: this.endMs,
      messages: this.messages,
      marks: this.marks,
      partitions: this.partitions,
      outages: this.outages,
      histories: this.histories,
      firstEvent: this.firstEvent,
      lastEvent: this.lastEvent,
    };
  }

  private node(id: string): void {
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.nodes.push(id);
  }

  private closePartition(atMs: number): void {
    const standing = this.partitions.at(-1);
    if (standing !== undefined && standing.untilMs === undefined) standing.untilMs = atMs;
  }

  /**
   * The oldest copy of message `id` still in flight. The network sends a duplicated message once
   * and delivers it twice: the second arrival is a second copy of the same send. A trace recorded
   * without the send (a test's hand-made events) gets a copy sent at the moment it arrived.
   */
  private takeCopy(
    id: number,
    from: string,
    to: string,
    msg: unknown,
    atMs: number,
    index: number,
  ): DiagramMessage {
    const copies = this.inFlight.get(id);
    const copy = copies?.shift();
    if (copies !== undefined && copies.length === 0) this.inFlight.delete(id);
    if (copy !== undefined) return copy;
    const original = this.sent.get(id);
    if (original !== undefined) {
      const duplicate: DiagramMessage = {
        ...original,
        fate: { kind: "in-flight" },
        duplicate: true,
      };
      delete duplicate.fateEvent;
      this.messages.push(duplicate);
      return duplicate;
    }
    this.node(from);
    this.node(to);
    const orphan: DiagramMessage = {
      id,
      from,
      to,
      type: typeOf(msg),
      msg,
      sendMs: atMs,
      fate: { kind: "in-flight" },
      sendEvent: index,
    };
    this.messages.push(orphan);
    return orphan;
  }
}

function typeOf(msg: unknown): string {
  if (typeof msg === "object" && msg !== null && "type" in msg) {
    const type = (msg as { type: unknown }).type;
    if (typeof type === "string") return type;
  }
  return "message";
}

/** When a message's copy ended: delivered or dropped, or undefined while still in flight. */
export function fateMs(message: DiagramMessage): number | undefined {
  return message.fate.kind === "in-flight" ? undefined : message.fate.atMs;
}

/**
 * The runs as `--from` and `--to` window them, for the files: a message is kept when its flight
 * overlaps the window (sent before its end, arrived or dropped after its start), a mark when it
 * falls inside, a span when it overlaps; a run with nothing left in the window is left out.
 * Without a window the runs are returned as they are.
 */
export function windowRuns(
  runs: readonly DiagramRun[],
  fromMs: number | undefined,
  toMs: number | undefined,
): DiagramRun[] {
  if (fromMs === undefined && toMs === undefined) return [...runs];
  const from = fromMs ?? Number.NEGATIVE_INFINITY;
  const to = toMs ?? Number.POSITIVE_INFINITY;
  const overlaps = (start: number, end: number | undefined) =>
    start <= to && (end ?? Number.POSITIVE_INFINITY) >= from;
  const windowed: DiagramRun[] = [];
  for (const run of runs) {
    const messages = run.messages.filter((m) => overlaps(m.sendMs, fateMs(m) ?? run.endMs));
    const marks = run.marks.filter((m) => m.atMs >= from && m.atMs <= to);
    const partitions = run.partitions.filter((p) => overlaps(p.fromMs, p.untilMs));
    const outages = run.outages.filter((o) => overlaps(o.fromMs, o.untilMs));
    const histories = run.histories
      .map((h) => ({
        ...h,
        operations: h.operations.filter((o) => overlaps(o.invokeMs, o.completeMs)),
      }))
      .filter((h) => h.operations.length > 0);
    if (
      messages.length === 0 &&
      marks.length === 0 &&
      partitions.length === 0 &&
      outages.length === 0 &&
      histories.length === 0
    )
      continue;
    windowed.push({
      ...run,
      startMs: Math.max(run.startMs, Math.min(from, run.endMs)),
      endMs: Math.min(run.endMs, Math.max(to, run.startMs)),
      messages,
      marks,
      partitions,
      outages,
      histories,
    });
  }
  return windowed;
}

/** Values as the pictures show them: short text ("3", "[1 2]", "nil"). */
function shortText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = value === null ? "nil" : typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/**
 * A checker's history (shared/check) as the operations `trace.history` records for the pictures:
 * op numbers are the history's ids, values short text, an `info` without an end.
 */
export function historyOperations(ops: readonly CheckedOp[]): HistoryOperation[] {
  return ops.map((op) => {
    const read = op.f === "read" || op.f === "get";
    const input = read ? undefined : shortText(op.input);
    // A read's result is what it saw, nil included; another operation's only when it has one.
    const returned =
      op.outcome === "ok" && (read || (op.output !== null && op.output !== undefined));
    const output = returned ? shortText(op.output) : undefined;
    return {
      op: op.id,
      process: op.process,
      f: op.f,
      key: op.key,
      ...(input !== undefined ? { input } : {}),
      ...(output !== undefined ? { output } : {}),
      outcome: op.outcome,
      invokeMs: op.callTime,
      ...(Number.isFinite(op.returnTime) ? { completeMs: op.returnTime } : {}),
    };
  });
}

/** The op numbers a linearizability verdict's witness names: the operation no order explains. */
export function witnessOps(verdict: Pick<Verdict, "witness"> | undefined): number[] {
  return verdict?.witness === undefined ? [] : [verdict.witness.op.id];
}
