/**
 * Detecting concurrent writes (DDIA ch. 5, "Detecting Concurrent Writes"):
 *
 * - `VersionedKey`: the book's algorithm for one replica (figure 5-13). The server keeps a version
 *   number per key, incremented on every write. A read returns every value not yet overwritten
 *   (siblings) and the current version. A write carries the version of the read it was based on:
 *   the server overwrites the values with that version or lower and keeps the higher ones, which
 *   happened concurrently.
 * - `VectorReplica`: the same idea across replicas, with a version vector per value (ch. 5,
 *   "Version vectors"): a value is dropped only when another value's vector dominates its own.
 */

import { type VectorClock, vcCompare, vcIncrement, vcMerge } from "./clocks.js";

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
  clock: VectorClock;
  value: V;
}

export class VectorReplica<V> {
  siblings: VectorValue<V>[] = [];

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
    const clock = vcIncrement(context, this.id);
    this.siblings = [
      ...this.siblings.filter((s) => vcCompare(s.clock, clock) === "concurrent"),
      { clock, value },
    ];
  }

  /** Anti-entropy with another replica: keep every value no other value dominates. */
  mergeFrom(other: VectorReplica<V>): void {
    const all = [...this.siblings, ...other.siblings];
    this.siblings = all.filter(
      (s, i) =>
        !all.some((t, j) => j !== i && vcCompare(s.clock, t.clock) === "before") &&
        all.findIndex((t) => vcCompare(t.clock, s.clock) === "equal") === i,
    );
  }
}
