/** Hand-written traces the diagram tests share. */
import type { TraceEvent } from "../../../shared/trace.js";

const msg = (type: string) => ({ type });

/** Two runs: a broken variant (a duplicate, a loss, a crash) and the fixed one (a partition). */
export const twoRuns: TraceEvent[] = [
  { kind: "section", title: "broken" },
  { kind: "run", time: 0 },
  { kind: "send", time: 1, id: 1, from: "c", to: "n1", msg: msg("Put") },
  { kind: "deliver", time: 3, id: 1, from: "c", to: "n1", msg: msg("Put") },
  { kind: "deliver", time: 4, id: 1, from: "c", to: "n1", msg: msg("Put") },
  { kind: "send", time: 5, id: 2, from: "n1", to: "n2", msg: msg("Replicate") },
  { kind: "drop", time: 5, id: 2, from: "n1", to: "n2", msg: msg("Replicate"), reason: "loss" },
  { kind: "note", time: 6, node: "n1", text: "acknowledges", level: "story" },
  { kind: "crash", time: 7, node: "n2" },
  { kind: "send", time: 8, id: 3, from: "n1", to: "n2", msg: msg("Replicate") },
  { kind: "drop", time: 9, id: 3, from: "n1", to: "n2", msg: msg("Replicate"), reason: "crashed" },
  { kind: "recover", time: 12, node: "n2" },
  { kind: "send", time: 13, id: 4, from: "n1", to: "c", msg: msg("PutOk") },
  { kind: "section", title: "fixed" },
  { kind: "run", time: 0 },
  { kind: "partition", time: 2, groups: [["a"], ["b"]] },
  { kind: "send", time: 3, id: 1, from: "a", to: "b", msg: "not an object" },
  { kind: "drop", time: 3, id: 1, from: "a", to: "b", msg: "not an object", reason: "partition" },
  { kind: "heal", time: 10 },
  { kind: "send", time: 11, id: 2, from: "a", to: "b", msg: msg("Ping") },
  { kind: "deliver", time: 14, id: 2, from: "a", to: "b", msg: msg("Ping") },
];
