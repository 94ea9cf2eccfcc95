/**
 * A run as a Mermaid `sequenceDiagram` (`--mermaid FILE`): text that GitHub, GitLab and most
 * documentation tools draw as a picture, so a run can be pasted into an issue or a README.
 *
 * A sequence diagram has no time scale: it draws events one under the other in the order the text
 * gives them. So a message is drawn where it was delivered (an arrow `->>`), or where it was
 * dropped (an arrow ending in a cross, `-x`, with the network's reason), and its label carries its
 * send and arrival times. Crashes and restarts are notes over the node; a partition is a shaded
 * region (`rect`) from the cut to the heal, with notes over every participant; narration with a
 * time is a note beside its node. Each run opens with a note over all participants naming it.
 *
 * Mermaid's grammar (packages/mermaid/src/diagrams/sequence/parser/sequenceDiagram.jison) shapes
 * the text:
 * - Participant ids must be plain words that no keyword begins, so every node is `p0`, `p1`...,
 *   shown under its own name with an alias: `participant p0 as client-1`.
 * - A message's or a note's text runs from its `:` to the end of the line, but stops at `;` (a
 *   statement separator) and `#` (a comment). Those, and `%` (a `%%` comment), `<` and `>` (which
 *   the renderer would read as HTML), are written as Mermaid's entity codes: `#59;` for `;`,
 *   `#35;` for `#`, `#lt;` for `<`. Colons after the first need no escape.
 * - `Note over a,b` spans at most two participants: from the first to the last spans them all.
 *
 * Long runs are cut at `maxMessages` messages in all (a diagram of hundreds of arrows is too tall
 * to read), with a note saying how many were left out and how to see them.
 */
import type { DiagramMark, DiagramMessage, DiagramRun } from "./model.js";

export interface MermaidOptions {
  /** Most messages drawn, over all runs together; a note says what was cut. Default 60. */
  maxMessages?: number;
}

export const MERMAID_MESSAGES_MAX_DEFAULT = 60;

/** Longest message payload shown after its type, in characters. */
const PAYLOAD_WIDTH_MAX = 40;
/** Longest note text, in characters: a note is a box as wide as its text. */
const NOTE_WIDTH_MAX = 120;

/** A partition's shading: a light red that reads on GitHub's light and dark themes. */
const PARTITION_FILL = "rect rgba(255, 80, 80, 0.12)";

/** One thing drawn, at the position of its trace event. */
type Step =
  | { kind: "message"; event: number; message: DiagramMessage }
  | { kind: "mark"; event: number; mark: DiagramMark };

