/**
 * The trace: what a run did, as a list of typed events. Algorithms and scenarios emit events;
 * renderers (shared/render) turn them into text or NDJSON. Nothing in a simulation prints.
 *
 * Narration (`note`), headings (`section`), invariant results (`check`), tables and bar charts
 * are events too, so that one run feeds the pretty terminal view, the plain golden files and the
 * JSON that tools read, and none of them can tell a different story.
 */

import { LimitExceeded } from "./assert.js";

/** A citation of the book, e.g. "DDIA ch. 6, Rebalancing Partitions". */
export type BookRef = string;

/**
 * How much a note matters: `summary` survives `--quiet`, `story` is the default narration, and
 * `detail` (the blow-by-blow of a long run whose result a table sums up) shows only with
 * `--verbose`, beside the messages.
 */
export type NoteLevel = "summary" | "story" | "detail";

export type Cell = string | number;

export type TraceEvent =
  | { kind: "start"; scenario: string; seed: number; replay: string }
  | { kind: "section"; time?: number; title: string; ref?: BookRef }
  | { kind: "note"; time?: number; node?: string; text: string; ref?: BookRef; level: NoteLevel }
  /**
   * Message events. `routine`: traffic a scenario counts rather than lists (heartbeats, a send
   * whose delivery is shown, a fetch that brings nothing): `--verbose` leaves it out of the text,
   * while the pictures and `--json` keep it, so that every arrow has its send and its delivery.
   */
  | {
      kind: "send";
      time: number;
      id: number;
      from: string;
      to: string;
      msg: unknown;
      routine?: boolean;
    }
  | {
      kind: "deliver";
      time: number;
      id: number;
      from: string;
      to: string;
      msg: unknown;
      routine?: boolean;
    }
  | {
      kind: "drop";
      time: number;
      id: number;
      from: string;
      to: string;
      msg: unknown;
      reason: DropReason;
      routine?: boolean;
    }
  | { kind: "timer"; time: number; node: string; name: string }
  | { kind: "crash"; time: number; node: string }
  | { kind: "recover"; time: number; node: string }
  | { kind: "partition"; time: number; groups: string[][] }
  | { kind: "heal"; time: number }
  /**
   * A new simulated network begins (its message ids start again at 1). A scenario that runs a
   * broken variant and then the fixed one has two runs; the pictures (shared/render/diagram) draw
   * each apart. Emitted only when the trace records messages.
   */
  | { kind: "run"; time: number }
  /**
   * The client operations a checker judged, for the pictures to draw as bars from invocation to
   * completion, with the checker's witness (the operations that show the violation) marked.
   * Emitted only when the trace records messages; the text renderer never shows it.
   */
  | {
      kind: "history";
      time?: number;
      /** What was checked: "linearizability of key x". */
      name: string;
      operations: HistoryOperation[];
      /** `op` numbers of the operations a violation's witness names. */
      witness?: number[];
    }
  | { kind: "clock"; time: number; node: string; text: string }
  | {
      kind: "query";
      time?: number;
      /** "sql", or the API a document or graph query went through. */
      language: string;
      text: string;
      /** What came back, in a few words: "3 rows", "1 row changed". */
      result?: string;
      /** Bulk statements (loading data) only `--verbose` shows. */
      detail?: boolean;
    }
  | {
      kind: "check";
      time?: number;
      name: string;
      /**
       * true: the invariant held; false: it was violated; null: not exercised, because the run
       * gave it nothing to judge (no reads, nothing acknowledged). A check with an empty subject
       * proves nothing, so it is never shown as held.
       */
      held: boolean | null;
      /** Whether the invariant was expected to hold: a broken variant is expected to violate. */
      expected: boolean;
      detail?: string;
      ref?: BookRef;
    }
  | {
      kind: "table";
      time?: number;
      title: string;
      columns: string[];
      rows: Cell[][];
      caption?: string;
    }
  | {
      kind: "bars";
      time?: number;
      title: string;
      bars: { label: string; value: number }[];
      unit?: string;
    }
  | {
      kind: "summary";
      held: number;
      violated: number;
      /** Checks that had nothing to judge in this run. */
      notExercised: number;
      unexpected: number;
      ok: boolean;
    };

/** One client operation as the pictures draw it (see shared/history.ts for the recording). */
export interface HistoryOperation {
  op: number;
  process: string;
  f: string;
  key: string;
  /** What was given (a write's value) and what came back (a read's), as short text. */
  input?: string;
  output?: string;
  outcome: "ok" | "fail" | "info" | "pending";
  invokeMs: number;
  /** Undefined while pending, or for an `info` whose end is unknown. */
  completeMs?: number;
}

export type DropReason = "loss" | "partition" | "crashed" | "unknown-node";

export type TraceKind = TraceEvent["kind"];

export type Sink = (event: TraceEvent) => void;

export interface TraceOptions {
  /**
   * Record message events (send, deliver, drop, timer)? They are the bulk of a networked trace
   * and only `--verbose` and `--json` show them, so property tests running thousands of seeds
   * turn them off.
   */
  messages?: boolean;
  /** Keep every event in `events` (tests and the summary read them). Default true. */
  keep?: boolean;
  /** Most events kept before the run fails loudly: a runaway run must not exhaust memory. */
  maxEvents?: number;
}

