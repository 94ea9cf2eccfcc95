/**
 * The space-time diagram in the terminal (`--diagram`): one column per node, simulated time going
 * down, one row per thing that happened. A message is an arrow drawn on the row of its arrival,
 * from its sender's line to its receiver's, with the time it was sent in the second time column,
 * as the book draws replication, consensus and transactions (DDIA figures 5-1, 8-4, 9-6).
 *
 *   at ms  sent   client-1 r1       client-2 client-3 r2       r3       monitor  notes
 *   200.0       ║ ═══ partition ══════════════════════════════════════════ {r1, client-1} | {r2,
 *               ║  │        │        │        │        │        │        │        r3, monitor, client-2,
 *   200.0 200.0 ║  │        ├─Repl…──┼────────┼───────✗│        │        │        Replicate ✗ partition
 *   200.2 196.1 ║  │◀Read…──┤        │        │        │        │        │        ReadOk
 *   203.0 200.0 ║  │        │        │        │        │        │◀Ping───┤
 *   204.2 202.8 ║  ├─Write─▶│        │        │        │        │        │
 *
 * It reads without colour: arrowheads (▶ ◀, ↺ for a message to itself), ✗ for a drop, ╳ for a
 * crash and ┊ for a node that is down, ↻ for its restart, ║ at the left while the network is
 * partitioned, ● for a note beside its row. Beyond the width, names are shortened and then the
 * rightmost nodes share one column. `DiagramPrinter` puts the diagrams in the narrated trace.
 */

import { Chalk, type ChalkInstance } from "chalk";
import type { DropReason, TraceEvent } from "../../trace.js";
import { pluralThousands as plural } from "../../words.js";
import { isVisible, type TextRenderer, type Verbosity } from "../text.js";
import { buildDiagram, type DiagramMark, type DiagramMessage, type DiagramRun } from "./model.js";

export interface TerminalDiagramOptions {
  /** The terminal's width: no line of the diagram is wider. */
  widthColumns: number;
  /** Only what happens in [fromMs, toMs] of simulated time. */
  fromMs?: number;
  toMs?: number;
  /** chalk colour level: 0 for plain text. */
  colorLevel: 0 | 1 | 2 | 3;
  /** Draw timer firings too (`--verbose`). Default false. */
  timers?: boolean;
  /** Most lines a note or check takes in the margin before it is cut short. Default 4. */
  noteLinesMax?: number;
}

/** The diagram's lines, and which of the run's marks (by event index) it showed in full. */
export interface TerminalDiagram {
  lines: string[];
  /** Event indexes of the notes, checks and other marks drawn with their whole text. */
  shownInFull: Set<number>;
}

export function renderTerminalDiagram(run: DiagramRun, options: TerminalDiagramOptions): string[] {
  return drawTerminalDiagram(run, options).lines;
}

/** Columns a node's column may shrink to, and the margin kept for notes. */
const COLUMN_WIDTH_MIN = 5;
const COLUMN_WIDTH_MAX = 16;
const MARGIN_WIDTH_MIN = 12;
/** The share of a wide terminal kept for the notes beside the rows. */
const MARGIN_SHARE = 0.35;

/** One thing on one row: a message's arrival or drop, or a mark. */
type Row =
  | { kind: "message"; atMs: number; order: number; message: DiagramMessage }
  | { kind: "mark"; atMs: number; order: number; mark: DiagramMark };

