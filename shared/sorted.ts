/** Binary search on sorted arrays: ring tokens, key-range boundaries, and later log offsets. */

/** The first index whose item is >= target (items.length if none). */
export function lowerBound<T extends string | number>(items: ArrayLike<T>, target: T): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((items[mid] as T) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose item is > target (items.length if none): the count of items <= target. */
export function upperBound<T extends string | number>(items: ArrayLike<T>, target: T): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((items[mid] as T) <= target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
