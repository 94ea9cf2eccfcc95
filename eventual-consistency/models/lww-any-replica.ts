/**
 * The LWW store without sessions (DDIA ch. 5, "Problems with Replication Lag"; "Last write wins
 * (discarding concurrent writes)"): the `cap` scenario's AP replicas (cap/lww-replica.ts: any
 * replica answers at once from its own state, replicates afterwards, resolves concurrent writes by
 * last write wins on Lamport timestamps), but each operation of a client goes to a replica picked
 * at random, as behind a load balancer that keeps no session. Nothing ties a user's read to the
 * replica that took its last write, or to the one it last read from: the book's replication-lag
 * anomalies come back, now without a leader.
 *
 * The client is cap's `ApClient` given the list of replicas: it sends each operation to one picked
 * at random and, when a request or its reply is lost, sends it again to the same replica every
 * `retryMs` (the replica answers a resent request from its record of replies, so a write is
 * applied once); it gives up after `timeoutMs` (a write as `info`, a read as `fail`).
 *
 * Latency: the replicas are `latencyMs` apart (each link in [latencyMs / 2, 3 × latencyMs / 2]),
 * as the sites of cap/run.ts are, and every client is as near to every replica as a cap client is
 * to the replica beside it (0.2 to 1 ms), as behind a load balancer one hop from each. So the
 * `lww-any-replica` and `lww-own-replica` rows differ in where each operation goes, not in how far
 * a client is from the replica it uses.
 */

import { assert } from "../../shared/assert.js";
import type { CheckedOp } from "../../shared/check/linearizability.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace } from "../../shared/trace.js";
import { ApClient } from "../cap/ap-client.js";
import { LwwReplica } from "../cap/lww-replica.js";
import type { ApMessage } from "../cap/messages.js";
import type { ClientScript } from "../workload.js";

/** A client's link to a replica, as cap/run.ts's link between a client and the replica beside it. */
const LOCAL_LATENCY = { latencyMsMin: 0.2, latencyMsMax: 1 };

export interface AnyReplicaOptions {
  seed: number;
  replicas: number;
  /** One-way latency of every link, in the middle of [latencyMs / 2, 3 × latencyMs / 2]. */
  latencyMs: number;
  loss?: number;
  trace?: Trace;
}

/** Run the scripts against the LWW replicas, each operation to a random replica; the history. */
export function runLwwAnyReplica(
  scripts: readonly ClientScript[],
  options: AnyReplicaOptions,
): CheckedOp[] {
  const sim = new Simulation({ seed: options.seed, trace: options.trace ?? Trace.silent() });
  const net = new Network<ApMessage>(sim, {
    loss: options.loss ?? 0,
    latencyMsMin: options.latencyMs / 2,
    latencyMsMax: (options.latencyMs * 3) / 2,
  });
  const replicaIds = Array.from({ length: options.replicas }, (_, i) => `replica-${i + 1}`);
  for (const id of replicaIds)
    net.add(
      new LwwReplica(id, net, {
        peers: replicaIds.filter((p) => p !== id),
        antiEntropyMs: 4 * options.latencyMs,
      }),
    );
  for (const s of scripts)
    for (const r of replicaIds) {
      net.setLink(s.client, r, LOCAL_LATENCY);
      net.setLink(r, s.client, LOCAL_LATENCY);
    }
  const history: CheckedOp[] = [];
  const retryMs = 3 * options.latencyMs;
  const timeoutMs = 200 * options.latencyMs;
  const clients = scripts.map((s) =>
    net.add(
      new ApClient(s.client, net, {
        replica: replicaIds,
        retryMs,
        timeoutMs,
        script: s.operations,
        history,
      }),
    ),
  );
  for (const c of clients) c.begin();
  // Each operation ends by its timeout at the latest: a bound on the run, past which is a bug.
  const opsMax = Math.max(0, ...scripts.map((s) => s.operations.length));
  const thinkMax = Math.max(0, ...scripts.flatMap((s) => s.operations.map((o) => o.thinkMs)));
  const limitMs = opsMax * (thinkMax + timeoutMs + 1) + 1_000;
  const finished = sim.runUntil(() => clients.every((c) => c.done), limitMs);
  assert(
    finished,
    `the LWW store's clients did not finish by ${limitMs} ms (seed ${options.seed})`,
  );
  return history;
}