export function drawTerminalDiagram(
  run: DiagramRun,
  options: TerminalDiagramOptions,
): TerminalDiagram {
  const c = new Chalk({ level: options.colorLevel });
  const width = Math.max(20, Math.floor(options.widthColumns));
  const from = options.fromMs ?? Number.NEGATIVE_INFINITY;
  const to = options.toMs ?? Number.POSITIVE_INFINITY;
  const noteLinesMax = options.noteLinesMax ?? 4;
  const inWindow = (t: number) => t >= from && t <= to;

  // The rows: every copy of a message on the row where it arrived or was dropped (one still in
  // flight at the end, on the row where it was sent), and every mark, in time order.
  const rows: Row[] = [];
  let before = 0;
  let after = 0;
  for (const message of run.messages) {
    const atMs = message.fate.kind === "in-flight" ? message.sendMs : message.fate.atMs;
    if (atMs < from) before++;
    else if (atMs > to) after++;
    else {
      const order =
        message.fate.kind === "in-flight" ? message.sendEvent : (message.fateEvent ?? 0);
      rows.push({ kind: "message", atMs, order, message });
    }
  }
  for (const mark of run.marks) {
    if (mark.kind === "timer" && options.timers !== true) continue;
    if (inWindow(mark.atMs)) rows.push({ kind: "mark", atMs: mark.atMs, order: mark.event, mark });
  }
  rows.sort((a, b) => a.atMs - b.atMs || a.order - b.order);

  // Time columns, wide enough for the latest time shown.
  const times = rows.flatMap((r) => (r.kind === "message" ? [r.atMs, r.message.sendMs] : [r.atMs]));
  const timeWidth = Math.max(5, ...times.map((t) => formatMs(t).length));
  const prefixWidth = timeWidth + 1 + timeWidth + 1 + 2;

  // Node columns: as wide as the longest name allows, narrower to fit, then the rightmost nodes
  // in one shared column.
  const nodes = run.nodes;
  const longestType = Math.max(0, ...run.messages.map((m) => cellWidth(m.type)));
  const wanted = Math.min(
    COLUMN_WIDTH_MAX,
    Math.max(
      COLUMN_WIDTH_MIN + 2,
      Math.min(longestType + 4, 12),
      ...nodes.map((n) => cellWidth(n) + 2),
    ),
  );
  // The notes keep a good share of a wide terminal, and give it up to columns that need it.
  const areaFor = (share: number) =>
    Math.max(0, width - prefixWidth - 1 - Math.max(MARGIN_WIDTH_MIN, Math.floor(width * share)));
  const roomy = Math.floor(areaFor(MARGIN_SHARE) / Math.max(1, nodes.length));
  const nodeArea = roomy >= Math.min(wanted, 10) ? areaFor(MARGIN_SHARE) : areaFor(0.2);
  let columnWidth = Math.min(wanted, Math.floor(nodeArea / Math.max(1, nodes.length)));
  let shown = nodes.length;
  if (columnWidth < COLUMN_WIDTH_MIN) {
    columnWidth = Math.max(3, Math.min(COLUMN_WIDTH_MIN, Math.floor(nodeArea / 2)));
    shown = Math.max(1, Math.floor(nodeArea / columnWidth) - 1);
    if (shown >= nodes.length) shown = nodes.length;
  }
  const collapsed = nodes.slice(shown);
  const columnCount = shown + (collapsed.length > 0 ? 1 : 0);
  const columnOf = new Map<string, number>();
  for (const [i, node] of nodes.entries()) columnOf.set(node, Math.min(i, shown));
  const lifeline = (column: number) => prefixWidth + column * columnWidth + 1;
  const marginStart = prefixWidth + columnCount * columnWidth + 1;
  const marginWidth = Math.max(0, width - marginStart);

  // Which nodes are down, and whether the network is cut, at a moment.
  // A node is down from its crash's event to its restart's, in trace order: a message that
  // arrives at the moment it crashes, just before, still finds it up.
  const downSpans: { node: string; from: number; until: number }[] = [];
  for (const mark of run.marks) {
    if (mark.kind === "crash")
      downSpans.push({ node: mark.node, from: mark.event, until: Infinity });
    if (mark.kind === "recover") {
      const span = downSpans.findLast((d) => d.node === mark.node && d.until === Infinity);
      if (span !== undefined) span.until = mark.event;
    }
  }
  const isDown = (node: string, order: number) =>
    downSpans.some((d) => d.node === node && d.from < order && order < d.until);
  const isPartitioned = (atMs: number) =>
    run.partitions.some((p) => p.fromMs <= atMs && (p.untilMs === undefined || atMs <= p.untilMs));

  const lines: string[] = [];
  const shownInFull = new Set<number>();
  const clip = (line: string) => truncateCells(line, width);

  // The title, what the window leaves out, and the header.
  const span = `${formatMs(run.startMs)}–${formatMs(run.endMs)} ms`;
  const messageCount = `${run.messages.length} message${run.messages.length === 1 ? "" : "s"}`;
  lines.push(
    clip(c.bold(`┌ ${run.title}`) + c.dim(` · ${nodes.length} nodes, ${messageCount}, ${span}`)),
  );
  if (before > 0)
    lines.push(clip(c.dim(`(${plural(before, "message")} before ${formatMs(from)}ms not shown)`)));
  const header = new Cells(prefixWidth + columnCount * columnWidth);
  header.write(0, "at ms".padStart(timeWidth));
  header.write(timeWidth + 1, "sent".padStart(timeWidth));
  for (let column = 0; column < columnCount; column++) {
    const label =
      column < shown
        ? abbreviate(nodes[column] as string, columnWidth - 1)
        : abbreviate(`+${collapsed.length}`, columnWidth - 1);
    header.write(lifeline(column) - 1, label);
  }
  lines.push(clip(c.bold(header.text().trimEnd() + (marginWidth > 0 ? "  notes" : ""))));

  // One row's lifelines, before the event is drawn over them.
  const base = (atMs: number, order: number): Cells => {
    const cells = new Cells(prefixWidth + columnCount * columnWidth);
    if (isPartitioned(atMs)) cells.put(timeWidth * 2 + 2, "║");
    for (let column = 0; column < columnCount; column++) {
      const down = column < shown && isDown(nodes[column] as string, order);
      cells.put(lifeline(column), down ? "┊" : "│");
    }
    return cells;
  };

  const emit = (cells: Cells, margin: string[]) => {
    const [first = "", ...rest] = margin;
    const body = cells.text();
    lines.push(clip(first === "" ? body.trimEnd() : `${body} ${first}`));
    for (const more of rest) {
      const continuation = base(cells.atMs ?? 0, cells.order);
      lines.push(clip(`${continuation.text()} ${more}`));
    }
  };

  /** The margin's lines for a text, wrapped; whether it all fitted. */
  const wrapMargin = (text: string): { lines: string[]; whole: boolean } => {
    if (marginWidth < 4) return { lines: [], whole: text === "" };
    return wrap(text, marginWidth, noteLinesMax);
  };

  for (const row of rows) {
    const cells = base(row.atMs, row.order);
    cells.atMs = row.atMs;
    cells.order = row.order;
    cells.write(0, formatMs(row.atMs).padStart(timeWidth));
    if (row.kind === "message") {
      const m = row.message;
      cells.write(timeWidth + 1, formatMs(m.sendMs).padStart(timeWidth));
      const fromColumn = columnOf.get(m.from) ?? 0;
      const toColumn = columnOf.get(m.to) ?? 0;
      const labelFits = drawArrow(cells, lifeline(fromColumn), lifeline(toColumn), m, c);
      // One line beside it: the type when the arrow could not hold it, the ends when one is in
      // the shared column, and a drop's reason.
      const notes: string[] = [];
      const shared = fromColumn === shown || toColumn === shown;
      if (!labelFits || shared) notes.push(m.type);
      if (shared) notes.push(`${m.from} → ${m.to}`);
      if (m.fate.kind === "dropped") notes.push(`✗ ${dropWords(m.fate.reason)}`);
      if (m.fate.kind === "in-flight") notes.push("… still in flight at the end");
      if (m.duplicate === true) notes.push("(duplicate)");
      emit(cells, marginWidth < 4 ? [] : [truncateCells(notes.join(" "), marginWidth)]);
      continue;
    }
    const mark = row.mark;
    const at = (node: string, glyph: string) => cells.put(lifeline(columnOf.get(node) ?? 0), glyph);
    let text = "";
    switch (mark.kind) {
      case "crash":
        at(mark.node, c.red("╳"));
        text = `${mark.node} crashed`;
        break;
      case "recover":
        at(mark.node, c.green("↻"));
        text = `${mark.node} restarted`;
        break;
      case "partition": {
        cells.put(timeWidth * 2 + 2, "║");
        cells.band(prefixWidth, columnCount * columnWidth, "═", " partition ");
        text = mark.groups.map((g) => `{${g.join(", ")}}`).join(" | ");
        break;
      }
      case "heal":
        cells.band(prefixWidth, columnCount * columnWidth, "─", " healed ");
        text = "";
        break;
      case "timer":
        at(mark.node, "○");
        text = `${mark.node} timer ${mark.name}`;
        break;
      case "clock":
        at(mark.node, "◆");
        text = `${mark.node}: ${mark.text}`;
        break;
      case "note":
        if (mark.node !== undefined) at(mark.node, "●");
        text =
          mark.node !== undefined && columnOf.get(mark.node) === shown
            ? `${mark.node}: ${mark.text}`
            : mark.text;
        break;
      case "check": {
        const symbol = mark.held === null ? "○" : mark.held ? "✔" : "✘";
        const verdict =
          mark.held === false ? (mark.expected ? " (VIOLATED)" : " (violated, as expected)") : "";
        const idle = mark.held === null ? " (not exercised)" : "";
        text = `${symbol} ${mark.name}${mark.detail ? `: ${mark.detail}` : ""}${idle}${verdict}`;
        break;
      }
    }
    const margin = wrapMargin(text);
    if (margin.whole) shownInFull.add(mark.event);
    emit(cells, margin.lines);
  }

  if (after > 0)
    lines.push(clip(c.dim(`(${plural(after, "message")} after ${formatMs(to)}ms not shown)`)));
  if (rows.length === 0) lines.push(clip(c.dim("(nothing in this window)")));
  lines.push(...legend(rows, collapsed, width, c));
  // Shortened names can look alike (controller and consumer are both "con…"): name every column.
  const shortened = nodes
    .slice(0, shown)
    .some((node) => abbreviate(node, columnWidth - 1) !== node);
  if (shortened) {
    const key = `columns, left to right: ${nodes.slice(0, shown).join(", ")}${collapsed.length > 0 ? `, +${collapsed.length}` : ""}`;
    for (const line of wrap(key, Math.max(1, width - 2), Number.POSITIVE_INFINITY).lines)
      lines.push(c.dim(`  ${line}`));
  }
  return { lines, shownInFull };
}

