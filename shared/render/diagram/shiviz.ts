/**
 * A run as a log for ShiViz (`--shiviz FILE`), the space-time diagram viewer of Beschastnikh et
 * al. ("Debugging distributed systems", CACM 2016; https://distributedclocks.github.io/shiviz/).
 * ShiViz orders events by their vector clocks alone, and so shows the happened-before relation
 * itself, which DDIA ch. 5, "Detecting Concurrent Writes" (version vectors) and ch. 9, "Ordering
 * Guarantees" explain.
 *
 * The file is in ShiViz's upload format (its js/shiviz.js reads a chosen file that way):
 *   line 1   the regular expression that parses one event, with the named groups ShiViz requires,
 *            `host`, `event` and `clock` (and ours, `time`, shown among the event's fields);
 *   line 2   the regular expression that separates executions: each run is one, labelled by the
 *            `trace` group (ShiViz adds ^ and $ around both expressions);
 *   the rest the log, one line per event: `host time event clock`, for example
 *            n1 12.5ms send Prepare #3 to n2 {"type":"Prepare","txn":"T1"} {"n1":4,"n2":2}
 *
 * The vector clocks are computed here, from the trace, the standard way (Fidge and Mattern): every
 * event increments its host's own entry; a send carries the sender's clock; a receive first takes
 * the entry-wise maximum of the receiver's clock and the clock the message carried, then
 * increments its own entry. ShiViz checks exactly that: each host's own entry starts at 1 and goes
 * up by one per event, and each clock is the join of its host's previous clock and the clocks of
 * the messages received.
 *
 * What is an event here: a send, a receive, a crash, a restart, a timer firing, a clock change,
 * and narration told about one node. A dropped message is no receive (nothing happened at the
 * receiver); its send says what became of it. Partitions, heals and checks belong to no host, so
 * they are left out. A crash does not reset the node's entry: the clock is the observer's
 * bookkeeping of the log, not state the node keeps, and ShiViz needs each host's entries to run
 * on. Node names are written with whitespace replaced by `_` (the `host` group is one word).
 */
import type { DiagramMark, DiagramMessage, DiagramRun } from "./model.js";

/**
 * ShiViz's NamedRegExp rewrites every `(` that does not begin `(?=`, `(?!`, `(?<` or `(?:` into a
 * non-capturing group, escaped or not: so the expression uses no literal parenthesis. The event
 * group is greedy and the clock is the line's last ` {`, which no clock contains, so an event's
 * text may hold braces of its own (a message as JSON).
 */
export const SHIVIZ_EVENT_REGEX = String.raw`(?<host>\S+) (?<time>\d+\.\d)ms (?<event>.*) (?<clock>\{.*\})`;
export const SHIVIZ_DELIMITER_REGEX = "=== (?<trace>.*) ===";

export type VectorClock = Record<string, number>;

/** One line of the log, before it is written: for tests, and for the writer below. */
export interface ShivizEvent {
  host: string;
  atMs: number;
  text: string;
  clock: VectorClock;
}

export interface ShivizExecution {
  label: string;
  events: ShivizEvent[];
}

