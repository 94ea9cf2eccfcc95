/**
 * The space-time diagram as a self-contained SVG (`--svg`), drawn by our own code: one vertical
 * line per node, simulated time going down on a true scale (so delay and overlap show), a message
 * as a slanted arrow from its sender at the moment it was sent to its receiver at the moment it
 * arrived, as the book draws them (DDIA figures 5-1, 5-4, 8-4, 9-6). Drops end in a cross, a
 * message still in flight when the run ended is dashed to the bottom edge, partitions are shaded
 * bands, a crashed node's line has a gap until it restarts, and client operations are bars from
 * invocation to completion beside the client's line, as Knossos and Porcupine draw histories, with
 * the operations of a checker's witness outlined and starred.
 *
 * Every element the web page (html.ts) styles or scripts carries a class and data attributes:
 * `class="msg delivered" data-run data-index data-id data-t`. The output is a pure function of the
 * runs: same seed, same bytes. Coordinates are rounded to 0.1 px.
 */

import { type DiagramMessage, type DiagramRun, fateMs } from "./model.js";
import { escapeXml as esc, ms, px, truncate } from "./xml.js";

export interface SvgOptions {
  /** The page's title: the scenario and seed. */
  title: string;
  /** Draw only what happened from this simulated time on (a message crossing it is cut). */
  fromMs?: number;
  /** ...and up to this one. */
  toMs?: number;
  /** Make messages and operations tab stops (the web page: Enter opens their details). */
  focusable?: boolean;
}

/** The tallest a run's time axis is drawn; a longer run is squeezed, and its panel says so. */
export const PLOT_HEIGHT_MAX_PX = 5000;
/**
 * How tall a typical message's flight is drawn (the median time on the wire of the messages
 * shown), so that arrows slant visibly and delay and overlap read at a glance.
 */
const FLIGHT_PX = 32;
/** The largest scale: a run whose messages fly in a fraction of a ms is not blown up past it. */
const PX_PER_MS_MAX = 20;
/** A short run is stretched to at least this height. */
const PLOT_HEIGHT_MIN_PX = 300;
const AXIS_WIDTH_PX = 84;
const COLUMN_WIDTH_PX = 130;
const RIGHT_MARGIN_PX = 40;
const PANEL_HEAD_PX = 64;
const PANEL_FOOT_PX = 28;
const PANEL_GAP_PX = 24;
const PAGE_HEAD_PX = 34;
const WIDTH_MIN_PX = 560;
/** Message JSON in a hover title is cut here: a snapshot message can be kilobytes long. */
const MESSAGE_JSON_MAX = 600;
/**
 * Arrows carry their type's label while there is at least this much height per arrow in the
 * window; denser, the labels would be a smear (the hover titles still name every message).
 */
const LABEL_HEIGHT_PER_MESSAGE_PX = 6;
const NODE_LABEL_MAX = 16;
const OPERATION_LABEL_MAX = 22;
/** Room left of a client's line for its operations' labels (22 characters at 10 px). */
const OPERATION_GUTTER_PX = 110;
const TICK_SPACING_MIN_PX = 48;