/**
 * Draw a message's arrow over the row, from the sender's line to the receiver's, its type centred
 * on it when there is room. Returns whether the whole type fitted.
 */
function drawArrow(
  cells: Cells,
  fromX: number,
  toX: number,
  message: DiagramMessage,
  c: ChalkInstance,
): boolean {
  const head =
    message.fate.kind === "delivered"
      ? toX >= fromX
        ? "▶"
        : "◀"
      : message.fate.kind === "dropped"
        ? "✗"
        : "…";
  const style =
    message.fate.kind === "dropped" ? c.red : message.fate.kind === "in-flight" ? c.dim : c.cyan;
  if (fromX === toX) {
    // To itself: a loop beside its own line.
    cells.put(fromX + 1, style(message.fate.kind === "delivered" ? "↺" : head));
    const room = cells.length - fromX - 3;
    const label = abbreviate(message.type, Math.max(0, room));
    cells.write(fromX + 2, label);
    return label === message.type;
  }
  const right = toX > fromX;
  const step = right ? 1 : -1;
  // The lines the arrow crosses cut it into segments; the type goes in the one nearest the
  // sender that holds it whole, else, cut short, in the widest.
  const bounds = [fromX];
  for (let x = fromX + step; x !== toX; x += step) if (cells.isLifeline(x)) bounds.push(x);
  bounds.push(toX);
  cells.put(fromX, style(right ? "├" : "┤"));
  // A line it crosses shows through, so that one cannot mistake where the arrow ends.
  for (let x = fromX + step; x !== toX - step; x += step)
    cells.put(x, style(cells.isLifeline(x) ? "┼" : "─"));
  cells.put(toX - step, style(head));
  const segments = bounds.slice(1).map((end, i) => {
    const start = bounds[i] as number;
    return { lo: Math.min(start, end), room: Math.abs(end - start) - 4 };
  });
  const whole = segments.find((g) => g.room >= cellWidth(message.type));
  const segment = whole ?? segments.reduce((a, b) => (b.room > a.room ? b : a));
  if (segment.room < 3) return false;
  const label = abbreviate(message.type, segment.room);
  cells.write(segment.lo + 2 + Math.floor((segment.room - cellWidth(label)) / 2), label);
  return label === message.type;
}

