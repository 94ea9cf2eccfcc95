/**
 * Wiring for the `cap` scenario (DDIA ch. 9, "The CAP theorem"), exported so that other scenarios
 * (`consistency-models`) can run the same stores on their own workloads:
 *
 *   runQuorumStore(scripts, options) → StoreRun   the CP store: ABD over majority quorums
 *   runApStore(scripts, options)     → StoreRun   the AP store: any replica answers, LWW merge
 *   runMvStore(scripts, options)     → MvStoreRun the AP store with a CRDT: multi-value registers
 *
 * Both place n replicas at n sites and each client at one site, beside one replica (client i
 * beside replica i mod n, unless `homes` says otherwise). A client reaches its own replica in
 * under a millisecond and every other site in `latencyMs` give or take half (DDIA ch. 9,
 * "Linearizability and network delays": the CP client must cross sites on every operation, the
 * AP client never does). The optional partition cuts the sites into a majority (the first
 * floor(n/2) + 1 replicas) and a minority (the rest), each with the clients beside its replicas.
 * After the last operation the run goes on for a while without faults, so that the AP store's
 * anti-entropy can converge, and then reads each replica's state.
 */

import type { CheckedOp } from "../../shared/check/linearizability.js";
import { Network } from "../../shared/network.js";
import { AbdClient } from "../../shared/quorum/abd-client.js";
import {
  type AbdMessage,
  compareTimestamps,
  type Timestamp,
  ZERO,
} from "../../shared/quorum/abd-messages.js";
import { AbdReplica } from "../../shared/quorum/abd-replica.js";
import type { ScriptedOperation } from "../../shared/scripted-client.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace } from "../../shared/trace.js";
import { type MVRegister, mvInitial, mvMerge, mvValues } from "../crdts/mv-register.js";
import { ApClient } from "./ap-client.js";
import { LwwReplica } from "./lww-replica.js";
import type { ApMessage } from "./messages.js";
import { canonicalMv, type MvMessage, MvReplica } from "./mv-replica.js";

/** A client's script (eventual-consistency/workload.ts's ClientScript fits). */
export interface StoreScript {
  readonly client: string;
  readonly operations: readonly ScriptedOperation[];
}

export interface PartitionPlan {
  startMs: number;
  /** 0: no partition. */
  durationMs: number;
}

export interface StoreOptions {
  seed: number;
  /** n, odd so that the partition leaves a strict majority on one side. */
  replicas: number;
  /** One-way latency between sites, in the middle of [latencyMs / 2, 3 * latencyMs / 2]. */
  latencyMs: number;
  loss?: number;
  duplicate?: number;
  partition?: PartitionPlan;
  /** Which replica (index) each client sits beside, by script position; default i mod n. */
  homes?: readonly number[];
  trace?: Trace;
}

export interface QuorumStoreOptions extends StoreOptions {
  /** Replies each phase waits for; default a majority. Lower only for the broken variant. */
  quorum?: number;
  /** The reader's write-back; default true. false only for the broken variant. */
  writeBack?: boolean;
}

export interface ApStoreOptions extends StoreOptions {
  /** Anti-entropy period; default 4 × latencyMs; 0 turns anti-entropy off (broken variant). */
  antiEntropyMs?: number;
}

export type Side = "majority" | "minority";

export interface StoreRun {
  /** Every client operation, in the checkers' terms (read and write on keys). */
  history: CheckedOp[];
  replicaIds: string[];
  /** The side of the partition each client is on (its replica's). */
  sideOf: Map<string, Side>;
  /** The partition's window, when there was one. */
  partition: { startMs: number; endMs: number } | undefined;
  /** Keys on which the replicas did not all hold the same value when the partition healed. */
  divergentKeysAtHeal: number | undefined;
  /**
   * Milliseconds from the heal until every replica held, for every key, the newest value any
   * replica held at the heal or a newer one; null when that did not happen by the end of the run.
   */
  convergedAfterHealMs: number | null | undefined;
  /** Keys on which the replicas disagree at the end, after the quiet time. */
  divergentKeysAtEnd: number;
  /** Per key, the newest value (highest timestamp) any replica holds at the end. */
  finalValues: Map<string, string | null>;
  messagesSent: number;
  endMs: number;
}

