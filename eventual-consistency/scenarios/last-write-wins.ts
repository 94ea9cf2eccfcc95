/**
 * Last write wins, by skewed physical clocks and by Lamport timestamps.
 *
 * 1. The book's figure 8-3, scripted with the figure's clocks: client B's increment causally
 *    follows client A's write, yet its timestamp is smaller, and every replica keeps A's value
 *    (DDIA ch. 8, "Timestamps for ordering events").
 * 2. The same script with Lamport timestamps: B's write now wins. Then two concurrent writes: the
 *    Lamport timestamps order them, one is silently dropped, and nothing in the two timestamps
 *    says they were concurrent; version vectors do (DDIA ch. 9, "Lamport timestamps").
 * 3. A random run (--replicas, --writes, --keys, --skew-ms, --loss) under each clock, counting the
 *    acknowledged writes that vanished: lost to a value they causally followed. See
 *    conflicts/lww-run.ts for the exact definition, and how it differs from losing a concurrent
 *    write, which LWW does by design.
 */

import { decimal, integer, option, type Scenario } from "../../shared/cli.js";
import { type VectorClock, vcCompare } from "../../shared/clocks.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import { Causality } from "../conflicts/causality.js";
import { type ClockKind, type LwwMessage, LwwReplica, type Timestamp } from "../conflicts/lww.js";
import {
  countFates,
  formatTimestamp,
  type LwwResult,
  runLww,
  type WriteRecord,
} from "../conflicts/lww-run.js";
import { REF } from "../refs.js";

interface Options {
  replicas: number;
  writes: number;
  keys: number;
  skewMs: number;
  loss: number;
}

const showClock = (clock: VectorClock): string =>
  `{${Object.entries(clock)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ")}}`;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;

// ---------------------------------------------------------------------------------------------
// Figure 8-3, scripted. The clocks and delays are the figure's, whatever the flags say.

const FIGURE_NODES = ["node1", "node2", "node3"] as const;
/** Node 1's clock runs 2 ms ahead of node 3's: A writes at 42.004 s, B 1 ms later at 42.003 s. */
const FIGURE_OFFSETS_MS: Record<string, number> = { node1: 42_004, node2: 42_003, node3: 42_002 };
/** One-way delays: x = 1 reaches node 3 first, then node 2; B's x = 2 reaches node 2 last. */
const FIGURE_DELAYS_MS: Record<string, number> = {
  "node1>node3": 0.5,
  "node1>node2": 1.5,
  "node3>node1": 1,
  "node3>node2": 2,
  "node2>node1": 1.5,
  "node2>node3": 1.5,
};

interface FigureRun {
  sim: Simulation;
  nodes: Map<string, LwwReplica>;
  causality: Causality;
  show: (t: Timestamp) => string;
}

function figureCluster(trace: Trace, seed: number, kind: ClockKind): FigureRun {
  const sim = new Simulation({ seed, trace });
  const net = new Network<LwwMessage>(sim);
  for (const [pair, delay] of Object.entries(FIGURE_DELAYS_MS)) {
    const [from = "", to = ""] = pair.split(">");
    net.setLink(from, to, { latencyMsMin: delay, latencyMsMax: delay });
  }
  const show =
    kind === "physical"
      ? (t: Timestamp) => seconds(t.time)
      : (t: Timestamp) => `(${t.time}, ${t.node})`;
  const nodes = new Map<string, LwwReplica>();
  for (const id of FIGURE_NODES) {
    const node = net.add(
      new LwwReplica(id, net, kind, () => FIGURE_NODES.filter((p) => p !== id), true, show),
    );
    node.clock.offsetMs = kind === "physical" ? (FIGURE_OFFSETS_MS[id] ?? 0) : 0;
    nodes.set(id, node);
  }
  return { sim, nodes, causality: new Causality(), show };
}

