/**
 * One replicated run of one CRDT, state-based or operation-based, on the simulated network.
 *
 * Safety phase: `updates` updates arrive at random replicas at random moments during the first
 * UPDATES_WINDOW_MS, while the network loses and duplicates messages with the given
 * probabilities and reorders them through random latency. Liveness phase: the network heals (no
 * more loss or duplication); the replicas keep replicating until all their payloads are equal and
 * stay so for STABLE_MS (or LIMIT_MS after the heal passes); then gossip stops, unacknowledged
 * operations are sent until acknowledged, and the network drains. The run records every update
 * (what, where, its causal past) so the result can be judged against the type's specification
 * without trusting any replica.
 */

import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import type { AnyCrdt, Recorded } from "./crdt.js";
import type { CrdtMessage } from "./messages.js";
import { type DeliveryStats, OpReplica } from "./op-replica.js";
import { StateReplica } from "./state-replica.js";

export type Mode = "state-based" | "op-based";

export const UPDATES_WINDOW_MS = 1_000;
/** How long the healed network gets to converge before the run gives up. */
export const LIMIT_MS = 5_000;
export const GOSSIP_MS = 50;
export const RETRY_MS_MIN = 30;
export const RETRY_MS_MAX = 240;
export const WATCH_MS = 5;
/** How long payloads must stay equal to count as converged: two gossip rounds. */
export const STABLE_MS = 2 * GOSSIP_MS;

export interface CrdtRunOptions {
  seed: number;
  replicas: number;
  updates: number;
  loss: number;
  duplicate: number;
  /**
   * For tests only: judge an op-based run converged as soon as the payloads are equal, as this
   * run once did. Wrong: a counter's payload is one integer, and replicas that applied different
   * operations can hold equal integers ({+1, -1} and {} both give 0) for a while.
   */
  payloadsOnly?: boolean;
}

export interface CrdtRun {
  crdt: string;
  mode: Mode;
  history: Recorded<unknown>[];
  /** Each replica's value after the network drained, as text, in replica order. */
  values: string[];
  /** Whether every replica's payload is equal after the network drained. */
  equal: boolean;
  expected: string;
  /** Whether every replica shows the expected value. */
  correct: boolean;
  /**
   * Simulated ms from the last update until every replica reflected every update, for good:
   * state-based, every payload equal (each then holds the least upper bound of all updates) and
   * still equal STABLE_MS later; op-based, every operation applied at every replica (and the
   * payloads equal). Undefined if that did not happen within LIMIT_MS of the heal.
   */
  convergedAfterMs: number | undefined;
  /** Op-based: simulated ms from the last update until the last operation was applied anywhere. */
  deliveredAfterMs: number | undefined;
  sent: number;
  dropped: number;
  duplicated: number;
  /** State-based: payloads merged. */
  merges: number;
  /** Operation-based: what the delivery layer did, summed over the replicas. */
  delivery: DeliveryStats;
}

export const replicaName = (i: number): string => String.fromCharCode(65 + i);

/** A merge at one replica, as a state-based run's observer sees it. */
export interface MergeEvent {
  atMs: number;
  replica: string;
  from: string;
  before: unknown;
  received: unknown;
  after: unknown;
  /** Updates made so far, per replica that made them. */
  madeBy: Readonly<Record<string, number>>;
}

