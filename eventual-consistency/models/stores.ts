/**
 * The five stores the consistency-models scenario compares on one workload, each built elsewhere
 * in this folder and run here as it is:
 *
 * - `quorum`: ABD over majority quorums (shared/quorum, run by cap/run.ts): a write reads a
 *   majority's newest timestamp and writes above it; a read writes back what it read before
 *   answering (DDIA ch. 9, "Linearizability and quorums").
 * - `async-followers`: one leader taking every write, replicating asynchronously to followers that
 *   apply after their lag, each read sent to a follower picked at random (lag/store.ts; DDIA ch. 5,
 *   "Problems with Replication Lag").
 * - `sticky-sessions`: the same store, each user reading from one follower chosen by a hash of the
 *   user id, and only from a replica whose log has reached the farthest position of any replica
 *   that user read from before, failing over to the next follower and last to the leader (DDIA
 *   ch. 5, "Monotonic Reads").
 * - `lww-any-replica`: any replica answers from its own state and replicates afterwards, concurrent
 *   writes resolved by last write wins on Lamport timestamps (cap/lww-replica.ts; DDIA ch. 5,
 *   "Last write wins"), each operation sent to a replica picked at random: no sessions
 *   (lww-any-replica.ts).
 * - `lww-own-replica`: the same replicas, each client talking to the one beside it (cap/run.ts's
 *   AP store). Why that gives read-your-writes and monotonic reads: a replica's Lamport counter
 *   is above every timestamp it has seen and its value of a key only moves to a higher
 *   timestamp, so along program order and the reads-from edges into one client's reads (the order
 *   in which the checker calls a value older) timestamps only grow, and a client that stays on
 *   one replica never gets back a value with a lower one than it wrote or read there.
 *
 * Each store gets its topology's own latencies: the comparison is of what each history shows, not
 * of speed.
 */

import type { ConsistencyModel } from "../../shared/check/consistency.js";
import type { CheckedOp } from "../../shared/check/linearizability.js";
import type { Trace } from "../../shared/trace.js";
import { runApStore, runQuorumStore } from "../cap/run.js";
import { runLagStore } from "../lag/store.js";
import { REF } from "../refs.js";
import type { ClientScript } from "../workload.js";
import { runLwwAnyReplica } from "./lww-any-replica.js";

export interface StoreRunOptions {
  seed: number;
  loss: number;
  /** Where the run's message events go (--verbose, --json); none: a silent trace. */
  trace?: Trace;
}

/** What the scenario claims of a store's history, checked with `trace.check`. */
export interface Claim {
  model: ConsistencyModel;
  /** true: the store is built to give it; false: the store is built without it (it may break). */
  designed: boolean;
  /** Why, in a few words, for the check's detail. */
  because: string;
  /**
   * For a model the store is built without: why it cannot break it with this many clients, if it
   * cannot (then a history that keeps it shows nothing, and the check is not exercised).
   */
  unbreakable?: (clients: number) => string | undefined;
}

export interface StoreUnderTest {
  name: string;
  /** How it serves reads and writes, in one sentence. */
  how: string;
  ref: string;
  claims: readonly Claim[];
  run: (scripts: readonly ClientScript[], options: StoreRunOptions) => CheckedOp[];
}

/** Replicas of the quorum and LWW stores; followers of the leader-based ones. */
export const REPLICAS = 3;
/** One-way latency between the quorum and LWW stores' sites. */
export const SITE_LATENCY_MS = 5;
/** How long after receiving a log entry each follower applies it: a near, a middling, a far one. */
export const FOLLOWER_LAG_MS: readonly number[] = [5, 40, 120];