/** A client's read-modify-write at one node, narrated with the node's clock and the timestamp. */
function clientWrite(
  run: FigureRun,
  trace: Trace,
  client: string,
  nodeId: string,
  value: string,
  kind: ClockKind,
): { id: string; timestamp: Timestamp } {
  const node = run.nodes.get(nodeId) as LwwReplica;
  const read = node.read("x");
  run.causality.read(client, read?.writeId ?? null);
  const id = `${client}: x = ${value}`;
  run.causality.write(client, id);
  const outcome = node.write("x", id, value);
  const readText = read === null ? "" : `reads x = ${read.value}, then `;
  const clockText =
    kind === "physical"
      ? `${nodeId}'s clock reads ${seconds(outcome.clockBefore)}`
      : `${nodeId}'s Lamport counter ticks from ${outcome.clockBefore} to ${outcome.timestamp.time}`;
  const fate =
    outcome.keptOlder === null
      ? `${nodeId} stores it and acknowledges`
      : `${nodeId} acknowledges it, but the stored x = ${outcome.keptOlder.value} has the larger timestamp ${run.show(outcome.keptOlder.timestamp)}, so ${nodeId} itself keeps x = ${outcome.keptOlder.value}`;
  trace.note(
    `client ${client} ${readText}writes x = ${value} on ${nodeId}: ${clockText}, timestamp ${run.show(outcome.timestamp)}; ${fate}`,
    { node: nodeId, time: run.sim.now },
  );
  return { id, timestamp: outcome.timestamp };
}

function holdings(run: FigureRun): string {
  return FIGURE_NODES.map((id) => `${id} x = ${run.nodes.get(id)?.read("x")?.value ?? "nil"}`).join(
    ", ",
  );
}

function figure83(trace: Trace, seed: number): void {
  trace.section("Figure 8-3: a causally later write lost to a skewed clock", REF.timestampOrdering);
  trace.note(
    "Three replicas with the figure's clocks (fixed here, whatever --skew-ms says): node1 reads 42.004 s when node3 reads 42.002 s. Each keeps the value with the largest timestamp and replicates every write asynchronously.",
    { ref: REF.lastWriteWins },
  );
  const run = figureCluster(trace, seed, "physical");
  run.sim.at(0, () => clientWrite(run, trace, "A", "node1", "1", "physical"));
  run.sim.at(1, () => clientWrite(run, trace, "B", "node3", "2", "physical"));
  run.sim.run();
  const survived = FIGURE_NODES.every((id) => run.nodes.get(id)?.read("x")?.value === "2");
  trace.note(
    `Every replica now holds x = 1 (${holdings(run)}). B's write was acknowledged, and B had read x = 1 before writing: it happened after A's. It is gone, because node3's clock was 2 ms behind node1's, more than the 1 ms between A's write and B's.`,
    { level: "summary", ref: REF.timestampOrdering },
  );
  trace.check(
    "physical clocks: B's increment, which causally followed A's write, survives",
    survived,
    {
      expected: false,
      detail: holdings(run),
      ref: REF.timestampOrdering,
    },
  );
}

