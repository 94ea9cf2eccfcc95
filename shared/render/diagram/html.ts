/**
 * One self-contained web page of a run (`--html`): the SVG space-time diagram (svg.ts), the
 * narrated trace beside it (the plain text renderer's lines, every message included, each event
 * tagged with its index), a time slider that shows both up to a moment, and a details panel:
 * clicking a message or an operation (or Tab to it and Enter) shows its sender, receiver, times,
 * fate and full JSON, and marks the trace lines it belongs to.
 *
 * No network: no external script, style or font; the page works from a file:// URL. The output is
 * a pure function of the runs and events, so the same seed gives the same bytes.
 */

import type { TraceEvent } from "../../trace.js";
import { TextRenderer } from "../text.js";
import type { DiagramRun } from "./model.js";
import { renderSvg } from "./svg.js";
import { escapeXml as esc, px } from "./xml.js";

export interface HtmlOptions {
  /** The page's title: the scenario and seed. */
  title: string;
  /** Window the diagram (the trace beside it stays whole). */
  fromMs?: number;
  toMs?: number;
}

/** A message's JSON in the details panel is cut here (a snapshot can be very long). */
const DETAIL_JSON_MAX = 20_000;
/** Notes of a message's nodes this close to its span are the lines it "belongs to". */
const NEAR_MS = 5;

