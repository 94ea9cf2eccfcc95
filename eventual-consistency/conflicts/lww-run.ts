/**
 * A random run of the last-write-wins store (lww.ts): one client per replica, each doing
 * read-modify-writes (read a key at its replica, then write a new value to it, as client B's
 * increment in the book's figure 8-3), while replication is asynchronous over a lossy network.
 * Once every write has reached every replica, each acknowledged write is judged against the
 * converged value of its key, using the observer's happens-before (causality.ts), never the
 * store's timestamps.
 *
 * The fate of an acknowledged write w whose key converged to the value of write v:
 * - `kept`: v is w.
 * - `overwritten`: w happened before v; a write that knew about w replaced it, as it should.
 * - `lost-concurrent`: w and v are concurrent; LWW keeps one of two concurrent writes and
 *   discards the other by design (DDIA ch. 5, "Last write wins (discarding concurrent writes)").
 * - `vanished`: v happened before w. A write that causally followed v was acknowledged, and yet
 *   the store converged to v: the anomaly of the book's figure 8-3.
 */

import { assert } from "../../shared/assert.js";
import type { VectorClock } from "../../shared/clocks.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace } from "../../shared/trace.js";
import { clientName, keyName } from "../workload.js";
import { Causality } from "./causality.js";
import { type ClockKind, type LwwMessage, LwwReplica, type Timestamp } from "./lww.js";

export interface LwwRunOptions {
  kind: ClockKind;
  /** Replicas, and as many clients (client-i writes through replica ri). */
  replicas: number;
  /** Writes in all, dealt to the clients in turn. */
  writes: number;
  keys: number;
  /** Each replica's clock offset is drawn uniformly from [-skewMs, +skewMs]. */
  skewMs: number;
  loss: number;
  seed: number;
  trace?: Trace;
}

export interface WriteRecord {
  id: string;
  client: string;
  replica: string;
  key: string;
  /** The write whose value the client read just before writing; null if the key was empty. */
  readFrom: string | null;
  timestamp: Timestamp;
  /** The observer's vector of the writes this one knows about. */
  clock: VectorClock;
  timeMs: number;
}

export type Fate = "kept" | "overwritten" | "lost-concurrent" | "vanished";

export interface LwwResult {
  writes: WriteRecord[];
  /** Each write's fate; empty when the replicas did not converge. */
  fates: Map<string, Fate>;
  /** The converged winner per key (null: never written). */
  final: Map<string, string | null>;
  converged: boolean;
  offsetsMs: number[];
  /** Largest clock offset minus smallest. */
  spreadMs: number;
  latencyMsMin: number;
  causality: Causality;
  replicaIds: string[];
}

export const LATENCY_MS_MIN = 1;
export const LATENCY_MS_MAX = 10;
const THINK_MS_MIN = 1;
const THINK_MS_MAX = 20;
/** Time after the last write for every replication to be acknowledged. */
const LIVENESS_MS = 600_000;

export const replicaName = (i: number): string => `r${i + 1}`;

export function runLww(options: LwwRunOptions): LwwResult {
  const trace = options.trace ?? Trace.silent();
  const sim = new Simulation({ seed: options.seed, trace });
  const net = new Network<LwwMessage>(sim, {
    loss: options.loss,
    latencyMsMin: LATENCY_MS_MIN,
    latencyMsMax: LATENCY_MS_MAX,
  });
  const replicaIds = Array.from({ length: options.replicas }, (_, i) => replicaName(i));
  const clockRandom = sim.random.fork("clocks");
  const offsetsMs = replicaIds.map(() => clockRandom.uniform(-options.skewMs, options.skewMs));
  const replicas = replicaIds.map((id, i) => {
    const replica = net.add(
      new LwwReplica(
        id,
        net,
        options.kind,
        () => replicaIds.filter((p) => p !== id),
        false,
        formatTimestamp(options.kind),
      ),
    );
    replica.clock.offsetMs = offsetsMs[i] ?? 0;
    return replica;
  });

  const causality = new Causality();
  const writes: WriteRecord[] = [];
  const keys = Array.from({ length: options.keys }, (_, i) => keyName(i));
  const workload = sim.random.fork("workload");
  const clientTimeMs = replicaIds.map(() => 0);
  let done = 0;
  for (let n = 0; n < options.writes; n++) {
    const c = n % options.replicas;
    const replica = replicas[c] as LwwReplica;
    const client = clientName(c);
    const key = workload.pick(keys);
    const atMs = (clientTimeMs[c] ?? 0) + workload.uniform(THINK_MS_MIN, THINK_MS_MAX);
    clientTimeMs[c] = atMs;
    sim.at(atMs, () => {
      // Writes are named in the order they happen, so w7 was written before w8.
      const id = `w${writes.length + 1}`;
      // Read, then write at once: the write causally follows whatever the read returned.
      const read = replica.read(key);
      causality.read(client, read?.writeId ?? null);
      const clock = causality.write(client, id);
      const outcome = replica.write(key, id, id);
      writes.push({
        id,
        client,
        replica: replica.id,
        key,
        readFrom: read?.writeId ?? null,
        timestamp: outcome.timestamp,
        clock,
        timeMs: sim.now,
      });
      done++;
    });
  }
  const lastMs = Math.max(0, ...clientTimeMs);
  sim.runUntil(
    () => done === options.writes && replicas.every((r) => r.quiescent),
    lastMs + LIVENESS_MS,
  );

  const final = new Map<string, string | null>();
  let converged = done === options.writes;
  for (const key of keys) {
    const winners = replicas.map((r) => r.read(key)?.writeId ?? null);
    if (winners.some((w) => w !== winners[0])) converged = false;
    final.set(key, winners[0] ?? null);
  }
  const fates = converged ? fatesOf(writes, final, causality) : new Map<string, Fate>();
  return {
    writes,
    fates,
    final,
    converged,
    offsetsMs,
    spreadMs: Math.max(...offsetsMs) - Math.min(...offsetsMs),
    latencyMsMin: LATENCY_MS_MIN,
    causality,
    replicaIds,
  };
}

/** Judge every write against the converged winner of its key (see the header). */
export function fatesOf(
  writes: readonly WriteRecord[],
  final: ReadonlyMap<string, string | null>,
  causality: Causality,
): Map<string, Fate> {
  const fates = new Map<string, Fate>();
  for (const w of writes) {
    const winner = final.get(w.key) ?? null;
    assert(winner !== null, `key ${w.key} was written (${w.id}) but converged to nothing`);
    if (winner === w.id) {
      fates.set(w.id, "kept");
      continue;
    }
    const order = causality.compare(winner, w.id);
    assert(order !== "equal", `two writes ${winner} and ${w.id} with one causal history`);
    fates.set(
      w.id,
      order === "after" ? "overwritten" : order === "before" ? "vanished" : "lost-concurrent",
    );
  }
  return fates;
}

export function countFates(result: LwwResult): Record<Fate, number> {
  const counts: Record<Fate, number> = {
    kept: 0,
    overwritten: 0,
    "lost-concurrent": 0,
    vanished: 0,
  };
  for (const fate of result.fates.values()) counts[fate]++;
  return counts;
}

export function formatTimestamp(kind: ClockKind): (t: Timestamp) => string {
  return kind === "physical"
    ? (t) => `${t.time.toFixed(1)} ms @${t.node}`
    : (t) => `(${t.time}, ${t.node})`;
}