function figure83Lamport(trace: Trace, seed: number): void {
  trace.section("The same with Lamport timestamps", REF.lamport);
  trace.note(
    "Each node keeps a counter: it ticks on every write and, on receiving a timestamp, jumps past it (max + 1, as in Lamport's paper, where a receipt is itself an event; the book's node moves its counter to the maximum, and its next write's tick moves past it: either way a write's timestamp is above every timestamp its node has seen, so both are consistent with causality, though they may order concurrent writes differently). A timestamp is (counter, node id), ties broken by the node id. Same clients, same delays.",
    { ref: REF.lamport },
  );
  const run = figureCluster(trace, seed, "lamport");
  const pairs: {
    a?: { id: string; timestamp: Timestamp };
    b?: { id: string; timestamp: Timestamp };
  } = {};
  const concurrent: typeof pairs = {};
  run.sim.at(0, () => {
    pairs.a = clientWrite(run, trace, "A", "node1", "1", "lamport");
  });
  run.sim.at(1, () => {
    pairs.b = clientWrite(run, trace, "B", "node3", "2", "lamport");
  });
  run.sim.run(9);
  const bWins = FIGURE_NODES.every((id) => run.nodes.get(id)?.read("x")?.value === "2");
  trace.note(
    `Every replica now holds ${bWins ? "x = 2" : "something else"} (${holdings(run)}): node3 had merged A's timestamp before B wrote, so B's timestamp is larger.`,
    { level: "summary", ref: REF.lamport },
  );
  trace.check(
    "Lamport timestamps: B's increment, which causally followed A's write, survives",
    bWins,
    {
      detail: holdings(run),
      ref: REF.lamport,
    },
  );

  trace.note(
    "Now clients C (on node2) and D (on node1) each read x = 2 and write, at the same moment, neither knowing of the other; D writes twice.",
  );
  run.sim.at(10, () => {
    concurrent.a = clientWrite(run, trace, "C", "node2", "10", "lamport");
    clientWrite(run, trace, "D", "node1", "20", "lamport");
  });
  run.sim.at(11, () => {
    concurrent.b = clientWrite(run, trace, "D", "node1", "21", "lamport");
  });
  run.sim.run();
  const { a, b } = pairs;
  const c = concurrent.a;
  const d = concurrent.b;
  if (a === undefined || b === undefined || c === undefined || d === undefined) return;
  const winner = run.nodes.get("node1")?.read("x")?.value ?? "nil";
  trace.note(
    `Every replica converges to x = ${winner} (${holdings(run)}). C's write ${run.show(c.timestamp)} was concurrent with D's ${run.show(d.timestamp)}, and LWW dropped ${winner === "21" ? "C's" : "one of them"} silently.`,
    { level: "summary", ref: REF.lastWriteWins },
  );
  const causalOrder = vcCompare(run.causality.clockOf(a.id), run.causality.clockOf(b.id));
  const concurrentOrder = vcCompare(run.causality.clockOf(c.id), run.causality.clockOf(d.id));
  trace.note(
    `Look at the two pairs by their timestamps alone: A ${run.show(a.timestamp)} below B ${run.show(b.timestamp)}, C ${run.show(c.timestamp)} below D ${run.show(d.timestamp)}. The first pair is causal, the second concurrent, and the timestamps look alike: a Lamport timestamp is consistent with causality but cannot tell whether two writes were concurrent. A vector of counters can, as version vectors do (here one entry per client, counting the writes it knew of): A's write ${showClock(run.causality.clockOf(a.id))} is ${causalOrder} B's ${showClock(run.causality.clockOf(b.id))}, while C's ${showClock(run.causality.clockOf(c.id))} and D's ${showClock(run.causality.clockOf(d.id))} are ${concurrentOrder} (the version-vectors scenario keeps such writes as siblings).`,
    { level: "summary", ref: REF.versionVectors },
  );
  trace.check(
    "version vectors tell the causal pair (A, B) from the concurrent pair (C, D), which Lamport timestamps order alike",
    causalOrder === "before" &&
      concurrentOrder === "concurrent" &&
      a.timestamp.time < b.timestamp.time === c.timestamp.time < d.timestamp.time,
    { detail: `A ${causalOrder} B; C ${concurrentOrder} D`, ref: REF.versionVectors },
  );
}

// ---------------------------------------------------------------------------------------------
// Random runs.

const KIND_LABEL: Record<ClockKind, string> = {
  physical: "physical clocks",
  lamport: "Lamport timestamps",
  "lamport-no-merge": "Lamport without merge on receipt (broken)",
};

/** Does some write causally follow another write to the same key? (Else nothing can vanish.) */
export function hasCausalPairOnAKey(writes: readonly WriteRecord[]): boolean {
  // v happened before w exactly when w's vector counts v's own dot: w.clock[v.client] >= v's count.
  const first = new Map<string, WriteRecord>();
  for (const w of writes) {
    const k = `${w.key}\0${w.client}`;
    if (!first.has(k)) first.set(k, w);
  }
  return writes.some((w) =>
    [...first.values()].some(
      (v) =>
        v.key === w.key &&
        v.id !== w.id &&
        (w.clock[v.client] ?? 0) >= (v.clock[v.client] ?? Number.POSITIVE_INFINITY),
    ),
  );
}