const localLatency = { latencyMsMin: 0.2, latencyMsMax: 1 };

interface Topology<M extends { type: string }> {
  sim: Simulation;
  net: Network<M>;
  replicaIds: string[];
  homeOf: (clientIndex: number) => string;
  sideOf: Map<string, Side>;
  groups: [string[], string[]];
}

function topology<M extends { type: string }>(
  scripts: readonly StoreScript[],
  options: StoreOptions,
): Topology<M> {
  const trace = options.trace ?? Trace.silent();
  const sim = new Simulation({ seed: options.seed, trace, maxEvents: 5_000_000 });
  const net = new Network<M>(sim, {
    loss: options.loss ?? 0,
    duplicate: options.duplicate ?? 0,
    latencyMsMin: options.latencyMs / 2,
    latencyMsMax: (options.latencyMs * 3) / 2,
  });
  const replicaIds = Array.from({ length: options.replicas }, (_, i) => `replica-${i + 1}`);
  const majoritySize = Math.floor(options.replicas / 2) + 1;
  const homeOf = (c: number) => replicaIds[(options.homes?.[c] ?? c) % options.replicas] as string;
  const sideOf = new Map<string, Side>();
  const groups: [string[], string[]] = [
    replicaIds.slice(0, majoritySize),
    replicaIds.slice(majoritySize),
  ];
  scripts.forEach((s, c) => {
    const home = homeOf(c);
    const side: Side = replicaIds.indexOf(home) < majoritySize ? "majority" : "minority";
    sideOf.set(s.client, side);
    groups[side === "majority" ? 0 : 1].push(s.client);
    // Beside its replica: a fast link both ways.
    net.setLink(s.client, home, localLatency);
    net.setLink(home, s.client, localLatency);
  });
  return { sim, net, replicaIds, homeOf, sideOf, groups };
}

interface Stamped {
  timestamp: Timestamp;
  value: string | null;
}

/** How `drive` reads, compares and combines one replica's state of one key. */
interface StateView<S> {
  stateOf(replica: string, key: string): S;
  /** The state that covers every one given (the newest, or the merge). */
  join(states: readonly S[]): S;
  /** Whether `state` holds `target` or something newer. */
  covers(state: S, target: S): boolean;
  equal(a: S, b: S): boolean;
}

const stampedView = (stateOf: (replica: string, key: string) => Stamped): StateView<Stamped> => ({
  stateOf,
  join: (states) =>
    states.reduce((a, b) => (compareTimestamps(b.timestamp, a.timestamp) > 0 ? b : a), {
      timestamp: ZERO,
      value: null,
    }),
  covers: (state, target) => compareTimestamps(state.timestamp, target.timestamp) >= 0,
  equal: (a, b) => compareTimestamps(a.timestamp, b.timestamp) === 0,
});

interface Driven<S> extends Omit<StoreRun, "finalValues"> {
  /** Per key, the join of every replica's state at the end. */
  finalStates: Map<string, S>;
}

