/**
 * Fault plans ("nemesis", as Jepsen calls it): crashes with restarts and network partitions,
 * drawn from a seeded stream and scheduled on the simulation. A plan is plain data, so a
 * scenario can print it before it runs and a failing test can say exactly what was injected.
 *
 * Faults of one kind never overlap: the window is cut into one slot per fault and each fault
 * starts and ends inside its slot. So at most one node is down at a time from crashes, and one
 * partition stands at a time; a crash may still coincide with a partition.
 */

import type { Network } from "./network.js";
import type { Random } from "./random.js";

/** The fault flags of every networked scenario (`--loss --duplicate --crash --partition`). */
export interface FaultFlags {
  /** Probability that a message is lost. */
  loss: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
  /** Crashes (each followed by a restart) during the run. */
  crash: number;
  /** Network partitions (each healed later) during the run. */
  partition: number;
}

export type Fault =
  | { kind: "crash"; atMs: number; node: string; recoverAtMs: number }
  | { kind: "partition"; atMs: number; groups: string[][]; healAtMs: number };

export interface FaultPlanOptions {
  /** Nodes that may crash or be cut off. */
  nodes: readonly string[];
  crashes: number;
  partitions: number;
  startMs: number;
  endMs: number;
  /** How long a node stays down or a partition stands: drawn uniformly from this range. */
  durationMsMin: number;
  durationMsMax: number;
}

export function planFaults(random: Random, options: FaultPlanOptions): Fault[] {
  const { nodes, crashes, partitions, startMs, endMs, durationMsMin, durationMsMax } = options;
  const plan: Fault[] = [];
  const slots = (count: number) => {
    const width = (endMs - startMs) / Math.max(1, count);
    return Array.from({ length: count }, (_, i) => {
      const slotStart = startMs + i * width;
      const duration = Math.min(random.uniform(durationMsMin, durationMsMax), width);
      const atMs = slotStart + random.uniform(0, width - duration);
      return { atMs, endAtMs: atMs + duration };
    });
  };
  if (nodes.length > 0) {
    for (const { atMs, endAtMs } of slots(crashes)) {
      plan.push({ kind: "crash", atMs, node: random.pick(nodes), recoverAtMs: endAtMs });
    }
  }
  if (nodes.length > 1) {
    for (const { atMs, endAtMs } of slots(partitions)) {
      const shuffled = random.shuffle(nodes);
      const cut = random.int(1, shuffled.length - 1);
      plan.push({
        kind: "partition",
        atMs,
        groups: [shuffled.slice(0, cut), shuffled.slice(cut)],
        healAtMs: endAtMs,
      });
    }
  }
  return plan.sort((a, b) => a.atMs - b.atMs);
}

/** Schedule every fault of the plan on the network's simulation. */
export function scheduleFaults(net: Network, plan: readonly Fault[]): void {
  const sim = net.sim;
  for (const fault of plan) {
    if (fault.kind === "crash") {
      sim.at(fault.atMs, () => net.node(fault.node).crash());
      sim.at(fault.recoverAtMs, () => net.node(fault.node).recover());
    } else {
      sim.at(fault.atMs, () => net.partition(fault.groups));
      sim.at(fault.healAtMs, () => net.heal());
    }
  }
}

function describeFault(fault: Fault): string {
  if (fault.kind === "crash") {
    return `crash ${fault.node} at ${fault.atMs.toFixed(0)} ms, restart at ${fault.recoverAtMs.toFixed(0)} ms`;
  }
  const sides = fault.groups.map((g) => `{${g.join(", ")}}`).join(" | ");
  return `partition ${sides} at ${fault.atMs.toFixed(0)} ms, heal at ${fault.healAtMs.toFixed(0)} ms`;
}

/** The faults of a run in one sentence, for its narration; undefined when there are none. */
export function describeFaults(
  network: { loss: number; duplicate: number },
  plan: readonly Fault[],
): string | undefined {
  if (network.loss === 0 && network.duplicate === 0 && plan.length === 0) return undefined;
  return `Faults: message loss ${network.loss}, duplication ${network.duplicate}${plan.map((f) => `; ${describeFault(f)}`).join("")}.`;
}

/** When faults may strike, and how long each lasts. */
export interface FaultWindow {
  startMs: number;
  endMs: number;
  durationMsMin: number;
  durationMsMax: number;
}

/**
 * Plan crashes and partitions of `nodes` from the run's "faults" stream (or take the given plan),
 * schedule them, and narrate them with the network's loss and duplication in one sentence, or
 * with `whenNone` when there are no faults at all (nothing, if it is not given). Returns the plan.
 */
export function injectFaults(
  net: Network,
  nodes: readonly string[],
  flags: FaultFlags,
  window: FaultWindow,
  options: { plan?: readonly Fault[]; whenNone?: string } = {},
): readonly Fault[] {
  const plan =
    options.plan ??
    planFaults(net.sim.random.fork("faults"), {
      nodes,
      crashes: flags.crash,
      partitions: flags.partition,
      ...window,
    });
  scheduleFaults(net, plan);
  const text = describeFaults(flags, plan) ?? options.whenNone;
  if (text !== undefined) net.sim.trace.note(text, { level: "summary" });
  return plan;
}
