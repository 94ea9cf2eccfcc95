/**
 * Detecting concurrent writes (DDIA ch. 5, "Detecting Concurrent Writes"):
 *
 * - `VersionedKey`: the book's algorithm for one replica (figure 5-13). The server keeps a version
 *   number per key, incremented on every write. A read returns every value not yet overwritten
 *   (siblings) and the current version. A write carries the version of the read it was based on:
 *   the server overwrites the values with that version or lower and keeps the higher ones, which
 *   happened concurrently.
 * - `VectorReplica`: the same idea across replicas, with a version vector per value (ch. 5,
 *   "Version vectors"): a value is dropped only when a write based on a context that had seen it
 *   supersedes it.
 */

import { type VectorClock, vcMerge } from "./clocks.js";

export class VersionedKey<V> {
  private version = 0;
  private siblings: { version: number; value: V }[] = [];

  read(): { version: number; values: V[] } {
    return { version: this.version, values: this.siblings.map((s) => s.value) };
  }

  /** Write `value`, having read the key at `basedOn` (0 for a blind write). */
  write(value: V, basedOn: number): { version: number; values: V[] } {
    this.version++;
    this.siblings = [
      ...this.siblings.filter((s) => s.version > basedOn),
      { version: this.version, value },
    ];
    return this.read();
  }
}

export interface VectorValue<V> {
  /** The write itself: the replica that accepted it and that replica's counter for it. */
  dot: { replica: string; counter: number };
  /** What the writer had seen when it wrote: the context of its read (empty for a blind write). */
  context: VectorClock;
  /** The value's version vector: its context and its own dot. */
  clock: VectorClock;
  value: V;
}

/** Whether `context` has seen the write `dot`. */
const covers = (context: VectorClock, dot: VectorValue<unknown>["dot"]): boolean =>
  (context[dot.replica] ?? 0) >= dot.counter;

/**
 * One key on one replica, with a version vector per value. Each value also keeps its *dot* (the
 * replica and counter of its own write) apart from the context it was written in, as dotted
 * version vectors do (Preguiça, Baquero, Almeida, Fonte and Gonçalves 2012, used by Riak): a value
 * is superseded only by a write whose context has seen its dot. With whole vectors alone, two
 * clients writing through one replica from the same context would get equal vectors, and one
 * write would silently replace the other though neither had seen it.
 */
export class VectorReplica<V> {
  siblings: VectorValue<V>[] = [];
  /** This replica's counter: the last dot it gave a write. */
  private counter = 0;

  constructor(readonly id: string) {}

  /** The context a client reads: every sibling and the merge of their vectors. */
  read(): { context: VectorClock; values: V[] } {
    return {
      context: this.siblings.reduce<VectorClock>((c, s) => vcMerge(c, s.clock), {}),
      values: this.siblings.map((s) => s.value),
    };
  }

  /** A client's write, based on `context`: it supersedes exactly the siblings that context covers. */
  write(value: V, context: VectorClock): void {
    this.counter = Math.max(this.counter, context[this.id] ?? 0) + 1;
    const dot = { replica: this.id, counter: this.counter };
    this.siblings = [
      ...this.siblings.filter((s) => !covers(context, s.dot)),
      { dot, context, clock: vcMerge(context, { [this.id]: this.counter }), value },
    ];
  }

  /**
   * Anti-entropy with another replica: keep every value (once) whose write no other value's
   * writer had seen.
   */
  mergeFrom(other: VectorReplica<V>): void {
    const all = [...this.siblings, ...other.siblings];
    const same = (a: VectorValue<V>, b: VectorValue<V>) =>
      a.dot.replica === b.dot.replica && a.dot.counter === b.dot.counter;
    this.siblings = all.filter(
      (s, i) =>
        !all.some((t) => !same(s, t) && covers(t.context, s.dot)) &&
        all.findIndex((t) => same(s, t)) === i,
    );
    for (const s of all) this.counter = Math.max(this.counter, s.clock[this.id] ?? 0);
  }
}