export function renderShiviz(runs: readonly DiagramRun[]): string {
  const lines = [SHIVIZ_EVENT_REGEX, SHIVIZ_DELIMITER_REGEX, ""];
  for (const execution of shivizExecutions(runs)) {
    lines.push(`=== ${execution.label} ===`);
    for (const event of execution.events) {
      lines.push(
        `${event.host} ${event.atMs.toFixed(1)}ms ${event.text} ${JSON.stringify(event.clock)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Each run's events with their vector clocks, in the order of the trace. */
export function shivizExecutions(runs: readonly DiagramRun[]): ShivizExecution[] {
  return runs.map((run) => ({
    label: oneLine(`run ${run.index + 1}: ${run.title}`),
    events: clockRun(run),
  }));
}

type Step =
  | { kind: "send"; event: number; message: DiagramMessage }
  | { kind: "receive"; event: number; message: DiagramMessage }
  | { kind: "local"; event: number; mark: DiagramMark & { node: string } };

function clockRun(run: DiagramRun): ShivizEvent[] {
  const steps: Step[] = [];
  // A duplicated message is one send delivered twice: its copies share their send event.
  const copiesBySend = new Map<number, DiagramMessage[]>();
  for (const message of run.messages) {
    const copies = copiesBySend.get(message.sendEvent);
    if (copies !== undefined) copies.push(message);
    else {
      copiesBySend.set(message.sendEvent, [message]);
      steps.push({ kind: "send", event: message.sendEvent, message });
    }
    if (message.fate.kind === "delivered") {
      steps.push({ kind: "receive", event: message.fateEvent ?? message.sendEvent, message });
    }
  }
  for (const mark of run.marks) {
    if ("node" in mark && mark.node !== undefined) {
      steps.push({
        kind: "local",
        event: mark.event,
        mark: mark as DiagramMark & { node: string },
      });
    }
  }
  // In trace order; a send recorded with its delivery (a hand-made trace) comes first.
  const rank = { send: 0, local: 1, receive: 2 } as const;
  steps.sort((a, b) => a.event - b.event || rank[a.kind] - rank[b.kind]);

  const order = new Map(run.nodes.map((node, i) => [hostOf(node), i]));
  const clocks = new Map<string, VectorClock>();
  const sent = new Map<number, VectorClock>();
  const tick = (host: string, merge?: VectorClock): VectorClock => {
    const clock = { ...(clocks.get(host) ?? {}) };
    if (merge !== undefined) {
      for (const [other, value] of Object.entries(merge)) {
        clock[other] = Math.max(clock[other] ?? 0, value);
      }
    }
    clock[host] = (clock[host] ?? 0) + 1;
    const ordered = sortClock(clock, order);
    clocks.set(host, ordered);
    return ordered;
  };

  const events: ShivizEvent[] = [];
  for (const step of steps) {
    switch (step.kind) {
      case "send": {
        const host = hostOf(step.message.from);
        const clock = tick(host);
        sent.set(step.message.sendEvent, clock);
        events.push({
          host,
          atMs: step.message.sendMs,
          text: sendText(step.message, copiesBySend.get(step.message.sendEvent) ?? []),
          clock,
        });
        break;
      }
      case "receive": {
        const message = step.message;
        const host = hostOf(message.to);
        const carried = sent.get(message.sendEvent);
        const atMs = message.fate.kind === "delivered" ? message.fate.atMs : message.sendMs;
        // A message whose send lies outside the drawn window arrives with no clock to merge.
        const text =
          carried === undefined
            ? `receive ${nameOf(message)} from ${message.from} (sent at ${ms(message.sendMs)}, before this window)${contentOf(message)}`
            : `receive ${nameOf(message)} from ${message.from}${message.duplicate ? " (second copy)" : ""}${contentOf(message)}`;
        events.push({ host, atMs, text, clock: tick(host, carried) });
        break;
      }
      case "local": {
        const host = hostOf(step.mark.node);
        events.push({ host, atMs: step.mark.atMs, text: localText(step.mark), clock: tick(host) });
        break;
      }
    }
  }
  return events;
}

function sendText(message: DiagramMessage, copies: readonly DiagramMessage[]): string {
  return `send ${nameOf(message)} to ${message.to}, ${copies.map(fateText).join(", then ")}${contentOf(message)}`;
}

function fateText(copy: DiagramMessage): string {
  switch (copy.fate.kind) {
    case "delivered":
      return `delivered at ${ms(copy.fate.atMs)}`;
    case "dropped":
      return `dropped (${copy.fate.reason}) at ${ms(copy.fate.atMs)}`;
    case "in-flight":
      return "still in flight at the end";
  }
}

function localText(mark: DiagramMark): string {
  switch (mark.kind) {
    case "crash":
      return "crashed (timers, inbox and memory lost)";
    case "recover":
      return "restarted from its durable state";
    case "timer":
      return oneLine(`timer ${mark.name}`);
    case "clock":
    case "note":
      return oneLine(mark.text);
    default:
      return mark.kind;
  }
}

/** `Prepare #3`: the message's type and the network's id for it (a duplicate's copies share it). */
function nameOf(message: DiagramMessage): string {
  return oneLine(`${message.type} #${message.id}`);
}

/** `: {"type":"Prepare","txn":"T1"}`: the message itself, last, where a long one may run on. */
function contentOf(message: DiagramMessage): string {
  const json = JSON.stringify(message.msg, (_key, value) =>
    typeof value === "bigint" ? value.toString() : value,
  );
  return json === undefined ? "" : `: ${oneLine(json)}`;
}

function sortClock(clock: VectorClock, order: ReadonlyMap<string, number>): VectorClock {
  const hosts = Object.keys(clock).sort(
    (a, b) =>
      (order.get(a) ?? Number.MAX_SAFE_INTEGER) - (order.get(b) ?? Number.MAX_SAFE_INTEGER) ||
      (a < b ? -1 : a > b ? 1 : 0),
  );
  const sorted: VectorClock = {};
  for (const host of hosts) sorted[host] = clock[host] as number;
  return sorted;
}

function hostOf(node: string): string {
  return node.replace(/\s+/g, "_") || "_";
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function ms(value: number): string {
  return `${value.toFixed(1)}ms`;
}
