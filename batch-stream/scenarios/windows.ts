/**
 * Windows over event time (DDIA ch. 11, "Reasoning About Time"). A mobile game's phones send each
 * point their team scores to a stream processor that sums the points per team and minute. The
 * story is the book's: a phone that goes offline buffers its events and sends them when it is back
 * ("Whose clock are you using?"), so they arrive out of order and late; the processor cannot know
 * when a minute is complete and decides by a watermark ("Knowing when you're ready"); stragglers
 * within the allowed lateness correct a result already published, later ones are dropped and
 * counted. The same stream then goes into hopping and session windows ("Types of windows"), and
 * into windows of processing time, which answer a different question.
 *
 * The stream is fixed (written below), so the numbers can be worked by hand; the flags change the
 * watermark's bound, the allowed lateness and the accumulation mode, and every sentence printed is
 * computed from the run. The operator is batch-stream/windows/operator.ts (Flink's semantics); the
 * checks hold its panes against rules computed apart from it and against the batch job.
 */
import { choice, option, type Scenario } from "../../shared/cli.js";
import { Simulation } from "../../shared/simulation.js";
import type { Cell, Trace } from "../../shared/trace.js";
import { plural } from "../../shared/words.js";
import { REF } from "../refs.js";
import { assignWindows, describeAssigner, type WindowAssigner } from "../windows/assigners.js";
import { batchWindows, type Event, type WindowResult } from "../windows/batch.js";
import { duration, formatDuration } from "../windows/duration.js";
import { type Admission, type Mode, type Pane, WindowOperator } from "../windows/operator.js";
import { finalResults } from "../windows/panes.js";
import { BoundedOutOfOrdernessWatermarks } from "../windows/watermarks.js";

export interface Options {
  outOfOrderness: number;
  allowedLateness: number;
  mode: Mode;
}

interface Arrival extends Event {
  /** Processing time: when the event reaches the stream processor. */
  readonly arrivalMs: number;
}

const s = (seconds: number) => seconds * 1000;

/**
 * Red's phone is online throughout: its events arrive a second after they happen. Blue's phone
 * goes into a tunnel at 0:40 and sends what it buffered when it comes out at 1:48. At 3:00 an old
 * phone that had been offline since 0:35 sends one blue point from then.
 */
const STREAM: readonly Arrival[] = [
  { key: "red", value: 3, eventTime: s(5), arrivalMs: s(6) },
  { key: "blue", value: 2, eventTime: s(12), arrivalMs: s(13) },
  { key: "red", value: 1, eventTime: s(28), arrivalMs: s(29) },
  { key: "red", value: 4, eventTime: s(52), arrivalMs: s(53) },
  { key: "red", value: 2, eventTime: s(67), arrivalMs: s(68) },
  { key: "red", value: 1, eventTime: s(75), arrivalMs: s(76) },
  { key: "red", value: 2, eventTime: s(104), arrivalMs: s(105) },
  { key: "blue", value: 5, eventTime: s(41), arrivalMs: s(108) },
  { key: "blue", value: 1, eventTime: s(58), arrivalMs: s(108) },
  { key: "blue", value: 3, eventTime: s(90), arrivalMs: s(108) },
  { key: "red", value: 5, eventTime: s(125), arrivalMs: s(126) },
  { key: "blue", value: 2, eventTime: s(140), arrivalMs: s(141) },
  { key: "red", value: 1, eventTime: s(170), arrivalMs: s(171) },
  { key: "blue", value: 4, eventTime: s(35), arrivalMs: s(180) },
];

/** The watermark is emitted every 10 s of processing time (Flink emits periodically too). */
const WATERMARK_INTERVAL_MS = s(10);
const LAST_TICK_MS = s(180);

export const TUMBLING: WindowAssigner = { kind: "tumbling", sizeMs: s(60) };
export const HOPPING: WindowAssigner = { kind: "sliding", sizeMs: s(120), slideMs: s(60) };
export const SESSION: WindowAssigner = { kind: "session", gapMs: s(30) };

