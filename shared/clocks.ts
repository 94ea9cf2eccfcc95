/**
 * Clocks (DDIA chapter 8, "Unreliable Clocks", and chapter 5/9 on ordering).
 *
 * - A physical clock per node reads `simTime * (1 + drift) + offset`: a time-of-day clock that
 *   may be skewed and may jump (an NTP step) but is only ever read, never trusted.
 * - A Lamport clock is a counter that ticks on every event and, on receipt, moves past both its own
 *   value and the received one (max + 1, as in Lamport 1978, where a receipt is itself an event;
 *   DDIA ch. 9, "Lamport timestamps", takes the maximum and ticks on the next event: same order).
 * - A version vector (vector clock) is a counter per node; two of them compare as before, after,
 *   equal, or concurrent ("Detecting Concurrent Writes").
 */

export class PhysicalClock {
  constructor(
    /** Milliseconds added to simulated time. */
    public offsetMs = 0,
    /** Relative rate error: 0.0001 means the clock gains 100 µs per simulated second. */
    public drift = 0,
  ) {}

  read(simTimeMs: number): number {
    return simTimeMs * (1 + this.drift) + this.offsetMs;
  }

  /** Step the clock, as NTP does when the offset is too large to slew. */
  jump(deltaMs: number): void {
    this.offsetMs += deltaMs;
  }
}

/** Lamport clock: tick before every local event or send. */
export function lamportTick(clock: number): number {
  return clock + 1;
}

/** Lamport clock: on receipt, move past both the local and the received timestamp. */
export function lamportMerge(local: number, received: number): number {
  return Math.max(local, received) + 1;
}

/** A vector clock: a counter per node id; a missing entry counts as 0. */
export type VectorClock = Readonly<Record<string, number>>;

export type Ordering = "before" | "after" | "equal" | "concurrent";

export function vcIncrement(clock: VectorClock, node: string): VectorClock {
  return { ...clock, [node]: (clock[node] ?? 0) + 1 };
}

/** The least upper bound: the entry-wise maximum. */
export function vcMerge(a: VectorClock, b: VectorClock): VectorClock {
  const out: Record<string, number> = { ...a };
  for (const [node, count] of Object.entries(b)) {
    if (count > (out[node] ?? 0)) out[node] = count;
  }
  return out;
}

/**
 * `before` when a happened before b (a ≤ b entry-wise and a ≠ b), `after` for the converse,
 * `equal` when every entry matches, `concurrent` otherwise.
 */
export function vcCompare(a: VectorClock, b: VectorClock): Ordering {
  let aBigger = false;
  let bBigger = false;
  for (const node of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[node] ?? 0;
    const y = b[node] ?? 0;
    if (x > y) aBigger = true;
    else if (y > x) bBigger = true;
  }
  if (aBigger && bBigger) return "concurrent";
  if (aBigger) return "after";
  if (bBigger) return "before";
  return "equal";
}