export function renderMermaid(runs: readonly DiagramRun[], options: MermaidOptions = {}): string {
  const maxMessages = options.maxMessages ?? MERMAID_MESSAGES_MAX_DEFAULT;
  const ids = new Map<string, string>();
  for (const run of runs) {
    for (const node of run.nodes) if (!ids.has(node)) ids.set(node, `p${ids.size}`);
  }
  const lines = ["sequenceDiagram"];
  for (const [node, id] of ids) lines.push(`  participant ${id} as ${escapeText(node)}`);
  const everyone = spanAll([...ids.values()]);
  if (runs.length === 0) {
    lines.push(`  %% no messages, crashes or partitions were recorded`);
    return `${lines.join("\n")}\n`;
  }

  let drawn = 0;
  let cut: { run: DiagramRun; atMs: number } | undefined;
  let messagesCut = 0;
  for (const run of runs) {
    if (cut !== undefined) {
      messagesCut += run.messages.length;
      continue;
    }
    lines.push(`  Note over ${everyone}: ${escapeText(runHeading(run, runs.length))}`);
    let drawnInRun = 0;
    let partitionOpen = false;
    const closePartition = () => {
      if (!partitionOpen) return;
      lines.push("  end");
      partitionOpen = false;
    };
    for (const step of stepsOf(run)) {
      if (step.kind === "message") {
        if (drawn === maxMessages) {
          cut = { run, atMs: drawnAtMs(step.message, run) };
          messagesCut = run.messages.length - drawnInRun;
          break;
        }
        drawn += 1;
        drawnInRun += 1;
        lines.push(`  ${messageLine(step.message, ids)}`);
        continue;
      }
      const mark = step.mark;
      switch (mark.kind) {
        case "partition":
          closePartition();
          lines.push(`  ${PARTITION_FILL}`);
          partitionOpen = true;
          lines.push(
            `  Note over ${everyone}: ${escapeText(`⚡ ${ms(mark.atMs)} network partition: ${mark.groups.map((g) => `{${g.join(", ")}}`).join(" | ")}`)}`,
          );
          break;
        case "heal":
          closePartition();
          lines.push(
            `  Note over ${everyone}: ${escapeText(`⚡ ${ms(mark.atMs)} network healed`)}`,
          );
          break;
        case "crash":
          lines.push(
            `  Note over ${ids.get(mark.node)}: ${escapeText(`✗ ${ms(mark.atMs)} crashed`)}`,
          );
          break;
        case "recover":
          lines.push(
            `  Note over ${ids.get(mark.node)}: ${escapeText(`↻ ${ms(mark.atMs)} restarted`)}`,
          );
          break;
        case "clock":
        case "note": {
          const where =
            mark.node !== undefined ? `right of ${ids.get(mark.node)}` : `over ${everyone}`;
          lines.push(`  Note ${where}: ${escapeText(`${ms(mark.atMs)} ${clip(mark.text)}`)}`);
          break;
        }
        case "check": {
          const symbol = mark.held === null ? "○" : mark.held ? "✔" : "✘";
          lines.push(
            `  Note over ${everyone}: ${escapeText(`${symbol} ${ms(mark.atMs)} ${clip(mark.name)}`)}`,
          );
          break;
        }
        case "timer":
          // Timers fire often (heartbeats, retries) and send the messages that show them.
          break;
      }
    }
    closePartition();
  }
  if (cut !== undefined) {
    const where =
      runs.length > 1
        ? `from ${ms(cut.atMs)} of run ${cut.run.index + 1} on`
        : `from ${ms(cut.atMs)} on`;
    lines.push(
      `  Note over ${everyone}: ${escapeText(`… ${messagesCut} more ${messagesCut === 1 ? "message" : "messages"} not shown (${where}); use --from/--to to draw a window of the run, or --svg to draw all of it`)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The run's messages at their delivery or drop, and its marks, in the order of the trace. */
function stepsOf(run: DiagramRun): Step[] {
  const steps: Step[] = [];
  const inFlight: Step[] = [];
  for (const message of run.messages) {
    if (message.fate.kind === "in-flight")
      inFlight.push({ kind: "message", event: run.lastEvent, message });
    else steps.push({ kind: "message", event: message.fateEvent ?? message.sendEvent, message });
  }
  for (const mark of run.marks) steps.push({ kind: "mark", event: mark.event, mark });
  // Stable: a message and a mark never share an event, and messages keep their send order.
  steps.sort((a, b) => a.event - b.event);
  return [...steps, ...inFlight];
}

function messageLine(message: DiagramMessage, ids: ReadonlyMap<string, string>): string {
  const from = ids.get(message.from);
  const to = ids.get(message.to);
  const what = `${message.type}${payloadOf(message.msg)}${message.duplicate ? " (duplicate)" : ""}`;
  switch (message.fate.kind) {
    case "delivered":
      return `${from}->>${to}: ${escapeText(`${what} · ${ms(message.sendMs)}→${ms(message.fate.atMs)}`)}`;
    case "dropped": {
      const span =
        message.fate.atMs === message.sendMs
          ? ms(message.sendMs)
          : `${ms(message.sendMs)}→${ms(message.fate.atMs)}`;
      return `${from}-x${to}: ${escapeText(`${what} · ${span}, dropped (${message.fate.reason})`)}`;
    }
    case "in-flight":
      return `${from}--)${to}: ${escapeText(`${what} · ${ms(message.sendMs)}, still in flight at the end`)}`;
  }
}

function drawnAtMs(message: DiagramMessage, run: DiagramRun): number {
  return message.fate.kind === "in-flight" ? run.endMs : message.fate.atMs;
}

/** Runs keep their number in the whole trace, so a window that leaves one out numbers the rest truly. */
function runHeading(run: DiagramRun, count: number): string {
  return count > 1 ? `run ${run.index + 1}: ${run.title}` : run.title;
}

/** The message's fields besides its type, as `key=value`, cut to a readable length. */
function payloadOf(msg: unknown): string {
  if (typeof msg !== "object" || msg === null) return msg === undefined ? "" : ` ${String(msg)}`;
  const parts: string[] = [];
  for (const [key, value] of Object.entries(msg)) {
    if (key === "type") continue;
    parts.push(
      `${key}=${typeof value === "string" ? value : (JSON.stringify(value) ?? String(value))}`,
    );
  }
  if (parts.length === 0) return "";
  const text = parts.join(" ");
  return ` ${text.length > PAYLOAD_WIDTH_MAX ? `${text.slice(0, PAYLOAD_WIDTH_MAX - 1)}…` : text}`;
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > NOTE_WIDTH_MAX ? `${line.slice(0, NOTE_WIDTH_MAX - 1)}…` : line;
}

function ms(value: number): string {
  return `${value.toFixed(1)}ms`;
}

function spanAll(ids: readonly string[]): string {
  return ids.length > 1 ? `${ids[0]},${ids.at(-1)}` : (ids[0] ?? "p0");
}

const ENTITIES: Record<string, string> = {
  "#": "#35;",
  ";": "#59;",
  "%": "#37;",
  "<": "#lt;",
  ">": "#gt;",
};

/**
 * Text as Mermaid reads it between a `:` and the end of the line: one line, with the characters
 * its grammar or its HTML rendering would take for something else written as entity codes.
 */
export function escapeText(text: string): string {
  return text
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[#;%<>]/g, (c) => ENTITIES[c] ?? c);
}