/** 65000 → "1:05", 64999 → "1:04.999", -5001 → "-0:05.001", infinity → "+∞". */
export function clock(ms: number): string {
  if (!Number.isFinite(ms)) return ms > 0 ? "+∞" : "-∞";
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  const minutes = Math.floor(abs / 60_000);
  const seconds = Math.floor((abs % 60_000) / 1000);
  const millis = abs % 1000;
  return `${sign}${minutes}:${String(seconds).padStart(2, "0")}${millis === 0 ? "" : `.${String(millis).padStart(3, "0")}`}`;
}

const span = (start: number, end: number) => `[${clock(start)}, ${clock(end)})`;

export interface Arrived {
  readonly event: Arrival;
  readonly index: number;
  /** The watermark when the event arrived. */
  readonly watermarkMs: number;
  readonly admission: Admission;
}

export interface FiredPane extends Pane {
  /** How many events had been processed when it fired. */
  readonly after: number;
}

export interface RunResult {
  records: Arrived[];
  panes: FiredPane[];
  stats: WindowOperator["stats"];
}

/**
 * The stream through the operator on the simulation kernel: each event at its arrival time, a
 * bounded-out-of-orderness watermark every 10 s, and the final watermark at the end of input.
 * `narrate` tells the story of the run into the trace.
 */
export function runStream(
  assigner: WindowAssigner,
  options: Options,
  seed: number,
  narrate?: Trace,
): RunResult {
  const sim = new Simulation({ seed });
  const records: Arrived[] = [];
  const panes: FiredPane[] = [];
  let firing: FiredPane[] = [];
  const operator = new WindowOperator(
    { assigner, allowedLatenessMs: options.allowedLateness, mode: options.mode },
    (pane) => {
      const fired = { ...pane, after: records.length + (inEvent ? 1 : 0) };
      panes.push(fired);
      firing.push(fired);
    },
  );
  let inEvent = false;
  const watermarks = new BoundedOutOfOrdernessWatermarks(options.outOfOrderness);
  const paneText = (p: Pane) =>
    `${p.key} ${p.value} (${p.timing}, pane ${p.pane}${options.mode === "discarding" && p.pane > 0 ? ", what came since the last pane" : ""})`;
  const lateness = options.allowedLateness;

  STREAM.forEach((event, index) => {
    sim.at(event.arrivalMs, () => {
      const watermarkMs = operator.watermark;
      firing = [];
      inEvent = true;
      const admission = operator.processElement(event.key, event.value, event.eventTime);
      inEvent = false;
      watermarks.onEvent(event.eventTime);
      records.push({ event, index, watermarkMs, admission });
      if (narrate === undefined) return;
      const head = `${clock(sim.now)}  ${event.key} +${event.value} (event time ${clock(event.eventTime)})`;
      const behind = event.eventTime <= watermarkMs;
      if (admission === "dropped") {
        const [start, end] = assignWindows(assigner, event.eventTime).at(-1) as [number, number];
        narrate.note(
          `${head}, behind the watermark ${clock(watermarkMs)}: its window ${span(start, end)} stopped taking events once the watermark reached ${clock(end - 1 + lateness)} (its end, less 1 ms${lateness === 0 ? ", with no allowed lateness" : `, plus ${formatDuration(lateness)} of allowed lateness`}). Dropped, and counted (${plural(operator.stats.dropped, "event")} dropped so far).`,
          { ref: REF.knowingWhenReady },
        );
      } else if (admission === "late") {
        narrate.note(
          `${head}, behind the watermark ${clock(watermarkMs)}, for a window that has fired but is within its allowed lateness: it fires again at once, a correction of a result already published: ${firing.map((p) => `${span(p.start, p.end)} ${paneText(p)}`).join("; ")}.`,
          { ref: REF.knowingWhenReady },
        );
      } else {
        narrate.note(
          `${head}${behind ? `, behind the watermark ${clock(watermarkMs)} yet in a window that has not fired` : ""}: into ${assignWindows(
            assigner,
            event.eventTime,
          )
            .map(([a, b]) => span(a, b))
            .join(" and ")}.`,
          { level: "detail" },
        );
      }
    });
  });
  for (let t = WATERMARK_INTERVAL_MS; t <= LAST_TICK_MS; t += WATERMARK_INTERVAL_MS) {
    sim.at(t, () => {
      const before = operator.watermark;
      firing = [];
      const watermark = watermarks.current();
      operator.processWatermark(watermark);
      if (narrate === undefined || watermark <= before || firing.length === 0) return;
      narrate.note(
        `${clock(sim.now)}  watermark ${clock(watermark)} (the latest event time seen, ${clock(watermarks.maxSeen)}, less ${options.outOfOrderness === 0 ? "" : `${formatDuration(options.outOfOrderness)}, less `}1 ms): ${describeFiring(firing, paneText)}.`,
        { ref: REF.knowingWhenReady },
      );
    });
  }
  sim.run();
  firing = [];
  operator.finish();
  if (narrate !== undefined && firing.length > 0)
    narrate.note(
      `end of input: the final watermark, +∞, fires what is left: ${describeFiring(firing, paneText)}.`,
    );
  return { records, panes, stats: operator.stats };
}

