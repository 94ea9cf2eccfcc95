/** Small helpers for narration that reads as English at every value of a flag. */

/** "1 window", "3 windows"; `many` for irregular plurals ("1 entry", "2 entries"). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
