/**
 * The text renderer: aligned columns `time  node  event`, one colour per node, headings, ✔ and ✘
 * for checks, tables and bar charts. With colour level 0 it is the plain renderer that golden
 * tests snapshot; the words are the same either way.
 */

import { Chalk, type ChalkInstance } from "chalk";
import { murmur3_32 } from "../hash.js";
import type { Cell, TraceEvent } from "../trace.js";

export type Verbosity = "quiet" | "normal" | "verbose";

/** Which events each verbosity shows. `--quiet` keeps headings, summaries, tables and checks. */
export function isVisible(event: TraceEvent, verbosity: Verbosity): boolean {
  switch (event.kind) {
    case "start":
    case "section":
    case "check":
    case "table":
    case "bars":
    case "summary":
      return true;
    case "note":
      if (event.level === "detail") return verbosity === "verbose";
      return verbosity !== "quiet" || event.level === "summary";
    case "crash":
    case "recover":
    case "partition":
    case "heal":
    case "clock":
      return verbosity !== "quiet";
    case "query":
      return event.detail === true ? verbosity === "verbose" : verbosity !== "quiet";
    case "send":
    case "deliver":
    case "drop":
      // Routine traffic is counted by the scenario, not listed; the pictures draw it.
      return verbosity === "verbose" && event.routine !== true;
    case "timer":
      return verbosity === "verbose";
    case "run":
    case "history":
      // Markers for the pictures (shared/render/diagram); the words say it already.
      return false;
  }
}

const NODE_COLUMN_WIDTH = 9;
const TIME_COLUMN_WIDTH = 10;
const BAR_WIDTH_MAX = 40;
const MESSAGE_WIDTH_MAX = 110;

export interface TextRendererOptions {
  /** chalk colour level: 0 for plain text. */
  colorLevel: 0 | 1 | 2 | 3;
  verbosity: Verbosity;
}

export class TextRenderer {
  private readonly c: ChalkInstance;
  private readonly verbosity: Verbosity;
  private readonly palette: ((s: string) => string)[];

  constructor(options: TextRendererOptions) {
    this.c = new Chalk({ level: options.colorLevel });
    this.verbosity = options.verbosity;
    const c = this.c;
    this.palette = [
      c.cyan,
      c.magenta,
      c.blue,
      c.yellow,
      c.green,
      c.cyanBright,
      c.magentaBright,
      c.blueBright,
    ];
  }

  /** The lines for one event, or none if this verbosity hides it. */
  render(event: TraceEvent): string[] {
    if (!isVisible(event, this.verbosity)) return [];
    const c = this.c;
    switch (event.kind) {
      case "start":
        return [
          c.bold(`${event.scenario}`) + c.dim(` · seed ${event.seed}`),
          c.dim(`replay: ${event.replay}`),
        ];
      case "section": {
        const ref = event.ref ? c.dim(`  (${event.ref})`) : "";
        return ["", c.bold.underline(event.title) + ref];
      }
      case "note": {
        const ref = event.ref ? c.dim(`  [${event.ref}]`) : "";
        const style = event.level === "summary" ? c.bold : (s: string) => s;
        // Lines after the first (a JSON document, a list) are indented under the first.
        const prefix = this.prefix(event.time, event.node);
        const indent = " ".repeat(
          event.time === undefined && event.node === undefined
            ? 4
            : TIME_COLUMN_WIDTH + NODE_COLUMN_WIDTH + 5,
        );
        const [first = "", ...rest] = event.text.split("\n");
        return [prefix + style(first) + ref, ...rest.map((line) => indent + style(line))];
      }
      case "send":
        return [
          this.prefix(event.time, event.from) + c.dim(`→ ${event.to}  ${formatMessage(event.msg)}`),
        ];
      case "deliver":
        return [
          this.prefix(event.time, event.to) + c.dim(`← ${event.from}  ${formatMessage(event.msg)}`),
        ];
      case "drop":
        return [
          this.prefix(event.time, event.from) +
            c.red(`✗ ${event.from} → ${event.to} dropped (${event.reason})  `) +
            c.dim(formatMessage(event.msg)),
        ];
      case "timer":
        return [this.prefix(event.time, event.node) + c.dim(`⏰ timer ${event.name}`)];
      case "crash":
        return [
          this.prefix(event.time, event.node) +
            c.red.bold("✗ crashed (timers, inbox and memory lost)"),
        ];
      case "recover":
        return [
          this.prefix(event.time, event.node) + c.green("↻ restarted from its durable state"),
        ];
      case "partition":
        return [
          this.prefix(event.time, undefined) +
            c.red.bold(
              `⚡ network partition: ${event.groups.map((g) => `{${g.join(", ")}}`).join(" | ")}`,
            ),
        ];
      case "heal":
        return [this.prefix(event.time, undefined) + c.green.bold("⚡ network healed")];
      case "clock":
        return [this.prefix(event.time, event.node) + c.yellow(event.text)];
      case "query": {
        // A statement keeps its own line breaks, indented under its prompt.
        const prompt = `${event.language}> `;
        const lines = event.text
          .split("\n")
          .map((line, i) => (i === 0 ? prompt : " ".repeat(prompt.length)) + line);
        const out = lines.map((line) => `    ${c.blue(line)}`);
        if (event.result !== undefined) out.push(`    ${c.dim(`→ ${event.result}`)}`);
        return out;
      }
      case "check": {
        const detail = event.detail ? `: ${event.detail}` : "";
        const ref = event.ref ? c.dim(`  [${event.ref}]`) : "";
        if (event.held === null) {
          // Nothing to judge: neither a tick nor a cross, so an empty run never looks like proof.
          return [`${c.cyan("○")} ${event.name}${detail}${c.cyan("  (not exercised)")}${ref}`];
        }
        if (event.held) {
          const mark = event.expected ? c.green("✔") : c.red("✔");
          const note = event.expected ? "" : c.yellow("  (may be violated here; this run did not)");
          return [`${mark} ${event.name}${detail}${note}${ref}`];
        }
        const mark = c.red("✘");
        const note = event.expected
          ? c.red.bold("  (VIOLATED)")
          : c.yellow("  (violated, as expected)");
        return [`${mark} ${event.name}${detail}${note}${ref}`];
      }
      case "table":
        return this.table(event.title, event.columns, event.rows, event.caption);
      case "bars":
        return this.bars(event.title, event.bars, event.unit);
      case "summary": {
        const verdict = event.ok
          ? c.green.bold("run completed as expected")
          : c.red.bold(`${event.unexpected} check(s) did not come out as expected`);
        const idle = event.notExercised > 0 ? `, ${event.notExercised} not exercised` : "";
        return [
          "",
          `${c.bold("Summary:")} ${event.held} held, ${event.violated} violated${idle}; ${verdict}.`,
        ];
      }
      case "run":
      case "history":
        return [];
    }
  }

