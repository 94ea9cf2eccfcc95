/**
 * The ground truth of "happened before" between writes, kept by the scenario as an observer, never
 * by the store under test (DDIA ch. 5, 'The "happens-before" relationship and concurrency'). A
 * write B happened after a write A when B's client knew about A when it wrote B: it had written A
 * itself earlier, or it had read A (or a value written by a client who knew about A). Two writes
 * of which neither happened before the other are concurrent.
 *
 * Each client carries the vector of the writes it knows about, one entry per client (its dots);
 * a write's vector is its client's vector just after the write. The comparison of two writes'
 * vectors (`vcCompare`) is then exactly the happens-before relation between them.
 */

import { assert } from "../../shared/assert.js";
import {
  type Ordering,
  type VectorClock,
  vcCompare,
  vcIncrement,
  vcMerge,
} from "../../shared/clocks.js";

export class Causality {
  private readonly known = new Map<string, VectorClock>();
  private readonly writes = new Map<string, VectorClock>();

  /** `client` read the value that write `writeId` wrote (null: it read nothing). */
  read(client: string, writeId: string | null): void {
    if (writeId === null) return;
    const clock = this.writes.get(writeId);
    assert(clock !== undefined, `read of unknown write ${writeId}`);
    this.known.set(client, vcMerge(this.context(client), clock));
  }

  /** `client` wrote `writeId`: the write knows everything the client knew. */
  write(client: string, writeId: string): VectorClock {
    assert(!this.writes.has(writeId), `write ${writeId} recorded twice`);
    const clock = vcIncrement(this.context(client), client);
    this.known.set(client, clock);
    this.writes.set(writeId, clock);
    return clock;
  }

  clockOf(writeId: string): VectorClock {
    const clock = this.writes.get(writeId);
    assert(clock !== undefined, `unknown write ${writeId}`);
    return clock;
  }

  /** `before`: a happened before b; `after`: b before a; `concurrent`: neither. */
  compare(a: string, b: string): Ordering {
    return vcCompare(this.clockOf(a), this.clockOf(b));
  }

  private context(client: string): VectorClock {
    return this.known.get(client) ?? {};
  }
}
