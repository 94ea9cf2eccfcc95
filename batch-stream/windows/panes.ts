/**
 * What a stream of panes finally says about each window: the answer to hold against the batch
 * job's. In accumulating mode a window's last pane carries its whole sum; in discarding mode its
 * panes add up to it. A session that grew by merging after it had fired has panes for the smaller
 * windows it absorbed; they belong to the final session that contains them (sessions only grow,
 * and final sessions are disjoint).
 */
import type { WindowResult } from "./batch.js";
import type { Mode, Pane } from "./operator.js";

/** One result per final window (a window no other pane's window of its key contains), sorted by key then start. */
export function finalResults(panes: readonly Pane[], mode: Mode): WindowResult[] {
  const byKey = new Map<string, Pane[]>();
  for (const p of panes) {
    const list = byKey.get(p.key) ?? [];
    list.push(p);
    byKey.set(p.key, list);
  }
  const results: WindowResult[] = [];
  for (const key of [...byKey.keys()].sort()) {
    const list = byKey.get(key) as Pane[];
    // Distinct windows by start, widest first; a window inside the current widest belongs to it.
    const windows = [...new Map(list.map((p) => [`${p.start},${p.end}`, p])).values()].sort(
      (a, b) => a.start - b.start || b.end - a.end,
    );
    const finals: { start: number; end: number }[] = [];
    for (const w of windows) {
      const current = finals[finals.length - 1];
      if (current !== undefined && w.start >= current.start && w.end <= current.end) continue;
      finals.push({ start: w.start, end: w.end });
    }
    for (const f of finals) {
      const inside = list.filter((p) => p.start >= f.start && p.end <= f.end);
      const value =
        mode === "accumulating"
          ? (inside.filter((p) => p.start === f.start && p.end === f.end).at(-1)?.value ?? 0)
          : inside.reduce((sum, p) => sum + p.value, 0);
      results.push({ key, start: f.start, end: f.end, value });
    }
  }
  return results;
}