export const STORES: readonly StoreUnderTest[] = [
  {
    name: "quorum",
    how: `ABD over ${REPLICAS} replicas: a write asks a majority for the newest timestamp and writes above it; a read asks a majority and writes back the newest value to a majority before answering.`,
    ref: REF.quorumLinearizability,
    claims: [
      {
        model: "linearizable",
        designed: true,
        because: "majority quorums with a read's write-back",
      },
    ],
    run: (scripts, o) =>
      runQuorumStore(scripts, {
        seed: o.seed,
        replicas: REPLICAS,
        latencyMs: SITE_LATENCY_MS,
        loss: o.loss,
        trace: o.trace,
      }).history,
  },
  {
    name: "async-followers",
    how: `one leader takes every write and replicates asynchronously to ${FOLLOWER_LAG_MS.length} followers that apply it ${FOLLOWER_LAG_MS.join(", ")} ms after receiving it; each read goes to a follower picked at random.`,
    ref: REF.lag,
    claims: [
      {
        model: "read-your-writes",
        designed: false,
        because: "a read may reach a follower the user's write has not reached",
      },
      {
        model: "monotonic-reads",
        designed: false,
        because: "two reads may reach followers at different positions",
      },
    ],
    run: (scripts, o) =>
      runLagStore({
        seed: o.seed,
        scripts,
        routing: { kind: "any-follower" },
        followers: FOLLOWER_LAG_MS.length,
        lagMs: (_, follower) => FOLLOWER_LAG_MS[follower] as number,
        loss: o.loss,
        trace: o.trace,
      }).history,
  },
  {
    name: "sticky-sessions",
    how: "the same leader and followers; each user reads from one follower chosen by a hash of the user id, and every read is answered only by a replica whose log has reached the farthest position of any replica that user read from before (when the user's follower does not answer, the next follower, and last the leader).",
    ref: REF.monotonicReads,
    claims: [
      {
        model: "monotonic-reads",
        designed: true,
        because:
          "one follower per user, whose log only grows, and failover only to one as far along",
      },
      {
        model: "read-your-writes",
        designed: false,
        because: "the user's writes go to the leader and its reads to a follower that may lag",
      },
    ],
    run: (scripts, o) =>
      runLagStore({
        seed: o.seed,
        scripts,
        routing: { kind: "sticky", failover: "position" },
        followers: FOLLOWER_LAG_MS.length,
        lagMs: (_, follower) => FOLLOWER_LAG_MS[follower] as number,
        loss: o.loss,
        trace: o.trace,
      }).history,
  },
  {
    name: "lww-any-replica",
    how: `${REPLICAS} replicas, each answering from its own state and replicating afterwards, concurrent writes resolved by last write wins on Lamport timestamps; each operation goes to a replica picked at random, as behind a load balancer that keeps no session.`,
    ref: REF.lastWriteWins,
    claims: [
      {
        model: "linearizable",
        designed: false,
        because: "a replica answers before the others have the write",
      },
      {
        model: "read-your-writes",
        designed: false,
        because: "a read may reach a replica the user's write has not reached",
      },
      {
        model: "monotonic-reads",
        designed: false,
        because: "two reads may reach replicas that have seen different writes",
      },
    ],
    run: (scripts, o) =>
      runLwwAnyReplica(scripts, {
        seed: o.seed,
        replicas: REPLICAS,
        latencyMs: SITE_LATENCY_MS,
        loss: o.loss,
        trace: o.trace,
      }),
  },
  {
    name: "lww-own-replica",
    how: "the same replicas, each client sending every operation to the replica beside it (the cap scenario's AP store).",
    ref: REF.lastWriteWins,
    claims: [
      {
        model: "linearizable",
        designed: false,
        because: "a replica answers before the others have the write",
        unbreakable: (clients) =>
          clients === 1
            ? "one client, sending every operation to one replica, which holds every write it made: a single copy, which is linearizable whatever happens (--clients 2 or more)"
            : undefined,
      },
      {
        model: "read-your-writes",
        designed: true,
        because:
          "a client reads and writes at one replica, which stamps each write above every timestamp it has seen and only moves a key's value to a higher timestamp",
      },
      {
        model: "monotonic-reads",
        designed: true,
        because:
          "a client reads from one replica, whose value of a key only moves to a higher timestamp",
      },
    ],
    run: (scripts, o) =>
      runApStore(scripts, {
        seed: o.seed,
        replicas: REPLICAS,
        latencyMs: SITE_LATENCY_MS,
        loss: o.loss,
        trace: o.trace,
      }).history,
  },
];
