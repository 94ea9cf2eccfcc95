/** Small statistics for load tables and latency reports. */

export function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : sum(values) / values.length;
}

export function max(values: readonly number[]): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > best) best = v;
  return values.length === 0 ? 0 : best;
}

export function min(values: readonly number[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (const v of values) if (v < best) best = v;
  return values.length === 0 ? 0 : best;
}

/**
 * Load imbalance as max/mean: 1.0 is perfectly even; 2.0 means the busiest node carries twice
 * its fair share (DDIA chapter 6 calls such a node a hot spot).
 */
export function maxOverMean(values: readonly number[]): number {
  const m = mean(values);
  return m === 0 ? 0 : max(values) / m;
}

/** The p-th percentile (0..100) by the nearest-rank method on a copy of the values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** Count occurrences: the load of each bucket. */
export function countBy<T>(items: Iterable<T>, keyOf: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const key = keyOf(item);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Format a fraction as a percentage with one decimal: 0.2512 → "25.1%". */
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}