export function runCrdt(
  crdt: AnyCrdt,
  mode: Mode,
  options: CrdtRunOptions,
  trace: Trace,
  onMerge?: (merge: MergeEvent) => void,
): CrdtRun {
  const sim = new Simulation({ seed: options.seed, trace, maxEvents: 20_000_000 });
  const net = new Network<CrdtMessage>(sim, {
    latencyMsMin: 1,
    latencyMsMax: 10,
    loss: options.loss,
    duplicate: options.duplicate,
  });
  const history: Recorded<unknown>[] = [];
  const madeBy = () => {
    const counts: Record<string, number> = {};
    for (const r of history) counts[r.stamp.replica] = r.stamp.seq;
    return counts;
  };
  const ids = Array.from({ length: options.replicas }, (_, i) => replicaName(i));
  const peersOf = (id: string) => ids.filter((p) => p !== id);
  const replicas =
    mode === "state-based"
      ? ids.map((id) =>
          net.add(
            new StateReplica(id, net, crdt.stateBased, {
              peers: peersOf(id),
              gossipMs: GOSSIP_MS,
              ...(onMerge
                ? {
                    onMerge: (m: Omit<MergeEvent, "atMs" | "madeBy">) =>
                      onMerge({ ...m, atMs: sim.now, madeBy: madeBy() }),
                  }
                : {}),
            }),
          ),
        )
      : ids.map((id) =>
          net.add(
            new OpReplica(id, net, crdt.opBased, {
              peers: peersOf(id),
              retryMsMin: RETRY_MS_MIN,
              retryMsMax: RETRY_MS_MAX,
            }),
          ),
        );
  const type = mode === "state-based" ? crdt.stateBased : crdt.opBased;
  const canonical = (r: (typeof replicas)[number]) => type.canonical(r.state);

  // The workload: the same moments and replicas for every CRDT and mode at one seed.
  const random = sim.random.fork("workload");
  const times = Array.from({ length: options.updates }, () =>
    random.uniform(0, UPDATES_WINDOW_MS),
  ).sort((a, b) => a - b);
  times.forEach((time, n) => {
    const replica = replicas[random.int(0, replicas.length - 1)] as (typeof replicas)[number];
    const choice = random.fork(`update/${n}`);
    sim.at(time, () => {
      const update = crdt.randomUpdate(choice, n + 1, type.value(replica.state));
      const { stamp, context } = replica.update(update);
      history.push({ update, stamp, context });
    });
  });
  const lastUpdateMs = times.at(-1) ?? 0;
  sim.at(UPDATES_WINDOW_MS, () => {
    net.loss = 0;
    net.duplicate = 0;
  });

  // Converged: every replica reflects every update, and still does STABLE_MS later. State-based,
  // equal payloads suffice: each payload includes its own replica's updates, so payloads that are
  // all equal each include every update, and stay equal (a late payload is already included); a
  // merge that is not idempotent changes them again at the next gossip round, so the broken
  // counter is not taken for converged. Op-based, equal payloads do not suffice (replicas that
  // applied {+1, -1} and {} both hold 0), so every replica must also have applied every operation.
  const reflectsAll = (r: (typeof replicas)[number]) =>
    !(r instanceof OpReplica) || options.payloadsOnly === true || r.appliedCount === history.length;
  let convergedAtMs: number | undefined;
  let equalSinceMs: number | undefined;
  const watch = () => {
    const first = canonical(replicas[0] as (typeof replicas)[number]);
    if (!replicas.every((r) => canonical(r) === first && reflectsAll(r))) equalSinceMs = undefined;
    else if (equalSinceMs === undefined) equalSinceMs = sim.now;
    if (equalSinceMs !== undefined && sim.now - equalSinceMs >= STABLE_MS)
      convergedAtMs = equalSinceMs;
    else sim.schedule(WATCH_MS, watch);
  };
  sim.at(lastUpdateMs, watch);
  sim.runUntil(() => convergedAtMs !== undefined, UPDATES_WINDOW_MS + LIMIT_MS);

  // Stop replicating and let what is in flight arrive.
  for (const r of replicas) if (r instanceof StateReplica) r.stop();
  sim.run(sim.now + LIMIT_MS);

  const expected = crdt.showValue(crdt.expected(history));
  const values = replicas.map((r) => crdt.showValue(type.value(r.state)));
  const first = canonical(replicas[0] as (typeof replicas)[number]);
  const delivery: DeliveryStats = { resent: 0, duplicatesIgnored: 0, heldBack: 0 };
  let merges = 0;
  for (const r of replicas) {
    if (r instanceof OpReplica) {
      delivery.resent += r.stats.resent;
      delivery.duplicatesIgnored += r.stats.duplicatesIgnored;
      delivery.heldBack += r.stats.heldBack;
    } else merges += r.merges;
  }
  return {
    crdt: crdt.name,
    mode,
    history,
    values,
    equal: replicas.every((r) => canonical(r) === first),
    expected,
    correct: values.every((v) => v === expected),
    convergedAfterMs: convergedAtMs === undefined ? undefined : convergedAtMs - lastUpdateMs,
    deliveredAfterMs:
      mode === "op-based" && history.length > 0
        ? Math.max(...replicas.map((r) => (r instanceof OpReplica ? r.lastAppliedMs : -1))) -
          lastUpdateMs
        : undefined,
    sent: net.stats.sent,
    dropped: net.stats.dropped.loss,
    duplicated: net.stats.duplicated,
    merges,
    delivery,
  };
}