/** Run the workload, the partition, then the quiet time; measure divergence and convergence. */
function drive<M extends { type: string }, S>(
  t: Topology<M>,
  scripts: readonly StoreScript[],
  options: StoreOptions,
  clients: { done: boolean; begin(): void }[],
  view: StateView<S>,
  quietMs: number,
  history: CheckedOp[],
): Driven<S> {
  const { sim, net } = t;
  const keys = [...new Set(scripts.flatMap((s) => s.operations.map((op) => op.key)))].sort();
  const newest = (key: string): S => view.join(t.replicaIds.map((r) => view.stateOf(r, key)));
  const divergentKeys = () =>
    keys.filter((key) => {
      const first = view.stateOf(t.replicaIds[0] as string, key);
      return t.replicaIds.some((r) => !view.equal(view.stateOf(r, key), first));
    }).length;

  const plan = options.partition;
  const partition =
    plan !== undefined && plan.durationMs > 0
      ? { startMs: plan.startMs, endMs: plan.startMs + plan.durationMs }
      : undefined;
  let divergentKeysAtHeal: number | undefined;
  let convergedAfterHealMs: number | null | undefined;
  if (partition !== undefined) {
    sim.at(partition.startMs, () => net.partition(t.groups));
    sim.at(partition.endMs, () => {
      net.heal();
      divergentKeysAtHeal = divergentKeys();
      convergedAfterHealMs = null;
      const target = new Map(keys.map((k) => [k, newest(k)]));
      // Probe every millisecond until every replica has caught up with the heal's newest.
      const probe = () => {
        const caughtUp = keys.every((k) =>
          t.replicaIds.every((r) => view.covers(view.stateOf(r, k), target.get(k) as S)),
        );
        if (caughtUp) convergedAfterHealMs = sim.now - partition.endMs;
        else sim.schedule(1, probe);
      };
      probe();
    });
  }
  for (const c of clients) sim.at(0, () => c.begin());
  const limitMs = 10_000_000;
  const finished = sim.runUntil(
    () => clients.every((c) => c.done) && (partition === undefined || sim.now >= partition.endMs),
    limitMs,
  );
  if (!finished)
    throw new Error(`the clients did not finish by ${limitMs} ms (seed ${options.seed})`);
  sim.run(sim.now + quietMs);
  return {
    history,
    replicaIds: t.replicaIds,
    sideOf: t.sideOf,
    partition,
    divergentKeysAtHeal,
    convergedAfterHealMs,
    divergentKeysAtEnd: divergentKeys(),
    finalStates: new Map(keys.map((k) => [k, newest(k)])),
    messagesSent: net.stats.sent,
    endMs: sim.now,
  };
}

/** A run of a store whose replicas hold one stamped value per key (ABD, LWW). */
function stampedRun(d: Driven<Stamped>): StoreRun {
  const { finalStates, ...rest } = d;
  return { ...rest, finalValues: new Map([...finalStates].map(([k, s]) => [k, s.value])) };
}

/** The CP store: ABD (shared/quorum/abd-client.ts) with majority quorums. */
export function runQuorumStore(
  scripts: readonly StoreScript[],
  options: QuorumStoreOptions,
): StoreRun {
  const t = topology<AbdMessage>(scripts, options);
  const replicas = t.replicaIds.map((id) => t.net.add(new AbdReplica(id, t.net)));
  const history: CheckedOp[] = [];
  const clients = scripts.map((s) =>
    t.net.add(
      new AbdClient(s.client, t.net, {
        replicas: t.replicaIds,
        quorum: options.quorum ?? Math.floor(options.replicas / 2) + 1,
        // Two round trips to a majority take about 4 × latencyMs; give it room, and retry
        // once a round trip has clearly been lost.
        timeoutMs: 10 * options.latencyMs + 20,
        retryMs: 3 * options.latencyMs + 2,
        writeBack: options.writeBack ?? true,
        script: s.operations,
        history,
      }),
    ),
  );
  const byId = new Map(replicas.map((r) => [r.id, r]));
  return stampedRun(
    drive(
      t,
      scripts,
      options,
      clients,
      stampedView((r, key) => (byId.get(r) as AbdReplica).stored(key)),
      20 * options.latencyMs,
      history,
    ),
  );
}

