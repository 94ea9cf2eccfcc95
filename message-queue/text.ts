/** Lists in narration stay readable at every flag value: the first few items, then how many in all. */
export function shortList(items: readonly string[], max = 12, separator = ", "): string {
  if (items.length <= max) return items.join(separator);
  return `${items.slice(0, max).join(separator)}${separator}... (${items.length} in all)`;
}
