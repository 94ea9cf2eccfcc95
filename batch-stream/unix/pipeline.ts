/**
 * The book's pipeline, stage by stage, on lines held in memory (DDIA ch. 10, "Simple Log
 * Analysis"), written the way each Unix tool behaves and independently of scan.mjs, so that the
 * scenario and the tests can hold one against the other:
 *
 *   awk '{print $7}'   split each line at runs of blanks (space, tab), print the seventh field
 *   sort               sort the URLs (LC_ALL=C: byte order), so that equal URLs are neighbours
 *   uniq -c            collapse each run of equal neighbours into one line, "count URL"
 *   sort -rn           sort by that leading number, largest first; equal numbers compare as whole
 *                      lines, byte by byte, reversed too (GNU sort's last-resort comparison)
 *   head -n 5          keep the first five lines
 */

/** awk's fields with the default field separator: runs of spaces and tabs, leading ones ignored. */
export function awkFields(line: string): string[] {
  // Splitting at runs of blanks leaves an empty string only before leading or after trailing ones.
  return line.split(/[ \t]+/).filter((f) => f !== "");
}

/** Byte order for ASCII text (and code point order outside the surrogates). */
const byBytes = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface PipelineStages {
  /** awk's output: a line per input line, "" for a line with fewer than seven fields. */
  awk: string[];
  sorted: string[];
  /** uniq -c's lines, as GNU uniq prints them: the count right-aligned in seven columns. */
  uniq: string[];
  ranked: string[];
  head: string[];
}

/**
 * The pipeline over `lines`. With `dropShort`, short lines print nothing (`awk 'NF>=7{print $7}'`),
 * which is how top-urls treats them; without, awk prints an empty line for each, counted as "".
 */
export function runPipeline(lines: string[], top: number, dropShort = true): PipelineStages {
  const awk: string[] = [];
  for (const line of lines) {
    const fields = awkFields(line);
    if (fields.length >= 7) awk.push(fields[6] as string);
    else if (!dropShort) awk.push("");
  }
  const sorted = [...awk].sort(byBytes);
  const uniq: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    uniq.push(`${String(j - i).padStart(7)} ${sorted[i]}`);
    i = j;
  }
  const ranked = [...uniq].sort((a, b) => leadingNumber(b) - leadingNumber(a) || byBytes(b, a));
  return { awk, sorted, uniq, ranked, head: ranked.slice(0, top) };
}

function leadingNumber(line: string): number {
  return Number(/^\s*(\d+)/.exec(line)?.[1] ?? 0);
}

/** A `uniq -c` line as [url, count]. */
export function parseUniqLine(line: string): [string, number] {
  const match = /^\s*(\d+) (.*)$/s.exec(line);
  if (match === null) throw new Error(`not a uniq -c line: ${JSON.stringify(line)}`);
  return [match[2] as string, Number(match[1])];
}