function describeFiring(firing: readonly Pane[], paneText: (p: Pane) => string): string {
  const byWindow = new Map<string, Pane[]>();
  for (const p of firing) {
    const w = span(p.start, p.end);
    byWindow.set(w, [...(byWindow.get(w) ?? []), p]);
  }
  return [...byWindow]
    .map(([w, list]) => `${w} fires: ${list.map(paneText).join(", ")}`)
    .join("; ");
}

/** Rule (computed apart from the operator): a window takes an event unless the event was too late for it on arrival. */
function admits(options: Options, watermarkMs: number, end: number): boolean {
  return end - 1 + options.allowedLateness > watermarkMs;
}

/**
 * For tumbling and hopping windows: each pane's value, recomputed from the events that had
 * arrived when it fired, each counted in the windows that the rule says took it.
 */
function wrongPanes(run: RunResult, options: Options): string[] {
  const wrong: string[] = [];
  const emitted = new Map<string, number>();
  for (const p of run.panes) {
    const id = `${p.key} ${span(p.start, p.end)}`;
    const total = run.records
      .slice(0, p.after)
      .filter(
        (r) =>
          r.event.key === p.key &&
          p.start <= r.event.eventTime &&
          r.event.eventTime < p.end &&
          admits(options, r.watermarkMs, p.end),
      )
      .reduce((sum, r) => sum + r.event.value, 0);
    const expected = options.mode === "accumulating" ? total : total - (emitted.get(id) ?? 0);
    emitted.set(id, total);
    if (p.value !== expected) wrong.push(`${id} pane ${p.pane}: ${p.value}, should be ${expected}`);
  }
  return wrong;
}

function compare(stream: WindowResult[], batch: WindowResult[]): string[] {
  const text = (r: WindowResult) => `${r.key} ${span(r.start, r.end)} ${r.value}`;
  const a = new Set(stream.map(text));
  const b = new Set(batch.map(text));
  return [
    ...[...a].filter((x) => !b.has(x)).map((x) => `stream ${x}`),
    ...[...b].filter((x) => !a.has(x)).map((x) => `batch ${x}`),
  ];
}

/** Sessions of one key in the stream's final answer that overlap or touch: a session reopened. */
function reopenedSessions(finals: WindowResult[]): string[] {
  const found: string[] = [];
  for (let i = 1; i < finals.length; i++) {
    const a = finals[i - 1] as WindowResult;
    const b = finals[i] as WindowResult;
    if (a.key === b.key && b.start <= a.end)
      found.push(`${a.key} ${span(a.start, a.end)} and ${span(b.start, b.end)}`);
  }
  return found;
}

/** The final sessions with those of one key that overlap or touch made one: what the batch job makes of them. */
function coalesce(finals: WindowResult[]): WindowResult[] {
  const out: WindowResult[] = [];
  for (const f of finals) {
    const last = out[out.length - 1];
    if (last !== undefined && last.key === f.key && f.start <= last.end)
      out[out.length - 1] = {
        key: f.key,
        start: last.start,
        end: Math.max(last.end, f.end),
        value: last.value + f.value,
      };
    else out.push(f);
  }
  return out;
}