export function renderHtml(
  runs: readonly DiagramRun[],
  events: readonly TraceEvent[],
  options: HtmlOptions,
): string {
  const svg = renderSvg(runs, {
    title: options.title,
    focusable: true,
    ...(options.fromMs !== undefined ? { fromMs: options.fromMs } : {}),
    ...(options.toMs !== undefined ? { toMs: options.toMs } : {}),
  });
  const starts = runs.map((r) => Math.max(r.startMs, options.fromMs ?? r.startMs));
  const startMs = starts.length === 0 ? 0 : Math.min(...starts);
  const endMs = Math.max(startMs, ...runs.map((r) => Math.min(r.endMs, options.toMs ?? r.endMs)));
  const runOf = (index: number) =>
    runs.find((r) => index >= r.firstEvent && index <= r.lastEvent)?.index;

  const text = new TextRenderer({ colorLevel: 0, verbosity: "verbose" });
  const lines: string[] = [];
  events.forEach((event, index) => {
    // Every message the diagram draws has its lines here, routine traffic too (which the text of
    // --verbose counts instead of listing), so that clicking any arrow finds its send and arrival.
    const routine = "routine" in event && event.routine === true;
    const rendered = text.render(routine ? { ...event, routine: false } : event);
    if (rendered.length === 0) return;
    // Headings start with a blank line in the terminal; the page spaces them with CSS.
    const body = (rendered[0] === "" ? rendered.slice(1) : rendered).join("\n");
    const time = "time" in event && event.time !== undefined ? ` data-t="${px(event.time)}"` : "";
    const run = runOf(index);
    const node = nodeOf(event);
    lines.push(
      `<div class="ev ${event.kind}${routine ? " routine" : ""}" id="ev-${index}" data-event="${index}"${run === undefined ? "" : ` data-run="${run}"`}${time}${node === undefined ? "" : ` data-node="${esc(node)}"`}>${esc(body)}</div>`,
    );
  });

  const model = runs.map((run) => ({
    title: run.title,
    endMs: run.endMs,
    messages: run.messages.map((m) => ({
      id: m.id,
      from: m.from,
      to: m.to,
      type: m.type,
      sendMs: m.sendMs,
      fate: m.fate,
      sendEvent: m.sendEvent,
      ...(m.fateEvent !== undefined ? { fateEvent: m.fateEvent } : {}),
      ...(m.duplicate === true ? { duplicate: true } : {}),
      json: cut(JSON.stringify(m.msg, null, 2) ?? String(m.msg), DETAIL_JSON_MAX),
    })),
    histories: run.histories.map((h) => ({
      name: h.name,
      witness: h.witness,
      event: h.event,
      operations: h.operations,
    })),
  }));
  // Inside <script>, "</" could end the element early: JSON allows "<" written as \u003c.
  const modelJson = JSON.stringify({ nearMs: NEAR_MS, runs: model }).replace(/</g, "\\u003c");

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(options.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(options.title)}</h1>
<div class="controls">
<label for="time">Show each run up to</label>
<input type="range" id="time" min="${px(startMs)}" max="${px(endMs)}" step="0.1" value="${px(endMs)}">
<output id="time-value" for="time">${endMs.toFixed(1)} ms</output>
<span class="hint">Later messages are hidden and later trace lines dimmed. Click an arrow or an operation bar, or Tab to one and press Enter, for its details.</span>
</div>
</header>
<main>
<section id="diagram" aria-label="space-time diagram">
${svg}</section>
<aside>
<section id="details" aria-live="polite">
<h2>Details</h2>
<div id="details-body"><p class="empty">Nothing selected.</p></div>
</section>
<section id="trace" aria-label="trace">
<h2>Trace</h2>
<div id="lines">
${lines.join("\n")}
</div>
</section>
</aside>
</main>
<script type="application/json" id="model">${modelJson}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** The node an event is about, for finding the notes near a message. */
function nodeOf(event: TraceEvent): string | undefined {
  switch (event.kind) {
    case "note":
      return event.node;
    case "send":
    case "drop":
      return event.from;
    case "deliver":
      return event.to;
    case "crash":
    case "recover":
    case "timer":
    case "clock":
      return event.node;
    default:
      return undefined;
  }
}

function cut(text: string, max: number): string {
  return text.length > max
    ? `${text.slice(0, max)}\n… (${text.length - max} more characters)`
    : text;
}

const CSS = `
* { box-sizing: border-box; }
body { margin: 0; font-family: sans-serif; color: #111; background: #fafafa; }
header { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid #ccc; padding: 8px 14px; }
h1 { font-size: 17px; margin: 0 0 6px; }
h2 { font-size: 14px; margin: 0 0 6px; }
.controls { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; font-size: 13px; }
#time { width: 320px; }
#time-value { font-family: monospace; min-width: 80px; }
.hint { color: #555; font-size: 12px; }
main { display: flex; align-items: flex-start; gap: 10px; padding: 10px; }
#diagram { flex: 0 1 auto; overflow: auto; max-height: calc(100vh - 90px); background: #fff; border: 1px solid #ccc; }
aside { flex: 1 1 420px; min-width: 360px; display: flex; flex-direction: column; gap: 10px; max-height: calc(100vh - 90px); }
#details { flex: 0 0 auto; background: #fff; border: 1px solid #ccc; padding: 8px; max-height: 40vh; overflow: auto; font-size: 13px; }
#details dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 0 0 6px; }
#details dt { font-weight: bold; }
#details dd { margin: 0; }
#details pre { background: #f4f4f4; padding: 6px; margin: 0; white-space: pre-wrap; word-break: break-all; font-size: 12px; }
#details .empty { color: #666; margin: 0; }
#trace { background: #fff; border: 1px solid #ccc; padding: 8px; overflow: hidden; display: flex; flex-direction: column; min-height: 200px; flex: 1 1 auto; }
#lines { overflow: auto; font-family: monospace, "Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji"; font-size: 12px; flex: 1 1 auto; }
.ev { white-space: pre-wrap; overflow-wrap: anywhere; padding: 0 4px 0 calc(4px + 4ch); text-indent: -4ch; }
.ev.section { font-weight: bold; margin-top: 10px; border-bottom: 1px solid #ddd; }
.ev.drop, .ev.crash { color: #a12a20; }
.ev.send, .ev.deliver, .ev.timer { color: #555; }
.ev.routine { color: #888; }
.ev.later { opacity: 0.3; }
.ev.related { background: #ffe9b3; outline: 1px solid #e0a800; }
svg .later { display: none; }
svg .msg, svg .op { cursor: pointer; }
svg .msg:focus, svg .op:focus { outline: none; }
svg .msg:focus .wire, svg .op:focus rect { stroke: #e67e22; stroke-width: 3; }
svg .now { stroke: #e67e22; stroke-width: 1; stroke-dasharray: 4 3; }
`;

/*
 * The page's script, plain ES2017 so that any current browser runs it from a file. It reads the
 * model from the JSON element above it, builds the details with textContent (never innerHTML: a
 * message may contain anything), and reads the panels' geometry from the SVG's data attributes.
 */
const SCRIPT = `
"use strict";
(function () {
  var model = JSON.parse(document.getElementById("model").textContent);
  var svg = document.querySelector("#diagram svg");
  var slider = document.getElementById("time");
  var valueText = document.getElementById("time-value");
  var details = document.getElementById("details-body");
  var linesBox = document.getElementById("lines");
  var lines = Array.prototype.slice.call(document.querySelectorAll(".ev"));
  var timed = Array.prototype.slice.call(svg.querySelectorAll(".run [data-t]"));
  var panels = Array.prototype.slice.call(svg.querySelectorAll("g.run"));
  var SVG_NS = "http://www.w3.org/2000/svg";

  // A dashed line across each panel at the slider's time.
  var nowLines = panels.map(function (panel) {
    var line = document.createElementNS(SVG_NS, "line");
    line.setAttribute("class", "now");
    line.setAttribute("x1", panel.dataset.left);
    line.setAttribute("x2", panel.dataset.right);
    panel.appendChild(line);
    return line;
  });

  function showUpTo(t) {
    valueText.textContent = t.toFixed(1) + " ms";
    timed.forEach(function (el) {
      el.classList.toggle("later", parseFloat(el.dataset.t) > t);
    });
    lines.forEach(function (el) {
      el.classList.toggle("later", el.dataset.t !== undefined && parseFloat(el.dataset.t) > t);
    });
    panels.forEach(function (panel, i) {
      var from = parseFloat(panel.dataset.fromMs);
      var to = parseFloat(panel.dataset.toMs);
      var clamped = Math.min(Math.max(t, from), to);
      var y = parseFloat(panel.dataset.top) + (clamped - from) * parseFloat(panel.dataset.pxPerMs);
      nowLines[i].setAttribute("y1", String(y));
      nowLines[i].setAttribute("y2", String(y));
      nowLines[i].style.display = t >= to ? "none" : "";
    });
  }
  slider.addEventListener("input", function () { showUpTo(parseFloat(slider.value)); });
  showUpTo(parseFloat(slider.value));

  function ms(t) { return t.toFixed(1) + " ms"; }

  function table(rows) {
    var dl = document.createElement("dl");
    rows.forEach(function (row) {
      var dt = document.createElement("dt");
      dt.textContent = row[0];
      var dd = document.createElement("dd");
      dd.textContent = row[1];
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    return dl;
  }

  function mark(related) {
    lines.forEach(function (el) { el.classList.remove("related"); });
    var first = null;
    related.forEach(function (el) {
      el.classList.add("related");
      if (first === null) first = el;
    });
    if (first !== null) linesBox.scrollTop = first.offsetTop - linesBox.offsetTop - 40;
    return related.length;
  }

  function linesOf(run, nodes, fromMs, untilMs, events) {
    return lines.filter(function (el) {
      var index = Number(el.dataset.event);
      if (events.indexOf(index) >= 0) return true;
      if (el.dataset.run !== String(run) || !el.classList.contains("note")) return false;
      if (el.dataset.node === undefined || nodes.indexOf(el.dataset.node) < 0) return false;
      var t = parseFloat(el.dataset.t);
      return t >= fromMs - model.nearMs && t <= untilMs + model.nearMs;
    });
  }

  function showMessage(run, index) {
    var m = model.runs[run].messages[index];
    var fate = m.fate.kind === "delivered" ? "delivered at " + ms(m.fate.atMs) + " (" + ms(m.fate.atMs - m.sendMs) + " on the wire)"
      : m.fate.kind === "dropped" ? "dropped at " + ms(m.fate.atMs) + " (" + m.fate.reason + ")"
      : "still in flight when the run ended";
    var until = m.fate.kind === "in-flight" ? model.runs[run].endMs : m.fate.atMs;
    var events = [m.sendEvent];
    if (m.fateEvent !== undefined) events.push(m.fateEvent);
    var count = mark(linesOf(run, [m.from, m.to], m.sendMs, until, events));
    var title = document.createElement("h3");
    title.textContent = "Message #" + m.id + ": " + m.type + (m.duplicate ? " (a duplicate copy)" : "");
    var pre = document.createElement("pre");
    pre.textContent = m.json;
    details.replaceChildren(title, table([
      ["run", model.runs[run].title],
      ["from", m.from],
      ["to", m.to],
      ["type", m.type],
      ["sent", ms(m.sendMs)],
      ["fate", fate],
      ["trace lines", count + " marked"]
    ]), pre);
  }

  function showOperation(run, historyIndex, op) {
    var h = model.runs[run].histories[historyIndex];
    var o = h.operations.filter(function (x) { return x.op === op; })[0];
    if (o === undefined) return;
    var until = o.completeMs === undefined ? model.runs[run].endMs : o.completeMs;
    var count = mark(linesOf(run, [o.process], o.invokeMs, until, [h.event]));
    var title = document.createElement("h3");
    title.textContent = "Operation " + o.op + " of " + h.name;
    details.replaceChildren(title, table([
      ["run", model.runs[run].title],
      ["process", o.process],
      ["operation", o.f + " " + o.key],
      ["input", o.input === undefined ? "(none)" : o.input],
      ["output", o.output === undefined ? "(none)" : o.output],
      ["outcome", o.outcome],
      ["invoked", ms(o.invokeMs)],
      ["completed", o.completeMs === undefined ? "never (its outcome is unknown)" : ms(o.completeMs)],
      ["witness", h.witness.indexOf(o.op) >= 0 ? "yes: part of the checker's witness" : "no"],
      ["trace lines", count + " marked"]
    ]));
  }

  var selected = null;
  function select(el) {
    if (selected !== null) selected.classList.remove("selected");
    selected = el;
    el.classList.add("selected");
    var run = Number(el.dataset.run);
    if (el.classList.contains("msg")) showMessage(run, Number(el.dataset.index));
    else showOperation(run, Number(el.dataset.history), Number(el.dataset.op));
  }
  svg.addEventListener("click", function (e) {
    var el = e.target.closest(".msg, .op");
    if (el !== null) select(el);
  });
  svg.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" && e.key !== " ") return;
    var el = e.target.closest(".msg, .op");
    if (el === null) return;
    e.preventDefault();
    select(el);
  });
})();
`;