function legend(
  rows: readonly Row[],
  collapsed: readonly string[],
  width: number,
  c: ChalkInstance,
): string[] {
  const kinds = new Set<string>();
  for (const row of rows) {
    if (row.kind === "message") {
      kinds.add(row.message.fate.kind);
      if (row.message.from === row.message.to) kinds.add("self");
    } else kinds.add(row.mark.kind);
  }
  const parts: string[] = [];
  if (kinds.has("delivered")) parts.push("├── a message, drawn on the row where it arrives");
  if (kinds.has("self")) parts.push("↺ to itself");
  if (kinds.has("dropped")) parts.push("✗ dropped");
  if (kinds.has("in-flight")) parts.push("… never arrived");
  if (kinds.has("crash")) parts.push("╳ crashed, ┊ down");
  if (kinds.has("recover")) parts.push("↻ restarted");
  if (kinds.has("partition") || kinds.has("heal")) parts.push("║ network partitioned");
  if (kinds.has("note") || kinds.has("clock") || kinds.has("timer")) parts.push("● a node's note");
  const out: string[] = [];
  if (parts.length > 0) out.push(truncateCells(c.dim(`└ ${parts.join(" · ")}`), width));
  if (collapsed.length > 0) {
    const names = collapsed.join(", ");
    out.push(
      truncateCells(
        c.dim(`  +${collapsed.length}: ${collapsed.length} nodes share the last column (${names})`),
        width,
      ),
    );
  }
  return out;
}