export function checkRun(
  trace: Trace,
  label: string,
  assigner: WindowAssigner,
  run: RunResult,
  options: Options,
) {
  const events = run.records.map((r) => r.event);
  const fixed = assigner.kind !== "session";
  if (fixed) {
    const wrong = wrongPanes(run, options);
    trace.check(`${label}: every pane holds exactly the events it should`, wrong.length === 0, {
      detail:
        wrong.length === 0
          ? `${plural(run.panes.length, "pane")}, each the sum of the events of its key and window that had arrived when it fired and were not too late for the window${options.mode === "accumulating" ? "" : ", less what the window's earlier panes carried"}`
          : wrong.join("; "),
      ref: REF.knowingWhenReady,
    });
    const byRule = run.records.filter((r) =>
      assignWindows(assigner, r.event.eventTime).every(
        ([, end]) => !admits(options, r.watermarkMs, end),
      ),
    ).length;
    trace.check(`${label}: dropped events counted`, run.stats.dropped === byRule, {
      detail: `the operator counted ${run.stats.dropped}; by the rule (the event too late, on arrival, for every window it falls in) ${byRule}`,
      ref: REF.knowingWhenReady,
    });
  }
  const stream = finalResults(run.panes, options.mode);
  const batch = fixed
    ? batchWindows(events, assigner, (e, _start, end) => {
        const r = run.records.find((x) => x.event === e) as Arrived;
        return admits(options, r.watermarkMs, end);
      })
    : batchWindows(
        run.records.filter((r) => r.admission !== "dropped").map((r) => r.event),
        assigner,
      );
  const differences = compare(stream, batch);
  const reopened = fixed ? [] : reopenedSessions(stream);
  // The difference is expected when a session was reopened and is the only difference.
  const explained = reopened.length > 0 && compare(coalesce(stream), batch).length === 0;
  trace.check(
    `${label}: the final ${options.mode === "accumulating" ? "pane" : "sum of panes"} of each window equals the batch job's answer`,
    differences.length === 0,
    {
      expected: !explained,
      detail:
        differences.length === 0
          ? `${plural(batch.length, "window")}, the batch job run over ${fixed ? "the events each window took" : "the events not dropped"}, sorted and grouped by key and window`
          : `${differences.join("; ")}${explained ? `: a late event opened a session beside one already cleaned up (${reopened.join("; ")}), as Flink does, having forgotten the old session; the batch job, seeing all events at once, makes one session of them` : ""}`,
      ref: REF.batch,
    },
  );
}