export function renderSvg(runs: readonly DiagramRun[], options: SvgOptions): string {
  // Runs under one heading (crdts runs eleven) are told apart by their place among them.
  const panels = runs.map((run) => {
    const alike = runs.filter((r) => r.title === run.title);
    const title =
      alike.length > 1 ? `${run.title} (${alike.indexOf(run) + 1} of ${alike.length})` : run.title;
    return layoutPanel(run, title, options);
  });
  const width = Math.max(WIDTH_MIN_PX, ...panels.map((p) => p.width));
  let y = PAGE_HEAD_PX;
  const bodies: string[] = [];
  for (const panel of panels) {
    // The web page's time slider reads where each panel's time axis lies.
    bodies.push(
      `<g class="run" data-run="${panel.run.index}" data-from-ms="${px(panel.window.fromMs)}" data-to-ms="${px(panel.window.toMs)}" data-px-per-ms="${Math.round(panel.pxPerMs * 1e6) / 1e6}" data-top="${PANEL_HEAD_PX}" data-left="${AXIS_WIDTH_PX}" data-right="${px(panel.width - RIGHT_MARGIN_PX)}" transform="translate(0,${px(y)})">`,
    );
    bodies.push(...drawPanel(panel, options));
    bodies.push("</g>");
    y += panel.height + PANEL_GAP_PX;
  }
  const height = runs.length === 0 ? PAGE_HEAD_PX + 40 : y - PANEL_GAP_PX;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="diagram" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(options.title)}</title>`,
    STYLE,
    DEFS,
    `<rect class="page" x="0" y="0" width="${px(width)}" height="${px(height)}"/>`,
    `<text class="page-title" x="12" y="22">${esc(options.title)}</text>`,
  ];
  if (runs.length === 0) {
    out.push(
      `<text class="empty" x="12" y="${px(PAGE_HEAD_PX + 20)}">no message, crash or partition to draw</text>`,
    );
  }
  out.push(...bodies, "</svg>");
  return `${out.join("\n")}\n`;
}

const STYLE = `<style>
.page { fill: #ffffff; }
.page-title { font-size: 15px; font-weight: bold; fill: #111111; }
.run-title { font-size: 14px; font-weight: bold; fill: #111111; }
.scale, .empty { font-size: 11px; fill: #555555; }
.node-label { font-size: 12px; font-weight: bold; fill: #111111; text-anchor: middle; }
.lifeline { stroke: #444444; stroke-width: 1.5; }
.tick line { stroke: #e4e4e4; stroke-width: 1; }
.tick text { font-size: 10px; fill: #666666; text-anchor: end; font-family: monospace; }
.partition rect { fill: #f3d9a4; fill-opacity: 0.45; }
.partition text { font-size: 10px; fill: #7a5300; }
.msg .wire { stroke-width: 1.2; fill: none; }
.msg.delivered .wire { stroke: #2b5d9b; }
.msg.dropped .wire { stroke: #b83227; }
.msg.in-flight .wire { stroke: #888888; stroke-dasharray: 5 3; }
.msg.duplicate .wire { stroke-dasharray: 2 2; }
.msg .hit { stroke: #000000; stroke-opacity: 0; stroke-width: 7; fill: none; }
.msg text, .op text { paint-order: stroke; stroke: #ffffff; stroke-width: 3px; stroke-linejoin: round; }
.msg text { font-size: 9px; fill: #334466; }
.cross { stroke: #b83227; stroke-width: 2; fill: none; }
.crash-mark path { stroke: #b83227; stroke-width: 2.5; fill: none; }
.crash-mark text, .recover-mark text { font-size: 10px; }
.crash-mark text { fill: #b83227; }
.recover-mark circle { fill: #ffffff; stroke: #2d7d46; stroke-width: 2; }
.recover-mark text { fill: #2d7d46; }
.note-mark circle { fill: #f6c343; stroke: #6b5200; stroke-width: 1; }
.clock-mark rect { fill: #c9a0dc; stroke: #5b2c6f; stroke-width: 1; }
.check-mark text { font-size: 12px; }
.check-mark.held text { fill: #2d7d46; }
.check-mark.violated text { fill: #b83227; }
.check-mark.not-exercised text { fill: #2b7c8c; }
.op rect { stroke: #333333; stroke-width: 1; }
.op.ok rect { fill: #b9d9b0; }
.op.fail rect { fill: #eeeeee; stroke-dasharray: 3 2; }
.op.info rect, .op.pending rect { fill: url(#hatch); }
.op text { font-size: 10px; fill: #222222; }
.op.witness rect { stroke: #000000; stroke-width: 3; }
.op.witness text { font-weight: bold; }
.selected .wire, .selected rect { stroke-width: 3; }
.selected .wire { stroke: #e67e22; }
</style>`;

const DEFS = `<defs>
<marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#2b5d9b"/></marker>
<marker id="arrowhead-grey" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#888888"/></marker>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fbe7b5"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b08a2e" stroke-width="2"/></pattern>
</defs>`;

interface Window {
  fromMs: number;
  toMs: number;
}

interface Panel {
  run: DiagramRun;
  /** The run's title, numbered when other runs share it. */
  title: string;
  window: Window;
  pxPerMs: number;
  /** Whether the run was squeezed below the normal scale to fit the height limit. */
  squeezed: boolean;
  plotHeight: number;
  width: number;
  height: number;
  column: Map<string, number>;
}

function windowOf(run: DiagramRun, options: Pick<SvgOptions, "fromMs" | "toMs">): Window {
  const fromMs = Math.max(run.startMs, options.fromMs ?? run.startMs);
  const toMs = Math.max(fromMs, Math.min(run.endMs, options.toMs ?? run.endMs));
  return { fromMs, toMs };
}

function layoutPanel(run: DiagramRun, title: string, options: SvgOptions): Panel {
  const window = windowOf(run, options);
  const durationMs = Math.max(1, window.toMs - window.fromMs);
  const flights = run.messages
    .filter((m) => m.fate.kind === "delivered" && visible(m, window))
    .map((m) => (fateMs(m) as number) - m.sendMs)
    .filter((flightMs) => flightMs > 0)
    .sort((a, b) => a - b);
  const medianFlightMs = flights[Math.floor(flights.length / 2)];
  const wanted = Math.max(
    PLOT_HEIGHT_MIN_PX / durationMs,
    Math.min(PX_PER_MS_MAX, medianFlightMs === undefined ? 2 : FLIGHT_PX / medianFlightMs),
  );
  const pxPerMs = niceDown(Math.min(PLOT_HEIGHT_MAX_PX / durationMs, wanted));
  const plotHeight = durationMs * pxPerMs;
  // A client whose operations are drawn gets room on its left for their bars and labels.
  const clients = new Set(run.histories.flatMap((h) => h.operations.map((o) => o.process)));
  const column = new Map<string, number>();
  let left = AXIS_WIDTH_PX;
  for (const node of run.nodes) {
    if (clients.has(node)) left += OPERATION_GUTTER_PX;
    column.set(node, left + COLUMN_WIDTH_PX / 2);
    left += COLUMN_WIDTH_PX;
  }
  return {
    run,
    title,
    window,
    pxPerMs,
    squeezed: wanted > PLOT_HEIGHT_MAX_PX / durationMs,
    plotHeight,
    width: left + RIGHT_MARGIN_PX,
    height: PANEL_HEAD_PX + plotHeight + PANEL_FOOT_PX,
    column,
  };
}

/** The largest 1, 2 or 5 times a power of ten not above `value`: scales and ticks read round. */
function niceDown(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [5, 2, 1]) if (step * power <= value * (1 + 1e-9)) return step * power;
  return power;
}

/** The smallest 1, 2 or 5 times a power of ten not below `value`. */
function niceUp(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value * (1 - 1e-9)) return step * power;
  return 10 * power;
}

function visible(message: DiagramMessage, window: Window): boolean {
  const end = fateMs(message) ?? Number.POSITIVE_INFINITY;
  return message.sendMs <= window.toMs && end >= window.fromMs;
}

function drawPanel(panel: Panel, options: SvgOptions): string[] {
  const { run, window, pxPerMs, plotHeight } = panel;
  const top = PANEL_HEAD_PX;
  const yOf = (t: number) => top + (t - window.fromMs) * pxPerMs;
  const xOf = (node: string) => panel.column.get(node) ?? AXIS_WIDTH_PX;
  const right = panel.width - RIGHT_MARGIN_PX;
  const bottom = top + plotHeight;
  const out: string[] = [];
  const tab = options.focusable === true ? ' tabindex="0"' : "";

  const scale = `time goes down: 1 px = ${formatNumber(1 / pxPerMs)} simulated ms`;
  const squeezed = panel.squeezed
    ? `, squeezed to fit ${PLOT_HEIGHT_MAX_PX} px (--from and --to window it)`
    : "";
  const windowText =
    window.fromMs > run.startMs || window.toMs < run.endMs
      ? `; showing ${ms(window.fromMs)} to ${ms(window.toMs)} of ${ms(run.startMs)} to ${ms(run.endMs)}`
      : "";
  out.push(`<text class="run-title" x="12" y="18">${esc(panel.title)}</text>`);
  out.push(`<text class="scale" x="12" y="33">${esc(scale + squeezed + windowText)}</text>`);

  // The time axis: ticks every 1, 2 or 5 x 10^k ms, at least TICK_SPACING_MIN_PX apart.
  const stepMs = niceUp(TICK_SPACING_MIN_PX / pxPerMs);
  const firstTick = Math.ceil(window.fromMs / stepMs - 1e-9) * stepMs;
  out.push('<g class="axis">');
  for (let i = 0; firstTick + i * stepMs <= window.toMs + 1e-9; i++) {
    const t = firstTick + i * stepMs;
    const y = px(yOf(t));
    out.push(
      `<g class="tick"><line x1="${px(AXIS_WIDTH_PX - 6)}" y1="${y}" x2="${px(right)}" y2="${y}"/><text x="${px(AXIS_WIDTH_PX - 10)}" y="${px(yOf(t) + 3)}">${esc(formatNumber(t))} ms</text></g>`,
    );
  }
  out.push("</g>");

  // Partitions: a shaded band over the time the network was cut, the groups named on it.
  for (const partition of run.partitions) {
    const from = Math.max(partition.fromMs, window.fromMs);
    const until = Math.min(partition.untilMs ?? window.toMs, window.toMs);
    if (until < from || partition.fromMs > window.toMs) continue;
    const groups = partition.groups.map((g) => `{${g.join(", ")}}`).join(" | ");
    const span = `${ms(partition.fromMs)} to ${partition.untilMs === undefined ? "the end (never healed)" : ms(partition.untilMs)}`;
    out.push(
      `<g class="partition" data-t="${px(partition.fromMs)}"><title>${esc(`network partition ${groups}, ${span}`)}</title><rect x="${px(AXIS_WIDTH_PX)}" y="${px(yOf(from))}" width="${px(right - AXIS_WIDTH_PX)}" height="${px(Math.max(1, (until - from) * pxPerMs))}"/><text x="${px(AXIS_WIDTH_PX + 4)}" y="${px(yOf(from) + 11)}">${esc(truncate(`partition ${groups}`, 140))}</text></g>`,
    );
  }

  // One line per node, with gaps while it was down.
  for (const node of run.nodes) {
    const x = px(xOf(node));
    out.push(
      `<g class="node" data-node="${esc(node)}"><title>${esc(node)}</title><text class="node-label" x="${x}" y="${px(top - 10)}">${esc(truncate(node, NODE_LABEL_MAX))}</text>`,
    );
    const down = run.outages
      .filter((o) => o.node === node)
      .map((o) => [o.fromMs, o.untilMs ?? Number.POSITIVE_INFINITY] as const);
    let from = window.fromMs;
    for (const [crashMs, recoverMs] of down) {
      if (crashMs > from && crashMs <= window.toMs) {
        out.push(lifeline(x, yOf(from), yOf(crashMs)));
      }
      from = Math.max(from, recoverMs);
    }
    if (from <= window.toMs) out.push(lifeline(x, yOf(from), bottom));
    out.push("</g>");
  }

  // Messages.
  const shown = run.messages
    .map((message, index) => ({ message, index }))
    .filter(({ message }) => visible(message, window));
  const labelled = shown.length * LABEL_HEIGHT_PER_MESSAGE_PX <= plotHeight;
  for (const { message, index } of shown) {
    out.push(drawMessage(message, index, run.index, { yOf, xOf, window, bottom, labelled, tab }));
  }

  // Client operations: bars from invocation to completion just left of the client's line, over
  // the arrows so that their labels stay legible.
  for (const history of run.histories) {
    const witness = new Set(history.witness);
    for (const operation of history.operations) {
      const endMs = operation.completeMs ?? window.toMs;
      if (operation.invokeMs > window.toMs || endMs < window.fromMs) continue;
      const from = Math.max(operation.invokeMs, window.fromMs);
      const until = Math.min(endMs, window.toMs);
      const x = xOf(operation.process) - 16;
      const isWitness = witness.has(operation.op);
      const label = `${isWitness ? "★ " : ""}${operationLabel(operation)}${operation.outcome === "fail" ? " ✗ failed" : operation.outcome === "info" ? " ? unknown" : operation.outcome === "pending" ? " … pending" : ""}`;
      const classes = `op ${operation.outcome}${isWitness ? " witness" : ""}`;
      const completion =
        operation.completeMs === undefined
          ? `never completed (${operation.outcome})`
          : `completed ${operation.outcome} at ${ms(operation.completeMs)}`;
      const title = `${history.name}: op ${operation.op} by ${operation.process}, ${operationLabel(operation)}; invoked at ${ms(operation.invokeMs)}, ${completion}${isWitness ? "; part of the checker's witness" : ""}`;
      const height = Math.max(2, (until - from) * pxPerMs);
      out.push(
        `<g class="${classes}" data-run="${run.index}" data-history="${run.histories.indexOf(history)}" data-op="${operation.op}" data-t="${px(operation.invokeMs)}"${tab}><title>${esc(title)}</title><rect x="${px(x)}" y="${px(yOf(from))}" width="10" height="${px(height)}"/><text x="${px(x - 3)}" y="${px(yOf(from) + 9)}" text-anchor="end">${esc(truncate(label, OPERATION_LABEL_MAX))}</text></g>`,
      );
    }
  }

  // Marks at one moment: crashes, restarts, clocks, notes, checks.
  for (const mark of run.marks) {
    if (mark.atMs < window.fromMs || mark.atMs > window.toMs) continue;
    const y = yOf(mark.atMs);
    const at = `data-event="${mark.event}" data-t="${px(mark.atMs)}"`;
    switch (mark.kind) {
      case "crash": {
        const x = xOf(mark.node);
        out.push(
          `<g class="crash-mark" ${at}><title>${esc(`${mark.node} crashed at ${ms(mark.atMs)} (timers, inbox and memory lost)`)}</title><path d="M${px(x - 6)},${px(y - 6)} L${px(x + 6)},${px(y + 6)} M${px(x + 6)},${px(y - 6)} L${px(x - 6)},${px(y + 6)}"/><text x="${px(x + 9)}" y="${px(y + 4)}">crashed</text></g>`,
        );
        break;
      }
      case "recover": {
        const x = xOf(mark.node);
        out.push(
          `<g class="recover-mark" ${at}><title>${esc(`${mark.node} restarted at ${ms(mark.atMs)} from its durable state`)}</title><circle cx="${px(x)}" cy="${px(y)}" r="4.5"/><text x="${px(x + 9)}" y="${px(y + 4)}">restarted</text></g>`,
        );
        break;
      }
      case "clock": {
        const x = xOf(mark.node);
        out.push(
          `<g class="clock-mark" ${at}><title>${esc(`${ms(mark.atMs)} ${mark.node}: ${mark.text}`)}</title><rect x="${px(x - 3.5)}" y="${px(y - 3.5)}" width="7" height="7" transform="rotate(45 ${px(x)} ${px(y)})"/></g>`,
        );
        break;
      }
      case "note": {
        const x = mark.node === undefined ? AXIS_WIDTH_PX : xOf(mark.node);
        const who = mark.node === undefined ? "" : `${mark.node}: `;
        const ref = mark.ref === undefined ? "" : ` [${mark.ref}]`;
        out.push(
          `<g class="note-mark" ${at}><title>${esc(`${ms(mark.atMs)} ${who}${mark.text}${ref}`)}</title><circle cx="${px(x)}" cy="${px(y)}" r="3.5"/></g>`,
        );
        break;
      }
      case "check": {
        const state = mark.held === null ? "not-exercised" : mark.held ? "held" : "violated";
        const symbol = mark.held === null ? "○" : mark.held ? "✔" : "✘";
        const detail = mark.detail === undefined ? "" : `: ${mark.detail}`;
        out.push(
          `<g class="check-mark ${state}" ${at}><title>${esc(`${ms(mark.atMs)} ${symbol} ${mark.name}${detail} (${state.replace("-", " ")})`)}</title><text x="${px(AXIS_WIDTH_PX + 6)}" y="${px(y + 4)}">${symbol}</text></g>`,
        );
        break;
      }
      default:
        // Partitions and heals are the bands; timers are too many to draw and say nothing a
        // message does not (the trace beside the web page's diagram lists them).
        break;
    }
  }

  if (shown.length === 0 && run.marks.length === 0) {
    out.push(
      `<text class="empty" x="${px(AXIS_WIDTH_PX + 8)}" y="${px(top + 16)}">nothing happened in this window</text>`,
    );
  }
  return out;
}

function lifeline(x: string, y1: number, y2: number): string {
  return `<line class="lifeline" x1="${x}" y1="${px(y1)}" x2="${x}" y2="${px(y2)}"/>`;
}

interface Geometry {
  yOf: (t: number) => number;
  xOf: (node: string) => number;
  window: Window;
  bottom: number;
  labelled: boolean;
  tab: string;
}

function drawMessage(
  message: DiagramMessage,
  index: number,
  runIndex: number,
  g: Geometry,
): string {
  const { yOf, xOf, window } = g;
  const x1 = xOf(message.from);
  const x2 = xOf(message.to);
  const y1 = yOf(message.sendMs);
  const fate = message.fate;
  const classes = `msg ${fate.kind}${message.duplicate === true ? " duplicate" : ""}`;
  const fateText =
    fate.kind === "delivered"
      ? `delivered at ${ms(fate.atMs)} (${ms(fate.atMs - message.sendMs)} on the wire)`
      : fate.kind === "dropped"
        ? `dropped (${fate.reason}) at ${ms(fate.atMs)}`
        : "still in flight when the run ended";
  const json = truncate(JSON.stringify(message.msg) ?? String(message.msg), MESSAGE_JSON_MAX);
  const title = `#${message.id} ${message.type} ${message.from} → ${message.to}${message.duplicate === true ? " (a duplicate copy)" : ""}; sent at ${ms(message.sendMs)}, ${fateText}\n${json}`;
  const data = `data-run="${runIndex}" data-index="${index}" data-id="${message.id}" data-event="${message.sendEvent}"${message.fateEvent === undefined ? "" : ` data-fate-event="${message.fateEvent}"`} data-t="${px(message.sendMs)}"`;
  const parts: string[] = [`<g class="${classes}" ${data}${g.tab}><title>${esc(title)}</title>`];

  // Where the wire ends, and what it ends in.
  let x2End = x2;
  let y2End: number;
  let ending: "arrow" | "cross" | "none";
  /** A message dropped as it was sent is a short stub: its label names where it was going. */
  let isStub = false;
  if (fate.kind === "delivered") {
    y2End = yOf(fate.atMs);
    ending = "arrow";
  } else if (fate.kind === "dropped") {
    if (fate.atMs - message.sendMs < 1e-6) {
      // Dropped as it was sent (lost, or no route): a short stub towards the receiver.
      const stub = Math.sign(x2 - x1) * Math.min(36, Math.abs(x2 - x1) * 0.3);
      x2End = x1 + (x2 === x1 ? 18 : stub);
      y2End = y1 + 8;
      isStub = true;
    } else {
      y2End = yOf(fate.atMs);
    }
    ending = "cross";
  } else {
    y2End = g.bottom;
    ending = "none";
  }

  if (message.from === message.to && fate.kind !== "dropped") {
    // A node's message to itself: a loop out to the right.
    const yEnd = Math.min(y2End, g.bottom);
    const d = `M${px(x1)},${px(Math.max(y1, yOf(window.fromMs)))} C${px(x1 + 40)},${px(y1)} ${px(x1 + 40)},${px(yEnd)} ${px(x1 + 2)},${px(yEnd)}`;
    const marker =
      ending === "arrow" && fateMs(message) !== undefined && (fateMs(message) ?? 0) <= window.toMs;
    parts.push(
      `<path class="hit" d="${d}"/><path class="wire" d="${d}"${marker ? ' marker-end="url(#arrowhead)"' : ""}/>`,
    );
  } else {
    // Cut the wire at the window's edges, keeping its slope.
    const top = yOf(window.fromMs);
    const clip = (y: number) => Math.min(Math.max(y, top), g.bottom);
    const at = (y: number) => (y2End === y1 ? x1 : x1 + ((x2End - x1) * (y - y1)) / (y2End - y1));
    const ya = clip(y1);
    const yb = clip(y2End);
    const xa = at(ya);
    const xb = at(yb);
    const endVisible = yb === y2End;
    const marker =
      ending === "arrow" && endVisible
        ? ' marker-end="url(#arrowhead)"'
        : ending === "none"
          ? ' marker-end="url(#arrowhead-grey)"'
          : "";
    const line = `x1="${px(xa)}" y1="${px(ya)}" x2="${px(xb)}" y2="${px(yb)}"`;
    parts.push(`<line class="hit" ${line}/><line class="wire" ${line}${marker}/>`);
    if (ending === "cross" && endVisible) {
      parts.push(
        `<path class="cross" d="M${px(xb - 5)},${px(yb - 5)} L${px(xb + 5)},${px(yb + 5)} M${px(xb + 5)},${px(yb - 5)} L${px(xb - 5)},${px(yb + 5)}"/>`,
      );
    }
    // A wire cut to nothing at the window's bottom edge (sent just as it ends) gets no label.
    if (g.labelled && ya === y1 && Math.hypot(xb - xa, yb - ya) >= 4) {
      const dx = x2End >= x1 ? 6 : -6;
      parts.push(
        `<text x="${px(x1 + dx)}" y="${px(y1 - 3)}" text-anchor="${dx > 0 ? "start" : "end"}">${esc(truncate(isStub ? `${message.type} → ${message.to}` : message.type, isStub ? 40 : 24))}</text>`,
      );
    }
  }
  parts.push("</g>");
  return parts.join("");
}

function operationLabel(operation: {
  f: string;
  key: string;
  input?: string;
  output?: string;
}): string {
  const f = operation.f.toLowerCase();
  if (f === "write" || f === "w" || f === "put")
    return `w ${operation.key}=${operation.input ?? "?"}`;
  if (f === "read" || f === "r" || f === "get")
    return `r ${operation.key}→${operation.output ?? "?"}`;
  const input = operation.input === undefined ? "" : ` ${operation.input}`;
  const output = operation.output === undefined ? "" : `→${operation.output}`;
  return `${operation.f} ${operation.key}${input}${output}`;
}

/** A number of ms for an axis or scale: no more decimals than it needs. */
function formatNumber(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}