/** The AP store: any replica answers; Replicate, anti-entropy and LWW converge them. */
export function runApStore(scripts: readonly StoreScript[], options: ApStoreOptions): StoreRun {
  const t = topology<ApMessage>(scripts, options);
  const antiEntropyMs = options.antiEntropyMs ?? 4 * options.latencyMs;
  const replicas = t.replicaIds.map((id) =>
    t.net.add(
      new LwwReplica(id, t.net, {
        peers: t.replicaIds.filter((p) => p !== id),
        antiEntropyMs,
      }),
    ),
  );
  const history: CheckedOp[] = [];
  const clients = scripts.map((s, c) =>
    t.net.add(
      new ApClient(s.client, t.net, {
        replica: t.homeOf(c),
        retryMs: 5,
        timeoutMs: 1_000,
        script: s.operations,
        history,
      }),
    ),
  );
  const byId = new Map(replicas.map((r) => [r.id, r]));
  return stampedRun(
    drive(
      t,
      scripts,
      options,
      clients,
      stampedView((r, key) => {
        const entry = (byId.get(r) as LwwReplica).entry(key);
        return entry === undefined
          ? { timestamp: ZERO, value: null }
          : { timestamp: entry.timestamp, value: entry.value };
      }),
      // Long enough for several anti-entropy rounds, even over a lossy network.
      Math.max(10 * antiEntropyMs, 20 * options.latencyMs),
      history,
    ),
  );
}

export interface MvStoreOptions extends ApStoreOptions {
  /** Broken variant (tests only): a concurrent incoming register replaces the replica's own. */
  mergeKeepsOne?: boolean;
}

export interface MvStoreRun extends Omit<StoreRun, "finalValues"> {
  /** The siblings each completed read returned, by operation id (sorted; none for nil). */
  siblingsRead: Map<number, readonly string[]>;
  /** Per key, the siblings of the merge of every replica's register at the end (sorted). */
  finalSiblings: Map<string, readonly string[]>;
  /** Per written value (key\0value), the sibling values its replica held when it took the write. */
  superseded: Map<string, readonly string[]>;
}

/**
 * The AP store with a CRDT: any replica answers; each key a multi-value register (mv-replica.ts),
 * propagated and reconciled as the LWW store's entries are.
 */
export function runMvStore(scripts: readonly StoreScript[], options: MvStoreOptions): MvStoreRun {
  const t = topology<MvMessage>(scripts, options);
  const antiEntropyMs = options.antiEntropyMs ?? 4 * options.latencyMs;
  const superseded = new Map<string, readonly string[]>();
  const replicas = t.replicaIds.map((id) =>
    t.net.add(
      new MvReplica(id, t.net, {
        peers: t.replicaIds.filter((p) => p !== id),
        antiEntropyMs,
        mergeKeepsOne: options.mergeKeepsOne ?? false,
        superseded,
      }),
    ),
  );
  const history: CheckedOp[] = [];
  const siblingsRead = new Map<number, readonly string[]>();
  const clients = scripts.map((s, c) =>
    t.net.add(
      new ApClient(s.client, t.net, {
        replica: t.homeOf(c),
        retryMs: 5,
        timeoutMs: 1_000,
        script: s.operations,
        history,
        siblings: siblingsRead,
      }),
    ),
  );
  const byId = new Map(replicas.map((r) => [r.id, r]));
  const view: StateView<MVRegister> = {
    stateOf: (r, key) => (byId.get(r) as MvReplica).register(key),
    join: (states) => states.reduce(mvMerge, mvInitial()),
    covers: (state, target) => canonicalMv(mvMerge(state, target)) === canonicalMv(state),
    equal: (a, b) => canonicalMv(a) === canonicalMv(b),
  };
  const { finalStates, ...rest } = drive(
    t,
    scripts,
    options,
    clients,
    view,
    Math.max(10 * antiEntropyMs, 20 * options.latencyMs),
    history,
  );
  return {
    ...rest,
    siblingsRead,
    finalSiblings: new Map([...finalStates].map(([k, r]) => [k, mvValues(r).sort()])),
    superseded,
  };
}