export const windows: Scenario<Options> = {
  name: "windows",
  summary:
    "tumbling, hopping and session windows over event time: out-of-order events, a watermark, late events correcting a result within the allowed lateness and dropped beyond it; processing time versus event time",
  options: [
    option(
      "--out-of-orderness <duration>",
      "the watermark's bound: watermark = latest event time seen - this - 1 ms",
      duration(0),
      s(10),
    ),
    option(
      "--allowed-lateness <duration>",
      "how long after a window fires late events still update it",
      duration(0),
      s(30),
    ),
    option(
      "--mode <mode>",
      "what a late pane carries: the window's whole sum, or what arrived since its last pane",
      choice(["accumulating", "discarding"] as const),
      "accumulating",
    ),
  ],
  run: ({ trace, seed }, options) => {
    trace.section("Event time versus processing time", REF.eventTimeVersusProcessingTime);
    trace.note(
      "A mobile game: each phone sends a point its team scores to a stream processor, which sums the points per team and minute. Red's phone is online; blue's goes into a tunnel at 0:40 and sends what it buffered when it comes out, at 1:48; at 3:00 an old phone sends a blue point it scored at 0:35. Each event carries its event time, from the phone's clock; processing time is when it reaches the processor. (The stream is fixed, so that it can be worked by hand: --seed changes nothing here.)",
      { ref: REF.whoseClock },
    );
    trace.table(
      "The stream, in order of arrival",
      ["arrives (processing time)", "team", "points", "event time", "delay"],
      STREAM.map((e) => [
        clock(e.arrivalMs),
        e.key,
        e.value,
        clock(e.eventTime),
        clock(e.arrivalMs - e.eventTime),
      ]),
    );

    const bound = formatDuration(options.outOfOrderness);
    const lateness = formatDuration(options.allowedLateness);
    trace.section(`Tumbling windows of 1 minute`, REF.windowTypes);
    trace.note(
      `The processor cannot know when it has every event of a minute, so it goes by a watermark, Flink's bounded out-of-orderness: every 10 s it declares event time up to the latest event time seen less ${options.outOfOrderness === 0 ? "" : `${bound} less `}1 ms complete. A window [start, end) fires when the watermark reaches end - 1 ms; ${options.allowedLateness === 0 ? "with no allowed lateness it takes no event after that: a later event for it is dropped and counted" : `an event for a window that has fired still updates it, and fires it again, until the watermark reaches end - 1 ms + ${lateness} (the allowed lateness); after that the event is dropped and counted`}. Panes are ${options.mode}: ${options.mode === "accumulating" ? "each carries the window's whole sum" : "each carries only what arrived since the window's last pane"}.`,
      { ref: REF.knowingWhenReady },
    );
    const tumbling = runStream(TUMBLING, options, seed, trace);
    checkRun(trace, "tumbling windows", TUMBLING, tumbling, options);

    trace.section("Hopping and session windows, same stream", REF.windowTypes);
    const others = [
      { label: "hopping windows", assigner: HOPPING },
      { label: "session windows", assigner: SESSION },
    ].map((o) => ({ ...o, run: runStream(o.assigner, options, seed) }));
    for (const { label, assigner, run } of others) {
      const rows: Cell[][] = [];
      const finals = finalResults(run.panes, options.mode);
      for (const f of finals) {
        const panes = run.panes.filter(
          (p) => p.key === f.key && p.start >= f.start && p.end <= f.end,
        );
        rows.push([
          span(f.start, f.end),
          f.key,
          panes
            .map(
              (p) =>
                `${p.value}${p.timing === "LATE" ? " late" : ""}${p.start !== f.start || p.end !== f.end ? ` for ${span(p.start, p.end)}` : ""}`,
            )
            .join(", "),
          f.value,
        ]);
      }
      rows.sort(
        (a, b) =>
          String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1])),
      );
      trace.table(
        `${describeAssigner(assigner, formatDuration)}: ${plural(run.stats.dropped, "event")} dropped, ${plural(run.stats.lateAdmitted, "event")} admitted late`,
        ["window", "team", "panes, in order", "final"],
        rows,
        assigner.kind === "session"
          ? "A session grows while events come within the gap of each other; one that fired can grow again, and fire again, when a later event joins it (a pane listed 'for' a smaller window)."
          : "Each event counts in two windows; an event can be too late for the older of its windows and still count in the newer one.",
      );
      checkRun(trace, label, assigner, run, options);
    }

    trace.section("Whose clock are you using?", REF.whoseClock);
    // Processing-time windows: each event stamped with its arrival time, which only goes forward,
    // so that no event is ever late and the batch job's answer is the stream's.
    const byArrival = batchWindows(
      STREAM.map((e) => ({ ...e, eventTime: e.arrivalMs })),
      TUMBLING,
    );
    const byEventTime = finalResults(tumbling.panes, options.mode);
    const everything = batchWindows(STREAM, TUMBLING);
    const starts = [...new Set([...byArrival, ...everything].map((r) => r.start))].sort(
      (a, b) => a - b,
    );
    const cell = (list: WindowResult[], key: string, start: number) =>
      list.find((r) => r.key === key && r.start === start)?.value ?? 0;
    const rows: Cell[][] = [];
    for (const start of starts)
      for (const key of ["blue", "red"])
        rows.push([
          span(start, start + s(60)),
          key,
          cell(byArrival, key, start),
          cell(byEventTime, key, start),
          cell(everything, key, start),
        ]);
    trace.table(
      "Points per team and minute, by whose clock",
      [
        "minute",
        "team",
        "processing time",
        "event time (the stream)",
        "event time (every event, in hindsight)",
      ],
      rows,
      "Processing time counts blue's buffered points in the minute they arrived: blue seems to score most in the second minute, when it was in the tunnel. Event time puts them back in the minute they were scored; the stream's answer misses only what it dropped.",
    );
    trace.note(
      "Windows by processing time are simple and never wait, but they measure the network and the phones' connectivity as much as the game; windows by event time answer the question asked, at the price of waiting for a watermark and of deciding what to do with stragglers.",
      { ref: REF.eventTimeVersusProcessingTime, level: "summary" },
    );
  },
};
