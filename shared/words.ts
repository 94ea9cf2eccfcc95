/** Small helpers for narration that reads as English at every value of a flag. */

/** "1 window", "3 windows"; `many` for irregular plurals ("1 entry", "2 entries"). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** 1234567 as "1,234,567": for the counts of real files (lines, bytes), read by eye. */
export function thousands(n: number): string {
  return n.toLocaleString("en");
}

/** As `plural`, with the count in thousands: "1 line", "2,000 lines". */
export function pluralThousands(n: number, one: string, many = `${one}s`): string {
  return `${thousands(n)} ${n === 1 ? one : many}`;
}