function dropWords(reason: DropReason): string {
  switch (reason) {
    case "loss":
      return "lost";
    case "partition":
      return "partition";
    case "crashed":
      return "receiver crashed";
    case "unknown-node":
      return "no such node";
  }
}

/** A row of terminal cells, each holding one character (with its colour codes, if any). */
class Cells {
  private readonly cells: string[];
  atMs: number | undefined;
  /** The row's place in the trace (its event's index), for what was down at that moment. */
  order = 0;

  constructor(readonly length: number) {
    this.cells = Array.from({ length }, () => " ");
  }

  put(x: number, glyph: string): void {
    if (x >= 0 && x < this.length) this.cells[x] = glyph;
  }

  /** Text from cell x on, one code point per cell (cut at the row's end). */
  write(x: number, text: string): void {
    let at = x;
    for (const char of text) {
      if (at >= this.length) return;
      const w = cellWidth(char);
      if (w === 2) {
        this.put(at, char);
        this.put(at + 1, "");
        at += 2;
      } else {
        this.put(at, char);
        at += 1;
      }
    }
  }

  /** A line across [x, x + length) drawn with `fill`, with `label` near its start. */
  band(x: number, length: number, fill: string, label: string): void {
    for (let i = 0; i < length; i++) this.put(x + i, fill);
    if (length >= cellWidth(label) + 4) this.write(x + 3, label);
  }

