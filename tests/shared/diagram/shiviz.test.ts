/**
 * The ShiViz log (`--shiviz`): read back the way ShiViz reads an uploaded file (js/shiviz.js,
 * js/util/regexp.js, js/model/parser.js), then judged by the rules ShiViz enforces
 * (js/model/modelGraph.js) and by happened-before itself: a receive's clock dominates its send's.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { replication } from "../../../replication/main.js";
import { buildDiagram } from "../../../shared/render/diagram/model.js";
import { renderShiviz } from "../../../shared/render/diagram/shiviz.js";
import type { TraceEvent } from "../../../shared/trace.js";
import { gossipTrace } from "../../pictures/runs.js";
import { runInProcess } from "../fixtures/cli.js";
import { testDir } from "../fixtures/temp.js";

type Clock = Record<string, number>;

interface LogEvent {
  host: string;
  event: string;
  clock: Clock;
  fields: Record<string, string>;
}

interface Execution {
  label: string;
  events: LogEvent[];
}

/**
 * ShiViz's NamedRegExp: named groups are listed in order, every other `(` becomes non-capturing,
 * then the names are matched to the groups by position. Returns the JS expression and the names.
 */
function namedRegExp(source: string): { regexp: RegExp; names: string[] } {
  let rewritten = source.replace(/\((?!\?(=|!|<|:))/g, "(?:");
  const names: string[] = [];
  for (;;) {
    const match = rewritten.match(/\(\?<(\w+?)>.+\)/);
    if (match === null) break;
    names.push(match[1] as string);
    rewritten = rewritten.replace(/\(\?<\w+?>/, "(");
  }
  return { regexp: new RegExp(rewritten, "gm"), names };
}

/** The file as ShiViz's upload reads it: regex, delimiter, then the log split into executions. */
function readShiviz(text: string): Execution[] {
  const [first = "", second = ""] = text.split("\n", 2);
  const parser = namedRegExp(`^${first}$`);
  expect(parser.names).toEqual(expect.arrayContaining(["host", "event", "clock"]));
  const delimiter = namedRegExp(`^${second.trim()}$`);
  const startOfLog = text.indexOf("\n", text.indexOf("\n") + 1);
  const log = text.slice(startOfLog + 1).trim();
  const labels = [...log.matchAll(delimiter.regexp)].map((m) => m[1] as string);
  const chunks = log.split(new RegExp(delimiter.regexp.source.replace(/\(/g, "(?:"), "m"));
  // The text before the first delimiter is empty and is skipped, as ShiViz skips it.
  expect(chunks[0]?.trim()).toBe("");
  return chunks.slice(1).map((chunk, i) => {
    const events: LogEvent[] = [];
    const lines = chunk.trim().split("\n");
    for (const match of chunk.matchAll(parser.regexp)) {
      const fields: Record<string, string> = {};
      parser.names.forEach((name, g) => {
        fields[name] = match[g + 1] as string;
      });
      events.push({
        host: fields.host as string,
        event: fields.event as string,
        clock: JSON.parse(fields.clock as string) as Clock,
        fields,
      });
    }
    // Every line of the execution is one event: none is skipped by the expression.
    expect(events).toHaveLength(lines.length);
    return { label: labels[i] as string, events };
  });
}

/**
 * ShiViz's own checks (ModelGraph): each host's own entry starts at 1 and goes up by one per
 * event; every entry names a host of the execution and a time that host reaches. Returns the
 * problems found.
 */
function shivizProblems(execution: Execution): string[] {
  const problems: string[] = [];
  const count = new Map<string, number>();
  for (const e of execution.events) {
    const expected = (count.get(e.host) ?? 0) + 1;
    count.set(e.host, expected);
    if (e.clock[e.host] !== expected)
      problems.push(`${e.host}'s own entry is ${e.clock[e.host]}, not ${expected}: ${e.event}`);
  }
  for (const e of execution.events) {
    for (const [host, time] of Object.entries(e.clock)) {
      if (!count.has(host)) problems.push(`unknown host ${host} in ${e.event}`);
      else if (time < 1 || time > (count.get(host) ?? 0))
        problems.push(`${host}=${time} out of range in ${e.event}`);
    }
  }
  return problems;
}

/** The receives of an execution with the clock of the send they belong to (matched by `#id`). */
function sendReceivePairs(execution: Execution): { send: LogEvent; receive: LogEvent }[] {
  const sends = new Map<string, LogEvent>();
  const pairs: { send: LogEvent; receive: LogEvent }[] = [];
  for (const e of execution.events) {
    const sent = /^send \S+ #(\d+) /.exec(e.event);
    if (sent !== null) sends.set(sent[1] as string, e);
    const received = /^receive \S+ #(\d+) /.exec(e.event);
    if (received !== null) {
      const send = sends.get(received[1] as string);
      expect(send, `the send of ${e.event}`).toBeDefined();
      pairs.push({ send: send as LogEvent, receive: e });
    }
  }
  return pairs;
}

/** Happened-before violations: receives whose clock does not dominate their send's. */
function happenedBeforeViolations(execution: Execution): string[] {
  const violations: string[] = [];
  for (const { send, receive } of sendReceivePairs(execution)) {
    for (const [host, time] of Object.entries(send.clock)) {
      if ((receive.clock[host] ?? 0) < time)
        violations.push(`${receive.event} has ${host}=${receive.clock[host] ?? 0} < ${time}`);
    }
    const own = receive.clock[receive.host] ?? 0;
    if (own <= (send.clock[receive.host] ?? 0))
      violations.push(`${receive.event} is not later than its send at ${receive.host}`);
  }
  return violations;
}

/**
 * The vector clocks worked again from the log's events alone (a second, plain implementation):
 * each event ticks its host; a receive first merges its send's clock, unless `merge` is false (the
 * broken variant, a receive that forgets to merge).
 */
function reclock(execution: Execution, merge: boolean): Execution {
  const clocks = new Map<string, Clock>();
  const sendClocks = new Map<string, Clock>();
  const events = execution.events.map((e) => {
    const clock: Clock = { ...(clocks.get(e.host) ?? {}) };
    const received = /^receive \S+ #(\d+) /.exec(e.event);
    if (merge && received !== null) {
      for (const [host, time] of Object.entries(sendClocks.get(received[1] as string) ?? {}))
        clock[host] = Math.max(clock[host] ?? 0, time);
    }
    clock[e.host] = (clock[e.host] ?? 0) + 1;
    clocks.set(e.host, clock);
    const sent = /^send \S+ #(\d+) /.exec(e.event);
    if (sent !== null) sendClocks.set(sent[1] as string, clock);
    return { ...e, clock };
  });
  return { ...execution, events };
}

const sorted = (clock: Clock): [string, number][] =>
  Object.entries(clock).sort(([a], [b]) => (a < b ? -1 : 1));

function shivizOf(events: TraceEvent[]): string {
  return renderShiviz(buildDiagram(events));
}

describe("the ShiViz log", () => {
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8];

  test("its first line parses every event, and its second separates the runs, as ShiViz reads them", () => {
    const text = shivizOf(gossipTrace({ seed: 3, runs: 2 }));
    const lines = text.split("\n");
    expect(lines[0]).toBe(
      String.raw`(?<host>\S+) (?<time>\d+\.\d)ms (?<event>.*) (?<clock>\{.*\})`,
    );
    expect(lines[1]).toBe("=== (?<trace>.*) ===");
    const executions = readShiviz(text);
    expect(executions.map((e) => e.label)).toEqual(["run 1: gossip run 1", "run 2: gossip run 2"]);
    // The same line read with JavaScript's own named groups gives the same fields.
    const native = new RegExp(`^${lines[0]}$`);
    for (const line of lines.slice(3).filter((l) => l !== "" && !l.startsWith("==="))) {
      const match = native.exec(line);
      expect(match?.groups?.host, line).toMatch(/^n[123]$/);
      expect(() => JSON.parse(match?.groups?.clock as string)).not.toThrow();
    }
  });

  test("a receive's clock dominates its send's, and each host's own entry goes up by one per event", () => {
    for (const seed of seeds) {
      const events = gossipTrace({ seed, runs: 2, loss: 0.2, duplicate: 0.2 });
      for (const execution of readShiviz(shivizOf(events))) {
        expect(sendReceivePairs(execution).length, `seed ${seed}`).toBeGreaterThan(0);
        expect(happenedBeforeViolations(execution), `seed ${seed}`).toEqual([]);
        expect(shivizProblems(execution), `seed ${seed}`).toEqual([]);
      }
    }
  });

  test("every clock is exactly the one the vector-clock rules give (worked again from the log)", () => {
    for (const seed of seeds) {
      for (const execution of readShiviz(shivizOf(gossipTrace({ seed, duplicate: 0.3 })))) {
        const again = reclock(execution, true);
        execution.events.forEach((e, i) => {
          expect(sorted(e.clock), `seed ${seed}: ${e.event}`).toEqual(
            sorted(again.events[i]?.clock ?? {}),
          );
        });
      }
    }
  });

  test("a broken variant whose receive forgets to merge fails the happened-before check", () => {
    const executions = readShiviz(shivizOf(gossipTrace({ seed: 3 })));
    const broken = executions.map((e) => reclock(e, false));
    const violations = broken.flatMap(happenedBeforeViolations);
    expect(violations.length).toBeGreaterThan(0);
    // Forgetting to merge still ticks each host's own entry by one: ShiViz's own rules cannot see
    // it, only happened-before can.
    expect(broken.flatMap(shivizProblems)).toEqual([]);
  });

  test("a hand-made trace: the clocks worked by hand", () => {
    // a sends m1 to b; b sends m2 to c; c crashes. Worked by hand:
    //   a: send m1 {a:1}; b: receive m1 {a:1,b:1}; b: send m2 {a:1,b:2};
    //   c: receive m2 {a:1,b:2,c:1}; c: crash {a:1,b:2,c:2}; a sends m3 to c, lost: {a:2}.
    const m = (type: string) => ({ type });
    const events: TraceEvent[] = [
      { kind: "run", time: 0 },
      { kind: "send", time: 0, id: 1, from: "a", to: "b", msg: m("M1") },
      { kind: "deliver", time: 2, id: 1, from: "a", to: "b", msg: m("M1") },
      { kind: "send", time: 2, id: 2, from: "b", to: "c", msg: m("M2") },
      { kind: "deliver", time: 5, id: 2, from: "b", to: "c", msg: m("M2") },
      { kind: "crash", time: 6, node: "c" },
      { kind: "send", time: 7, id: 3, from: "a", to: "c", msg: m("M3") },
      { kind: "drop", time: 7, id: 3, from: "a", to: "c", msg: m("M3"), reason: "loss" },
    ];
    const [execution] = readShiviz(shivizOf(events));
    expect(execution?.events.map((e) => [e.host, e.clock])).toEqual([
      ["a", { a: 1 }],
      ["b", { a: 1, b: 1 }],
      ["b", { a: 1, b: 2 }],
      ["c", { a: 1, b: 2, c: 1 }],
      ["c", { a: 1, b: 2, c: 2 }],
      ["a", { a: 2 }],
    ]);
    expect(execution?.events[5]?.event).toBe(
      'send M3 #3 to c, dropped (loss) at 7.0ms: {"type":"M3"}',
    );
    expect(execution?.events[4]?.fields.time).toBe("6.0");
  });

  test("node names with spaces and message text with braces and spaces still parse", () => {
    const msg = { type: "Put", value: "a {b} c", nested: { k: [1, 2] } };
    const events: TraceEvent[] = [
      { kind: "send", time: 1, id: 1, from: "client one", to: "n 2", msg },
      { kind: "deliver", time: 3, id: 1, from: "client one", to: "n 2", msg },
    ];
    const [execution] = readShiviz(shivizOf(events));
    expect(execution?.events.map((e) => [e.host, e.clock])).toEqual([
      ["client_one", { client_one: 1 }],
      ["n_2", { client_one: 1, n_2: 1 }],
    ]);
    expect(execution?.events[1]?.event).toContain('"value":"a {b} c"');
  });

  test("a real run through the command line (replication failover: loss, duplicates, a partition, crashes)", async () => {
    const file = join(testDir("shiviz"), "failover.log");
    const run = await runInProcess(replication, [
      "failover",
      "--duplicate",
      "0.2",
      "--shiviz",
      file,
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^wrote .*failover\.log: 2 runs, \d+ messages\n$/);
    const executions = readShiviz(readFileSync(file, "utf8"));
    expect(executions.map((e) => e.label)).toEqual([
      "run 1: Naive failover with asynchronous replication",
      "run 2: Failover by consensus: Raft",
    ]);
    const copies = executions
      .flatMap((e) => e.events)
      .filter((e) => / \(second copy\): /.test(e.event));
    expect(copies.length).toBeGreaterThan(0);
    for (const execution of executions) {
      expect(happenedBeforeViolations(execution)).toEqual([]);
      expect(shivizProblems(execution)).toEqual([]);
    }
  }, 60_000);

  test("the same seed writes the same bytes", () => {
    const a = shivizOf(gossipTrace({ seed: 5, runs: 2 }));
    const b = shivizOf(gossipTrace({ seed: 5, runs: 2 }));
    expect(a).toBe(b);
    expect(shivizOf(gossipTrace({ seed: 6, runs: 2 }))).not.toBe(a);
  });
});