function describeVanished(
  result: LwwResult,
  w: WriteRecord,
  show: (t: Timestamp) => string,
): string {
  const winnerId = result.final.get(w.key) ?? "";
  const winner = result.writes.find((x) => x.id === winnerId);
  const how =
    w.readFrom === winnerId
      ? `${w.client} had read ${winnerId} before writing`
      : `${w.client} knew of ${winnerId} when it wrote`;
  return `${w.id} (${w.client} on ${w.replica}, timestamp ${show(w.timestamp)}) happened after ${winnerId} (timestamp ${winner ? show(winner.timestamp) : "?"}): ${how}. Yet every replica converged to ${winnerId} on ${w.key}, whose timestamp is larger.`;
}

function fateRow(kind: ClockKind, result: LwwResult): (string | number)[] {
  const n = countFates(result);
  if (!result.converged) return [KIND_LABEL[kind], result.writes.length, "-", "-", "-", "-"];
  return [
    KIND_LABEL[kind],
    result.writes.length,
    n.kept,
    n.overwritten,
    n["lost-concurrent"],
    n.vanished,
  ];
}

function vanishCheck(
  trace: Trace,
  kind: ClockKind,
  result: LwwResult,
  causalPair: boolean,
  expected: boolean,
  ref: string,
): void {
  const name = `${KIND_LABEL[kind]}: no acknowledged write vanished`;
  if (!result.converged) {
    trace.notExercised(name, "the replicas did not converge, so there is no final value to judge", {
      ref,
    });
    return;
  }
  if (!causalPair) {
    trace.notExercised(
      name,
      "no write causally followed another write to its key, so none could vanish",
      { ref },
    );
    return;
  }
  const vanished = result.writes.filter((w) => result.fates.get(w.id) === "vanished");
  trace.check(name, vanished.length === 0, {
    expected,
    detail: `${vanished.length} of ${result.writes.length} acknowledged writes vanished`,
    ref,
  });
}