  isLifeline(x: number): boolean {
    return this.cells[x] === "│" || this.cells[x] === "┊";
  }

  text(): string {
    return this.cells.join("");
  }
}

/** Simulated milliseconds as the text renderer shows them. */
function formatMs(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(1) : String(ms);
}

/**
 * A name cut to `room` cells: kept whole when it fits, else its start and its end with "…"
 * between, so that client-12 and client-13 stay apart ("cli…12").
 */
export function abbreviate(name: string, room: number): string {
  if (room <= 0) return "";
  if (cellWidth(name) <= room) return name;
  if (room === 1) return "…";
  const chars = [...name];
  const digits = /\d+$/.exec(name)?.[0] ?? "";
  const tail = digits.length > 0 && digits.length <= room - 2 ? digits : "";
  const head = chars.slice(0, room - 1 - tail.length).join("");
  return `${head}…${tail}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are control sequences
const ANSI = /\u001b\[[0-9;]*m/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the same, kept when a line is split
const ANSI_PART = /(\u001b\[[0-9;]*m)/;

/** Terminal cells a text takes: colour codes take none, wide (CJK, emoji) characters two. */
export function cellWidth(text: string): number {
  let width = 0;
  for (const char of text.replace(ANSI, "")) width += charWidth(char.codePointAt(0) ?? 0);
  return width;
}

function charWidth(code: number): number {
  if (code === 0 || (code >= 0x300 && code <= 0x36f) || code === 0x200d || code === 0xfe0f)
    return 0;
  if (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  )
    return 2;
  return 1;
}

/** A line cut to `width` cells, colour codes kept (and closed), "…" where it was cut. */
export function truncateCells(line: string, width: number): string {
  if (cellWidth(line) <= width) return line;
  let out = "";
  let used = 0;
  let coloured = false;
  const parts = line.split(ANSI_PART);
  for (const part of parts) {
    if (part.startsWith("\u001b[")) {
      out += part;
      coloured = true;
      continue;
    }
    for (const char of part) {
      const w = charWidth(char.codePointAt(0) ?? 0);
      if (used + w > width - 1) return `${out}…${coloured ? "\u001b[0m" : ""}`;
      out += char;
      used += w;
    }
  }
  return out;
}

/**
 * Words wrapped into lines of at most `width` cells, at most `linesMax` lines (the last ending in
 * "…" when the text was longer); `whole` says whether nothing was cut.
 */
export function wrap(
  text: string,
  width: number,
  linesMax: number,
): { lines: string[]; whole: boolean } {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ")) {
      const candidate = line === "" ? word : `${line} ${word}`;
      if (cellWidth(candidate) <= width) {
        line = candidate;
        continue;
      }
      if (line !== "") lines.push(line);
      line = word;
      while (cellWidth(line) > width) {
        const chars = [...line];
        let cut = "";
        let used = 0;
        let i = 0;
        for (; i < chars.length; i++) {
          const w = cellWidth(chars[i] as string);
          if (used + w > width) break;
          cut += chars[i];
          used += w;
        }
        lines.push(cut);
        line = chars.slice(i).join("");
      }
    }
    lines.push(line);
  }
  while (lines.length > 0 && lines.at(-1) === "") lines.pop();
  if (lines.length <= linesMax) return { lines, whole: true };
  const kept = lines.slice(0, linesMax);
  kept[linesMax - 1] = truncateCells(`${kept[linesMax - 1]} …`, width);
  if (!(kept[linesMax - 1] as string).endsWith("…")) kept[linesMax - 1] = `${kept[linesMax - 1]}…`;
  return { lines: kept, whole: false };
}

export interface DiagramPrinterOptions {
  /** The narration's renderer: what is not drawn is printed through it. */
  renderer: TextRenderer;
  verbosity: Verbosity;
  colorLevel: 0 | 1 | 2 | 3;
  widthColumns: number;
  fromMs?: number;
  toMs?: number;
}

/**
 * The narrated trace with each run's diagram in its place (`--diagram`). The events of a run that
 * the diagram draws (messages, crashes, restarts, partitions, timed notes and checks) are held
 * back while the run goes on; when it ends (a new run, a heading, narration without a time, a
 * table, the summary) its diagram is printed, then whatever it held back that the diagram did not
 * show in full (a note cut short, a note outside the --from/--to window), as text in trace order.
 * Everything else is printed as the text renderer prints it.
 */
export class DiagramPrinter {
  private readonly options: DiagramPrinterOptions;
  private held: TraceEvent[] = [];
  private heading: string | undefined;
  private runs = 0;
  private open = false;
  private drawnTitles = new Set<string>();

  constructor(options: DiagramPrinterOptions) {
    this.options = options;
  }

  render(event: TraceEvent): string[] {
    switch (event.kind) {
      case "run": {
        const out = this.flush();
        this.open = true;
        this.runs++;
        return out;
      }
      case "send":
      case "deliver":
      case "drop":
      case "timer":
      case "crash":
      case "recover":
      case "partition":
      case "heal":
      case "clock":
        if (!this.open) {
          this.open = true;
          this.runs++;
        }
        this.held.push(event);
        return [];
      case "history":
        if (this.open) this.held.push(event);
        return [];
      case "note":
      case "check":
        if (this.open && event.time !== undefined) {
          this.held.push(event);
          return [];
        }
        return [...this.flush(), ...this.options.renderer.render(event)];
      case "section": {
        const out = this.flush();
        this.heading = event.title;
        return [...out, ...this.options.renderer.render(event)];
      }
      default:
        return [...this.flush(), ...this.options.renderer.render(event)];
    }
  }

  /** The diagram of what was held back, then what it did not show, as text. */
  private flush(): string[] {
    const held = this.held;
    this.held = [];
    if (held.length === 0) return [];
    const { renderer, verbosity } = this.options;
    const drawable = held.filter((e) => e.kind !== "note" || isVisible(e, verbosity));
    const baseTitle = this.heading ?? `run ${this.runs}`;
    const title = this.drawnTitles.has(baseTitle) ? `${baseTitle} (continued)` : baseTitle;
    const prefix: TraceEvent[] = [
      { kind: "section", title },
      { kind: "run", time: 0 },
    ];
    const [run] = buildDiagram([...prefix, ...drawable]);
    if (run === undefined) return held.flatMap((e) => renderer.render(e));
    // The run began when its first event happened, not at 0.
    const first = drawable.find((e) => "time" in e && e.time !== undefined);
    run.startMs = first !== undefined && "time" in first ? (first.time ?? 0) : 0;
    this.drawnTitles.add(baseTitle);
    const diagram = drawTerminalDiagram(run, {
      widthColumns: this.options.widthColumns,
      colorLevel: this.options.colorLevel,
      timers: verbosity === "verbose",
      ...(this.options.fromMs !== undefined ? { fromMs: this.options.fromMs } : {}),
      ...(this.options.toMs !== undefined ? { toMs: this.options.toMs } : {}),
    });
    const shown = new Set(
      [...diagram.shownInFull].map((index) => drawable[index - prefix.length] as TraceEvent),
    );
    const window = (e: TraceEvent) =>
      e.kind === "send" || e.kind === "deliver" || e.kind === "drop"
        ? !inWindow(e.time, this.options)
        : true;
    const rest = held.filter((e) => !shown.has(e) && window(e)).flatMap((e) => renderer.render(e));
    return ["", ...diagram.lines, ...rest];
  }
}

function inWindow(atMs: number, options: { fromMs?: number; toMs?: number }): boolean {
  return atMs >= (options.fromMs ?? Number.NEGATIVE_INFINITY) && atMs <= (options.toMs ?? Infinity);
}