  private prefix(time: number | undefined, node: string | undefined): string {
    const timeText =
      time === undefined ? "" : this.c.dim(`${time.toFixed(1)}ms`.padStart(TIME_COLUMN_WIDTH));
    const nodeText =
      node === undefined
        ? " ".repeat(NODE_COLUMN_WIDTH)
        : this.colourOf(node)(node.padEnd(NODE_COLUMN_WIDTH));
    if (time === undefined && node === undefined) return "  ";
    return `${timeText}  ${nodeText} `;
  }

  private colourOf(node: string): (s: string) => string {
    return this.palette[murmur3_32(node) % this.palette.length] as (s: string) => string;
  }

  private table(title: string, columns: string[], rows: Cell[][], caption?: string): string[] {
    const c = this.c;
    const text = rows.map((row) => row.map(formatCell));
    const widths = columns.map((col, i) =>
      Math.max(col.length, ...text.map((row) => (row[i] ?? "").length)),
    );
    // Right-align columns of numbers, including formatted ones such as "25.0%" or "1.03".
    const numeric = columns.map(
      (_, i) => rows.length > 0 && text.every((row) => NUMERIC.test(row[i] ?? "")),
    );
    const line = (cells: string[]) =>
      cells
        .map((cell, i) =>
          numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
        )
        .join("  ")
        .trimEnd();
    const out = [
      "",
      c.bold(title),
      `  ${c.bold(line(columns))}`,
      `  ${c.dim(widths.map((w) => "─".repeat(w)).join("  "))}`,
    ];
    for (const row of text) out.push(`  ${line(row)}`);
    if (caption) out.push(c.dim(`  ${caption}`));
    return out;
  }

  private bars(title: string, bars: { label: string; value: number }[], unit?: string): string[] {
    const c = this.c;
    const max = Math.max(0, ...bars.map((b) => b.value));
    const labelWidth = Math.max(0, ...bars.map((b) => b.label.length));
    const out = ["", c.bold(title)];
    for (const { label, value } of bars) {
      const bar = max > 0 ? barOf((value / max) * BAR_WIDTH_MAX) : "";
      out.push(
        `  ${label.padEnd(labelWidth)}  ${c.cyan(bar.padEnd(BAR_WIDTH_MAX))} ${formatCell(value)}${unit ? ` ${unit}` : ""}`,
      );
    }
    return out;
  }
}

const NUMERIC = /^[-+]?[\d,]*\.?\d+(%| ms)?$/;

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/** A horizontal bar `width` characters long, with eighth-character precision. */
export function barOf(width: number): string {
  const whole = Math.floor(width);
  const eighths = Math.round((width - whole) * 8);
  return eighths === 8 ? "█".repeat(whole + 1) : "█".repeat(whole) + (EIGHTHS[eighths] ?? "");
}

export function formatCell(cell: Cell): string {
  if (typeof cell === "string") return cell;
  if (Number.isInteger(cell)) return String(cell);
  return cell.toFixed(Math.abs(cell) >= 100 ? 1 : 3);
}

function formatMessage(msg: unknown): string {
  const text = JSON.stringify(msg) ?? String(msg);
  return text.length > MESSAGE_WIDTH_MAX ? `${text.slice(0, MESSAGE_WIDTH_MAX - 1)}…` : text;
}