function randomRuns(trace: Trace, seed: number, options: Options): void {
  trace.section(
    `Random run: ${options.replicas} replicas, clocks skewed by up to ±${options.skewMs} ms`,
    REF.clocks,
  );
  trace.note(
    `One client per replica; ${options.writes} writes in all, each a read of a key at the client's replica and then a write of a new value to it, so each write causally follows what was read. Replication is asynchronous and resent until acknowledged (loss ${options.loss}). Once every write has reached every replica, each acknowledged write is judged against its key's converged value: kept; overwritten by a write that knew of it; lost to a concurrent write (LWW's design: one of two concurrent writes is discarded); or vanished: lost to a value it causally followed.`,
    { ref: REF.lastWriteWins },
  );
  const physical = runLww({ kind: "physical", seed, trace, ...options });
  const lamport = runLww({ kind: "lamport", seed, trace, ...options });
  const broken = runLww({ kind: "lamport-no-merge", seed, trace, ...options });

  trace.note(
    `Clock offsets: ${physical.replicaIds.map((id, i) => `${id} ${(physical.offsetsMs[i] ?? 0).toFixed(1)} ms`).join(", ")}. Their spread, ${physical.spreadMs.toFixed(1)} ms, is ${physical.spreadMs < physical.latencyMsMin ? "below" : "at least"} the smallest one-way delay (${physical.latencyMsMin} ms), so ${physical.spreadMs < physical.latencyMsMin ? "a write that causally follows another always gets a larger physical timestamp: none can vanish." : "a write that closely follows another on a node whose clock is behind can get a smaller timestamp."}`,
    { level: "summary", ref: REF.timestampOrdering },
  );
  trace.table(
    "Acknowledged writes by fate, same seed, same workload plan",
    ["clock", "writes", "kept", "overwritten (seen)", "lost to concurrent", "vanished"],
    [
      fateRow("physical", physical),
      fateRow("lamport", lamport),
      fateRow("lamport-no-merge", broken),
    ],
    "Each row is its own run of the same plan: which value a client reads depends on which writes won, so the counts may differ in every column.",
  );

  const showPhysical = formatTimestamp("physical");
  const vanished = physical.writes.filter((w) => physical.fates.get(w.id) === "vanished");
  for (const w of vanished.slice(0, 3)) {
    trace.note(describeVanished(physical, w, showPhysical), { ref: REF.timestampOrdering });
  }
  if (vanished.length > 3) trace.note(`... and ${vanished.length - 3} more vanished writes.`);

  const expectPhysical = physical.spreadMs < physical.latencyMsMin;
  vanishCheck(
    trace,
    "physical",
    physical,
    hasCausalPairOnAKey(physical.writes),
    expectPhysical,
    REF.timestampOrdering,
  );
  vanishCheck(trace, "lamport", lamport, hasCausalPairOnAKey(lamport.writes), true, REF.lamport);
  // With one replica there is one counter and nothing to merge: the broken clock is then correct.
  vanishCheck(
    trace,
    "lamport-no-merge",
    broken,
    hasCausalPairOnAKey(broken.writes),
    options.replicas === 1,
    REF.lamport,
  );

  // What Lamport timestamps still cannot do: a concrete concurrent pair, one silently dropped.
  const showLamport = formatTimestamp("lamport");
  const lost = lamport.writes.find((w) => lamport.fates.get(w.id) === "lost-concurrent");
  if (lost !== undefined) {
    const winnerId = lamport.final.get(lost.key) ?? "";
    const winner = lamport.writes.find((x) => x.id === winnerId);
    if (winner !== undefined) {
      trace.note(
        `Under Lamport timestamps, ${lost.id} (${lost.client}, ${showLamport(lost.timestamp)}, knowing ${showClock(lost.clock)} writes per client) and ${winner.id} (${winner.client}, ${showLamport(winner.timestamp)}, knowing ${showClock(winner.clock)}) were concurrent: neither writer knew of the other's write. LWW kept ${winner.id} and dropped ${lost.id} without a trace; the timestamps ordered them, but nothing in them says the two were concurrent.`,
        { level: "summary", ref: REF.lamport },
      );
    }
  } else if (lamport.converged) {
    const overwritten = countFates(lamport).overwritten;
    trace.note(
      `Under Lamport timestamps, no write in this run was lost to a concurrent write${overwritten > 0 ? " (every write that did not survive was overwritten by one that knew of it)" : ""}, so there is no concurrent pair to show.`,
      { level: "summary", ref: REF.lamport },
    );
  }

  const name = "the replicas converge: each key holds one value everywhere";
  for (const [kind, result] of [
    ["physical", physical],
    ["lamport", lamport],
  ] as const) {
    if (options.replicas === 1)
      trace.notExercised(`${KIND_LABEL[kind]}: ${name}`, "one replica: nothing to converge", {
        ref: REF.lastWriteWins,
      });
    else trace.check(`${KIND_LABEL[kind]}: ${name}`, result.converged, { ref: REF.lastWriteWins });
  }
}

export const lastWriteWins: Scenario<Options> = {
  name: "last-write-wins",
  networked: true,
  summary:
    "LWW by skewed clocks drops writes that happened later (figure 8-3); Lamport timestamps fix that but still drop concurrent writes",
  options: [
    option("--replicas <count>", "replicas, with one client each", integer(1, 9), 3),
    option("--writes <count>", "writes in all, dealt to the clients in turn", integer(1, 5000), 40),
    option("--keys <count>", "keys the writes go to", integer(1, 10), 1),
    option(
      "--skew-ms <ms>",
      "each replica's clock offset is drawn from [-skew, +skew] (the scripted figure keeps its own clocks)",
      decimal(0, 1000),
      50,
    ),
    option(
      "--loss <p>",
      "probability that a message is lost (replication is resent until acknowledged)",
      decimal(0, 0.5),
      0.05,
    ),
  ],
  run: ({ trace, seed }, options) => {
    figure83(trace, seed);
    figure83Lamport(trace, seed);
    randomRuns(trace, seed, options);
  },
};
