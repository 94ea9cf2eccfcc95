/** Counted nouns, so that every sentence reads right at 1 as at 1,000: `counted(1, "key")` is "1 key". */
export function counted(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

/** "6", "6 and 7", "6, 7 and 9". */
export function listed(items: readonly (string | number)[]): string {
  const words = items.map(String);
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}
