/**
 * Payloads of a state-based CRDT as replicas would hold them, built without a network: for a
 * benchmark of merges per second, or a test that wants realistic payloads. `updates` updates are
 * made at random replicas; after each, with probability `syncProbability`, one random replica
 * merges in another's payload, so the payloads share some history and differ in the rest (as
 * gossiping replicas do).
 */

import { type VectorClock, vcMerge } from "../../shared/clocks.js";
import { Random } from "../../shared/random.js";
import type { AnyCrdt, Recorded, Stamp } from "./crdt.js";
import { replicaName } from "./run.js";

export interface PayloadOptions {
  seed: number;
  replicas: number;
  updates: number;
  syncProbability?: number;
}

export function reachablePayloads(
  crdt: AnyCrdt,
  options: PayloadOptions,
): { payloads: unknown[]; history: Recorded<unknown>[] } {
  const t = crdt.stateBased;
  const random = new Random(options.seed).fork(`payloads/${crdt.name}`);
  const ids = Array.from({ length: options.replicas }, (_, i) => replicaName(i));
  const payloads: unknown[] = ids.map(() => t.initial());
  const contexts: VectorClock[] = ids.map(() => ({}));
  const seqs = ids.map(() => 0);
  const history: Recorded<unknown>[] = [];
  for (let n = 1; n <= options.updates; n++) {
    const i = random.int(0, ids.length - 1);
    const update = crdt.randomUpdate(random, n, t.value(payloads[i]));
    seqs[i] = (seqs[i] ?? 0) + 1;
    const stamp: Stamp = { replica: ids[i] as string, seq: seqs[i] as number, clockMs: n };
    history.push({ update, stamp, context: contexts[i] as VectorClock });
    payloads[i] = t.update(payloads[i], update, stamp);
    contexts[i] = { ...contexts[i], [stamp.replica]: stamp.seq };
    if (ids.length > 1 && random.chance(options.syncProbability ?? 0.3)) {
      const to = random.int(0, ids.length - 1);
      const from = random.int(0, ids.length - 1);
      payloads[to] = t.merge(payloads[to], payloads[from]);
      contexts[to] = vcMerge(contexts[to] as VectorClock, contexts[from] as VectorClock);
    }
  }
  return { payloads, history };
}