export class Trace {
  readonly events: TraceEvent[] = [];
  readonly messages: boolean;
  private readonly keep: boolean;
  private readonly maxEvents: number;
  private readonly sinks: Sink[] = [];

  constructor(options: TraceOptions = {}) {
    this.messages = options.messages ?? true;
    this.keep = options.keep ?? true;
    this.maxEvents = options.maxEvents ?? 2_000_000;
  }

  /**
   * A trace that records nothing: for runs whose result is used but whose story is not told (a
   * comparison row, a property test over many seeds, a benchmark).
   */
  static silent(): Trace {
    return new Trace({ messages: false, keep: false });
  }

  /**
   * This trace, seen through a lens that turns story notes into detail notes: for a long run whose
   * every step would bury the story (a random workload summed up by a table), so that its nodes'
   * narration shows only with `--verbose`. Everything else passes through unchanged, and lands in
   * this trace (its checks count in this trace's summary).
   */
  detailed(): Trace {
    const view = new Trace({ messages: this.messages, keep: false });
    view.emit = (event) =>
      this.emit(
        event.kind === "note" && event.level === "story" ? { ...event, level: "detail" } : event,
      );
    return view;
  }

  /** Stream every later event to `sink` as it is emitted (the CLI renders this way). */
  subscribe(sink: Sink): void {
    this.sinks.push(sink);
  }

  emit(event: TraceEvent): void {
    if (this.keep) {
      if (this.events.length >= this.maxEvents) {
        throw new LimitExceeded(
          `trace limit of ${this.maxEvents} events reached: the run is stuck or runaway`,
        );
      }
      this.events.push(event);
    }
    for (const sink of this.sinks) sink(event);
  }

  section(title: string, ref?: BookRef, time?: number): void {
    this.emit({
      kind: "section",
      title,
      ...(ref ? { ref } : {}),
      ...(time !== undefined ? { time } : {}),
    });
  }

  /** Narration. `options.level` defaults to `story`; use `summary` for what `--quiet` keeps. */
  note(
    text: string,
    options: { node?: string; ref?: BookRef; level?: NoteLevel; time?: number } = {},
  ): void {
    const { level = "story", ...rest } = options;
    this.emit({ kind: "note", text, level, ...rest });
  }

  /**
   * Record an invariant's result. `expected` says whether it should hold in this variant; a
   * broken variant passes `expected: false` and the summary counts its violation as expected.
   * `held: null` records a check that was not exercised (see `notExercised`); it returns false,
   * since nothing was shown to hold.
   */
  check(
    name: string,
    held: boolean | null,
    options: { expected?: boolean; detail?: string; ref?: BookRef; time?: number } = {},
  ): boolean {
    const { expected = true, ...rest } = options;
    this.emit({ kind: "check", name, held, expected, ...rest });
    return held === true;
  }

  /**
   * Record a check whose subject is empty in this run: no reads to judge, nothing acknowledged.
   * `detail` says why ("no read completed: every message was lost"). It is neither held nor
   * violated, and the summary counts it apart.
   */
  notExercised(name: string, detail: string, options: { ref?: BookRef; time?: number } = {}): void {
    this.check(name, null, { ...options, detail });
  }

  table(title: string, columns: string[], rows: Cell[][], caption?: string): void {
    this.emit({ kind: "table", title, columns, rows, ...(caption ? { caption } : {}) });
  }

  query(language: string, text: string, result?: string, detail = false): void {
    this.emit({
      kind: "query",
      language,
      text,
      ...(result !== undefined ? { result } : {}),
      ...(detail ? { detail } : {}),
    });
  }

  /**
   * Record the operations a checker judged, and its witness, for the pictures. Free when messages
   * are not recorded (a property test's silent trace), since only pictures and `--json` read it.
   */
  history(
    name: string,
    operations: readonly HistoryOperation[],
    witness?: readonly number[],
    time?: number,
  ): void {
    if (!this.messages) return;
    this.emit({
      kind: "history",
      name,
      operations: [...operations],
      ...(witness !== undefined && witness.length > 0 ? { witness: [...witness] } : {}),
      ...(time !== undefined ? { time } : {}),
    });
  }

  bars(title: string, bars: { label: string; value: number }[], unit?: string): void {
    this.emit({ kind: "bars", title, bars, ...(unit ? { unit } : {}) });
  }

  /** The checks recorded so far, for the summary and for tests. */
  checks(): Extract<TraceEvent, { kind: "check" }>[] {
    return this.events.filter(
      (e): e is Extract<TraceEvent, { kind: "check" }> => e.kind === "check",
    );
  }

  /**
   * Emit the closing summary: how many checks held, how many were violated, and how many were
   * violated although they should have held. A broken variant that happens not to show its
   * anomaly on this seed is not an error: it may violate, it need not.
   */
  summarize(): Extract<TraceEvent, { kind: "summary" }> {
    const checks = this.checks();
    const held = checks.filter((c) => c.held === true).length;
    const violated = checks.filter((c) => c.held === false).length;
    const unexpected = checks.filter((c) => c.expected && c.held === false).length;
    const summary = {
      kind: "summary" as const,
      held,
      violated,
      notExercised: checks.length - held - violated,
      unexpected,
      ok: unexpected === 0,
    };
    this.emit(summary);
    return summary;
  }
}
