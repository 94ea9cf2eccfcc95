/**
 * Consistency models of a register history (DDIA ch. 9, "Linearizability" and "Ordering
 * Guarantees"; ch. 5, "Problems with Replication Lag"): which of these a history satisfies, and for
 * each one it does not, an explanation in one sentence naming the operations.
 *
 * The history: `:read` and `:write` operations on one or several registers (keys), each register
 * starting at nil, every value written at most once per key (so a read names the write it read
 * from). Processes are sequential: each has one operation outstanding at a time.
 *
 * Outcomes (Jepsen's): an `ok` operation happened; a `fail` write did not; a `fail` or `info` read
 * constrains nothing and is dropped; an `info` write happened if some read returned its value, and
 * is otherwise dropped. Dropping it is exact, not just safe: a write nobody read can be removed
 * from any legal order and the order stays legal (no read returned it, so the latest write before
 * each read is unchanged), and it precedes nothing in the orders below, so no constraint is lost.
 * An `info` write that was read took effect some time after its invocation, perhaps after its
 * process's later operations: it follows its process's earlier operations and precedes none.
 *
 * Orders. Program order PO: each process's operations in invocation order (an `info` write precedes
 * nothing). Reads-from RF: the write whose value a read returned (values are unique). Causal order
 * CO = (PO ∪ RF)+, Lamport's happened-before for shared memory (Ahamad et al. 1995). A serialization
 * is *legal* when each read returns the value of the latest write to its key before it, or nil if
 * there is none. A process's *view* is all the writes and that process's own operations.
 *
 * - linearizable (Herlihy and Wing 1990): a legal total order that respects real time (an operation
 *   that returned before another was invoked comes first) and PO (which real time contains, except
 *   that the linearizability checker takes operations that touch as concurrent: a process's
 *   operation invoked at the instant its last one returned still follows it). Decided by
 *   `checkLinearizable`, per key.
 * - sequential (Lamport 1979, "How to make a multiprocessor computer that correctly executes
 *   multiprocess programs"): one legal total order of all operations that respects PO.
 * - causal (causal memory: Ahamad, Neiger, Burns, Kohli and Hutto 1995, "Causal memory:
 *   definitions, implementation, and programming"): for each process, a legal serialization of its
 *   view that respects CO.
 * - pram (Lipton and Sandberg 1988, "PRAM: a scalable shared memory"): for each process, a legal
 *   serialization of its view that respects PO.
 *
 * Each implies the next: a linearization is a sequential order (real time contains PO); a legal
 * total order restricted to a view is legal (every write stays) and respects CO (it respects PO,
 * and RF because it is legal); a view's order that respects CO respects PO.
 *
 * Session guarantees (Terry, Demers, Petersen, Spreitzer, Theimer and Welch 1994, "Session
 * guarantees for weakly consistent replicated data"; a session is a process). Terry et al. define
 * them on servers' databases and a write order, neither of which a history shows. With unique
 * values and no versions, a violation is *observable* when a read of process p on key x returns nil,
 * or a value w0 older than a write w to x that the guarantee says p must already see, where "w must
 * be seen" is:
 *
 * - read-your-writes: p wrote w before the read;
 * - monotonic-reads: p read w before the read;
 * - monotonic-writes: w was written by another process q before q wrote a value p read before the
 *   read (q's writes reach p in q's order);
 * - writes-follow-reads: another process q read w before writing a value p read before the read
 *   (a write follows the writes its session read);
 *
 * and "w0 is older than w" means w0 precedes w in (PO ∪ RF_p)+, RF_p being the reads-from edges into
 * p's own reads (the order p's PRAM view must respect), for the first three, and in CO for
 * writes-follow-reads. So under PRAM read-your-writes, monotonic reads and monotonic writes have
 * no witness (each pattern puts w0 before w before the read in p's view), and under causal memory
 * none of the four has. That is all `true` means for a session guarantee: no witness within one
 * session. Terry et al. assume one write order that every server applies, under which sessions
 * that are each fine alone can disagree (process 2 reads 1 then 2, process 3 reads 2 then 1:
 * monotonic reads fails for one of them whatever the order, though the history is causal memory);
 * this checker does not search for that order, and does not claim their guarantees hold. (Viotti
 * and Vukolić 2016, "Consistency in non-transactional distributed storage systems", state that
 * causal consistency implies all four, but their causal model has one arbitration order, which is
 * stronger than Ahamad et al.'s causal memory.) The converse does not hold either: these patterns
 * are what one read can show, and a history can show none and still not be PRAM. A read of a value
 * nobody wrote breaks the four memory models and none of the session guarantees.
 *
 * The search. Cheap necessary conditions first, each with its sentence: a read of a value never
 * written; a cycle in the order; then saturation, which adds the orders every legal serialization
 * must have: if a read r returns w1 and another write w2 to the key precedes r, then w2 precedes
 * w1; if w1 precedes w2, then r precedes w2; a read of nil precedes every write to its key. A
 * contradiction (w1 before w2 before r, or a write before a read of nil) is a violation. What is
 * left goes to a depth-first search for the serialization, memoised on (operations placed, value of
 * each key) and bounded by a step budget; a model it cannot decide within the budget is undecided,
 * never guessed. Two moves are made without branching, and neither loses a solution: a read that
 * matches the current value (moved to the front of any legal completion, it reads the same value
 * and changes nothing), and a write whose value no remaining read returns while no remaining read
 * needs its key's current value (moved to the front, it is overwritten before any read that could
 * see it). The search branches only on writes some remaining read needs, and never overwrites a
 * value a remaining read still needs (values are unique: it could not come back).
 *
 * Checking causal memory is NP-complete in general and polynomial for histories with unique values
 * (Bouajjani, Enea, Guerraoui and Hamza 2017, "On verifying causal consistency"); this checker does
 * not implement their characterisation: it saturates and searches, as above.
 */

import { ednString } from "./edn.js";
import {
  type CheckedOp,
  checkLinearizable,
  type Model,
  registerModel,
  SearchCache,
  SearchLimitExceeded,
} from "./linearizability.js";

export const MODEL_NAMES = [
  "linearizable",
  "sequential",
  "causal",
  "pram",
  "read-your-writes",
  "monotonic-reads",
  "monotonic-writes",
  "writes-follow-reads",
] as const;
export type ConsistencyModel = (typeof MODEL_NAMES)[number];

/** The four memory models, strongest first: each implies the next. */
const MEMORY_MODELS = ["linearizable", "sequential", "causal", "pram"] as const;
const SESSION_MODELS = [
  "read-your-writes",
  "monotonic-reads",
  "monotonic-writes",
  "writes-follow-reads",
] as const;

export interface Violation {
  model: ConsistencyModel;
  /** The process whose view or session fails, when there is one. */
  process?: string;
  message: string;
  ops: CheckedOp[];
}

export interface Classification {
  operations: number;
  /** true: holds; false: violated; null: undecided within the step budget. */
  models: Record<ConsistencyModel, boolean | null>;
  /** The strongest of linearizable, sequential, causal and PRAM shown to hold, if any. */
  strongest: (typeof MEMORY_MODELS)[number] | null;
  violations: Violation[];
  undecided: { model: ConsistencyModel; reason: string }[];
}

export interface ClassifyOptions {
  /** Search steps per model and history before giving up as undecided. */
  maxSteps?: number;
  /**
   * Use the implications (linearizable ⇒ sequential ⇒ causal ⇒ PRAM ⇒ the session guarantees
   * each implies) to skip work. Tests turn this off to check every model on its own.
   */
  shortcuts?: boolean;
  /** Where an operation is, for sentences: "line 7" for a file (the default), "at 12 ms"... */
  place?: (op: CheckedOp) => string;
}

/** A history this checker cannot judge: an operation other than read and write, or a value written twice. */
export class ConsistencyInputError extends Error {
  override name = "ConsistencyInputError";
  constructor(
    readonly op: CheckedOp,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_MAX_STEPS = 1_000_000;

const NIL = -1;
const THIN_AIR = -2;

interface Node {
  op: CheckedOp;
  index: number;
  write: boolean;
  key: string;
  /** The value written or read, in canonical EDN (equal exactly when equal by content). */
  value: string;
  process: string;
  /** Position among its process's operations, in invocation order. */
  poIndex: number;
  /** An `info` write (that was read): it follows its process's earlier operations and precedes none. */
  info: boolean;
  /** For a read: the node it read from, NIL, or THIN_AIR (no write that happened wrote it). */
  from: number;
}

interface Prepared {
  nodes: Node[];
  byProcess: Map<string, Node[]>;
  writesByKey: Map<string, Node[]>;
  /** The PO predecessor each node is chained to (the latest earlier non-info operation), or -1. */
  poPred: number[];
  /** ok writes that failed, by key and value: to name them when a read returns their value. */
  failedWrites: Map<string, CheckedOp>;
}

/** Apply the outcome rules and refuse what the checker cannot judge (see the header). */
function prepare(ops: readonly CheckedOp[], place: (op: CheckedOp) => string): Prepared {
  for (const op of ops)
    if (op.f !== "read" && op.f !== "write")
      throw new ConsistencyInputError(op, "the consistency checker accepts :read and :write v");
  // Values by canonical EDN text: equal exactly when ednEquals says so (content equality, under
  // which ##NaN equals ##NaN), so a read names the write of an equal value.
  const readValues = new Set<string>();
  for (const op of ops)
    if (op.f === "read" && op.outcome === "ok")
      readValues.add(`${op.key}\u0000${ednString(op.output)}`);
  // An info write nobody read is dropped (see the header) before the values are checked: it
  // cannot matter, so a value it repeats, or a nil it writes, does not make the history unjudgeable.
  const unreadInfo = (op: CheckedOp) =>
    op.f === "write" &&
    op.outcome === "info" &&
    !readValues.has(`${op.key}\u0000${ednString(op.input)}`);
  const writes = new Map<string, CheckedOp>();
  const failedWrites = new Map<string, CheckedOp>();
  for (const op of ops) {
    if (op.f !== "write" || unreadInfo(op)) continue;
    const id = `${op.key}\u0000${ednString(op.input)}`;
    if (op.outcome === "fail") {
      failedWrites.set(id, op);
      continue;
    }
    if (op.input === null || op.input === undefined)
      throw new ConsistencyInputError(
        op,
        "a write of nil, the value every key starts with: the consistency checker needs each written value to differ from nil and from every other value written to its key",
      );
    const first = writes.get(id);
    if (first !== undefined)
      throw new ConsistencyInputError(
        op,
        `${ednString(op.input)} is written${op.key === "" ? "" : ` to key ${op.key}`} a second time (first at ${place(first)}): the consistency checker needs each value written to a key to be unique`,
      );
    writes.set(id, op);
  }
  const kept = ops.filter((op) =>
    op.f === "read"
      ? op.outcome === "ok"
      : op.outcome === "ok" || (op.outcome === "info" && !unreadInfo(op)),
  );
  const nodes: Node[] = [];
  const byProcess = new Map<string, Node[]>();
  const writesByKey = new Map<string, Node[]>();
  const writerOf = new Map<string, number>();
  const ordered = [...kept].sort((a, b) => a.callTime - b.callTime || a.id - b.id);
  const previous = new Map<string, CheckedOp>();
  for (const op of ordered) {
    const last = previous.get(op.process);
    if (last !== undefined && last.outcome !== "info" && op.callTime < last.returnTime)
      throw new ConsistencyInputError(
        op,
        `process ${op.process} invokes an operation before its last one returned (at ${place(last)}): a process runs one operation at a time`,
      );
    previous.set(op.process, op);
  }
  for (const op of ordered) {
    const list = byProcess.get(op.process) ?? [];
    byProcess.set(op.process, list);
    const write = op.f === "write";
    const value = ednString(write ? op.input : op.output);
    const node: Node = {
      op,
      index: nodes.length,
      write,
      key: op.key,
      value,
      process: op.process,
      poIndex: list.length,
      info: write && op.outcome === "info",
      from: NIL,
    };
    nodes.push(node);
    list.push(node);
    if (write) {
      writerOf.set(`${op.key}\u0000${value}`, node.index);
      const ws = writesByKey.get(op.key) ?? [];
      ws.push(node);
      writesByKey.set(op.key, ws);
    }
  }
  for (const node of nodes) {
    if (node.write || node.value === "nil") continue;
    node.from = writerOf.get(`${node.key}\u0000${node.value}`) ?? THIN_AIR;
  }
  const poPred = new Array<number>(nodes.length).fill(-1);
  for (const list of byProcess.values()) {
    let last = -1;
    for (const node of list) {
      poPred[node.index] = last;
      if (!node.info) last = node.index;
    }
  }
  return { nodes, byProcess, writesByKey, poPred, failedWrites };
}

/** a precedes b in program order. */
function po(a: Node, b: Node): boolean {
  return a.process === b.process && a.poIndex < b.poIndex && !a.info;
}

// ---- Bitsets: before[v] holds every u that must precede v. -------------------------------------

type Bits = Uint32Array;
const popcount = (bits: Bits) => {
  let count = 0;
  for (let w = 0; w < bits.length; w++) {
    let x = (bits[w] as number) - (((bits[w] as number) >>> 1) & 0x55555555);
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    count += (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return count;
};
const has = (bits: Bits, i: number) => ((bits[i >>> 5] as number) & (1 << (i & 31))) !== 0;
const setBit = (bits: Bits, i: number) => {
  bits[i >>> 5] = (bits[i >>> 5] as number) | (1 << (i & 31));
};

/**
 * The transitive closure of the edges (preds[v]: the nodes with an edge into v), as ancestor
 * bitsets; or a cycle, in order, when there is one.
 */
function closure(n: number, preds: readonly number[][]): { before: Bits[] } | { cycle: number[] } {
  const words = Math.ceil(n / 32) || 1;
  const succs: number[][] = Array.from({ length: n }, () => []);
  const indegree = new Int32Array(n);
  for (let v = 0; v < n; v++)
    for (const u of preds[v] as number[]) {
      (succs[u] as number[]).push(v);
      indegree[v] = (indegree[v] as number) + 1;
    }
  const order: number[] = [];
  for (let v = 0; v < n; v++) if (indegree[v] === 0) order.push(v);
  for (let i = 0; i < order.length; i++)
    for (const s of succs[order[i] as number] as number[]) {
      indegree[s] = (indegree[s] as number) - 1;
      if (indegree[s] === 0) order.push(s);
    }
  if (order.length < n) {
    // Every node left has a predecessor left: walk back until a node repeats.
    const left = (v: number) => (indegree[v] as number) > 0;
    let v = 0;
    while (!left(v)) v++;
    const seen = new Map<number, number>();
    const path: number[] = [];
    while (!seen.has(v)) {
      seen.set(v, path.length);
      path.push(v);
      v = (preds[v] as number[]).find(left) as number;
    }
    return { cycle: path.slice(seen.get(v)).reverse() };
  }
  // One buffer for all the rows: a closure of 5,000 nodes is 5,000 rows of 157 words.
  const buffer = new Uint32Array(n * words);
  const before = Array.from({ length: n }, (_, v) => buffer.subarray(v * words, (v + 1) * words));
  for (const v of order) {
    const bv = before[v] as Bits;
    for (const u of preds[v] as number[]) {
      const bu = before[u] as Bits;
      for (let w = 0; w < words; w++) bv[w] = (bv[w] as number) | (bu[w] as number);
      setBit(bv, u);
    }
  }
  return { before };
}

/**
 * Reachability along the edges even when they form a cycle (then a node can precede itself): a
 * walk back from each node. Only the session guarantees need it, on a history with a cycle.
 */
function reachability(n: number, preds: readonly number[][]): Bits[] {
  const words = Math.ceil(n / 32) || 1;
  return Array.from({ length: n }, (_, v) => {
    const bits = new Uint32Array(words);
    const stack = [...(preds[v] as number[])];
    while (stack.length > 0) {
      const u = stack.pop() as number;
      if (has(bits, u)) continue;
      setBit(bits, u);
      stack.push(...(preds[u] as number[]));
    }
    return bits;
  });
}

/** Add u → v (and everything it implies) to a transitively closed relation. */
function addEdge(before: Bits[], u: number, v: number): void {
  const from = before[u] as Bits;
  for (let x = 0; x < before.length; x++) {
    const bx = before[x] as Bits;
    if (x !== v && !has(bx, v)) continue;
    for (let w = 0; w < bx.length; w++) bx[w] = (bx[w] as number) | (from[w] as number);
    setBit(bx, u);
  }
}

// ---- Sentences ---------------------------------------------------------------------------------

type Place = (op: CheckedOp) => string;

function describe(op: CheckedOp, place: Place): string {
  const key = op.key === "" ? "" : ` ${op.key}`;
  return op.f === "read"
    ? `process ${op.process} read${key} → ${ednString(op.output)} (${place(op)})`
    : `process ${op.process} write${key} ${ednString(op.input)} (${place(op)})`;
}

// ---- Saturation and search over one view -------------------------------------------------------

type Contradiction =
  | { kind: "overwritten"; read: Node; source: Node; between: Node }
  | { kind: "nil"; read: Node; write: Node };

/** An order saturation derives, and the contradiction it is when the reverse order already holds. */
interface Derived {
  u: number;
  v: number;
  contradiction: Contradiction;
}

/**
 * Add the orders every legal serialization of the view must have (see the header), until nothing
 * changes; return the saturated order, or the first contradiction. `preds` are the view's base
 * edges and `start` their closure (not modified); `reads` are the view's reads (none thin-air).
 * Each pass collects the new orders against the closure of the last one and then closes them all
 * at once: maintaining the closure edge by edge costs a row per descendant for every edge.
 */
function saturate(
  p: Prepared,
  preds: readonly number[][],
  start: Bits[],
  reads: readonly Node[],
  inView: (i: number) => boolean,
): { before: Bits[] } | Contradiction {
  let before = start;
  const extra: number[][] = preds.map(() => []);
  for (;;) {
    const found: Derived[] = [];
    const seen = new Set<number>();
    const derive = (u: number, v: number, contradiction: Contradiction) => {
      // Skip what the closure already has, or this pass already found.
      if (has(before[v] as Bits, u) || seen.has(u * preds.length + v)) return;
      seen.add(u * preds.length + v);
      found.push({ u, v, contradiction });
    };
    // The number of predecessors orders the nodes along the relation (a linear extension): it
    // lets each read keep only the nearest of the writes it orders, the rest following from them.
    const rank = before.map(popcount);
    const byRank = (a: Node, b: Node) => (rank[a.index] as number) - (rank[b.index] as number);
    /** The nodes of `list` (sorted by rank) that no other node of `list` precedes. */
    const minimal = (list: Node[]) => {
      const kept: Node[] = [];
      for (const n of list)
        if (!kept.some((k) => has(before[n.index] as Bits, k.index))) kept.push(n);
      return kept;
    };
    /** The nodes of `list` (sorted by rank) that precede no other node of `list`. */
    const maximal = (list: Node[]) => {
      const kept: Node[] = [];
      for (let i = list.length - 1; i >= 0; i--) {
        const n = list[i] as Node;
        if (!kept.some((k) => has(before[k.index] as Bits, n.index))) kept.push(n);
      }
      return kept;
    };
    for (const r of reads) {
      const writes = (p.writesByKey.get(r.key) ?? []).filter(
        (w) => inView(w.index) && w.index !== r.from,
      );
      const br = before[r.index] as Bits;
      if (r.from === NIL) {
        const earlier = writes.find((w2) => has(br, w2.index));
        if (earlier !== undefined) return { kind: "nil", read: r, write: earlier };
        for (const w2 of minimal(writes.sort(byRank)))
          derive(r.index, w2.index, { kind: "nil", read: r, write: w2 });
        continue;
      }
      const w1 = p.nodes[r.from] as Node;
      const overwritten = (w2: Node): Contradiction => ({
        kind: "overwritten",
        read: r,
        source: w1,
        between: w2,
      });
      const beforeRead: Node[] = [];
      const afterSource: Node[] = [];
      for (const w2 of writes) {
        const w1BeforeW2 = has(before[w2.index] as Bits, w1.index);
        if (has(br, w2.index)) {
          if (w1BeforeW2) return overwritten(w2);
          beforeRead.push(w2);
        } else if (w1BeforeW2) afterSource.push(w2);
      }
      for (const w2 of maximal(beforeRead.sort(byRank)))
        derive(w2.index, w1.index, overwritten(w2));
      for (const w2 of minimal(afterSource.sort(byRank)))
        derive(r.index, w2.index, overwritten(w2));
    }
    if (found.length === 0) return { before };
    for (const { u, v } of found) (extra[v] as number[]).push(u);
    const next = closure(
      preds.length,
      preds.map((list, v) => [...list, ...(extra[v] as number[])]),
    );
    if ("before" in next) {
      before = next.before;
      continue;
    }
    // The new orders close a cycle: add them one at a time to find the one that does. Each was
    // derived from a read and the writes around it, and closing a cycle is that triple's
    // contradiction (w1 before w2 before r, or a write before a read of nil).
    const eager = before.map((bits) => bits.slice());
    for (const { u, v, contradiction } of found) {
      if (has(eager[u] as Bits, v)) return contradiction;
      addEdge(eager, u, v);
    }
    throw new Error("saturation: a cycle that no single derived order closes (a bug)");
  }
}

class OutOfSteps extends Error {}

/** Where the search got furthest, for the sentence when it finds no order. */
interface Deepest {
  placed: number;
  /** A read the search could not place there, and the write its key held (NIL: nil). */
  read?: Node;
  holds?: number;
}

/**
 * Is there a legal serialization of the view's nodes that respects `before`? Depth-first, with the
 * two moves that need no branching, memoised on (nodes placed, value of each key).
 */
function serializable(
  p: Prepared,
  view: readonly number[],
  before: Bits[],
  budget: { left: number },
  deepest: Deepest = { placed: -1 },
): boolean {
  const n = p.nodes.length;
  const words = Math.ceil(n / 32) || 1;
  const mask = new Uint32Array(words);
  for (const v of view) setBit(mask, v);
  const keys = [...p.writesByKey.keys()];
  for (const v of view) {
    const key = (p.nodes[v] as Node).key;
    if (!keys.includes(key)) keys.push(key);
  }
  const keyOf = new Map(keys.map((k, i) => [k, i]));
  const keyIndex = new Int32Array(n);
  for (const v of view) keyIndex[v] = keyOf.get((p.nodes[v] as Node).key) as number;
  const predLeft = new Int32Array(n);
  const succs: number[][] = Array.from({ length: n }, () => []);
  for (const v of view) {
    const bv = before[v] as Bits;
    let count = 0;
    for (let w = 0; w < words; w++) {
      let bits = ((bv[w] as number) & (mask[w] as number)) >>> 0;
      while (bits !== 0) {
        const low = bits & -bits;
        const u = (w << 5) + 31 - Math.clz32(low);
        (succs[u] as number[]).push(v);
        count++;
        bits = (bits ^ low) >>> 0;
      }
    }
    predLeft[v] = count;
  }
  // Remaining reads of each write's value, and of nil per key.
  const readersLeft = new Int32Array(n);
  const nilLeft = new Int32Array(keys.length);
  for (const v of view) {
    const node = p.nodes[v] as Node;
    if (node.write) continue;
    if (node.from === NIL)
      nilLeft[keyIndex[v] as number] = (nilLeft[keyIndex[v] as number] as number) + 1;
    else readersLeft[node.from] = (readersLeft[node.from] as number) + 1;
  }
  const current = new Int32Array(keys.length).fill(NIL);
  const ready = new Set<number>();
  for (const v of view) if (predLeft[v] === 0) ready.add(v);
  const done = new Uint8Array(n);
  // Created at the first branch: most views are placed by the free moves alone.
  let cache: SearchCache | undefined;
  const explored = () => {
    if (cache === undefined) {
      cache = new SearchCache(n);
      for (const v of view) if (done[v] === 1) cache.flip(v);
    }
    return !cache.add(current.join(","));
  };
  let remaining = view.length;
  const neededNow = (k: number) => {
    const c = current[k] as number;
    return c === NIL ? (nilLeft[k] as number) > 0 : (readersLeft[c] as number) > 0;
  };
  // An undo record for a write: the value it replaced.
  const replaced: number[] = [];
  const apply = (v: number) => {
    const node = p.nodes[v] as Node;
    ready.delete(v);
    remaining--;
    done[v] = 1;
    cache?.flip(v);
    const k = keyIndex[v] as number;
    if (node.write) {
      replaced.push(current[k] as number);
      current[k] = v;
    } else if (node.from === NIL) nilLeft[k] = (nilLeft[k] as number) - 1;
    else readersLeft[node.from] = (readersLeft[node.from] as number) - 1;
    for (const s of succs[v] as number[]) {
      predLeft[s] = (predLeft[s] as number) - 1;
      if (predLeft[s] === 0) ready.add(s);
    }
  };
  const unapply = (v: number) => {
    const node = p.nodes[v] as Node;
    for (const s of succs[v] as number[]) {
      if (predLeft[s] === 0) ready.delete(s);
      predLeft[s] = (predLeft[s] as number) + 1;
    }
    const k = keyIndex[v] as number;
    if (node.write) current[k] = replaced.pop() as number;
    else if (node.from === NIL) nilLeft[k] = (nilLeft[k] as number) + 1;
    else readersLeft[node.from] = (readersLeft[node.from] as number) + 1;
    cache?.flip(v);
    remaining++;
    done[v] = 0;
    ready.add(v);
  };
  const free = (v: number): boolean => {
    const node = p.nodes[v] as Node;
    const k = keyIndex[v] as number;
    if (!node.write) return node.from === (current[k] as number);
    return readersLeft[v] === 0 && !neededNow(k);
  };
  /**
   * One level of the search: the free moves it made, the writes it may branch on, the next one
   * to try, and the one applied now (-1: none). The levels live on an explicit stack, so a deep
   * search (one level per branch, thousands on a long history) never overflows the call stack.
   */
  interface Level {
    applied: number[];
    candidates: number[];
    next: number;
    tried: number;
  }
  /** Make the free moves; true when everything is placed, else the level that branches. */
  const enter = (): Level | true => {
    if (--budget.left < 0) throw new OutOfSteps();
    const applied: number[] = [];
    for (let moved = true; moved; ) {
      moved = false;
      for (const v of ready)
        if (free(v)) {
          apply(v);
          applied.push(v);
          moved = true;
          break;
        }
    }
    if (remaining === 0) return true;
    const placed = view.length - remaining;
    if (placed > deepest.placed) {
      // When anything is left, a read is: with no read left, every write would be free.
      let stuck: number | undefined;
      for (const v of ready) if (!(p.nodes[v] as Node).write) stuck ??= v;
      stuck ??= view.find((v) => done[v] === 0 && !(p.nodes[v] as Node).write);
      if (stuck !== undefined) {
        deepest.placed = placed;
        deepest.read = p.nodes[stuck] as Node;
        deepest.holds = current[keyIndex[stuck] as number] as number;
      }
    }
    const candidates = explored()
      ? []
      : [...ready]
          .filter((v) => (p.nodes[v] as Node).write && !neededNow(keyIndex[v] as number))
          .sort((a, b) => a - b);
    return { applied, candidates, next: 0, tried: -1 };
  };
  const first = enter();
  if (first === true) return true;
  const stack: Level[] = [first];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Level;
    if (top.tried >= 0) {
      unapply(top.tried);
      top.tried = -1;
    }
    if (top.next < top.candidates.length) {
      const w = top.candidates[top.next++] as number;
      apply(w);
      top.tried = w;
      const level = enter();
      if (level === true) return true;
      stack.push(level);
    } else {
      for (let i = top.applied.length - 1; i >= 0; i--) unapply(top.applied[i] as number);
      stack.pop();
    }
  }
  return false;
}

// ---- The models --------------------------------------------------------------------------------

type Verdict =
  | { holds: true }
  | { holds: false; violations: Violation[] }
  | { holds: null; reason: string };

interface Context {
  p: Prepared;
  place: Place;
  maxSteps: number;
  /** (PO ∪ RF)+, or a cycle; computed once. */
  causal?: { before: Bits[] } | { cycle: number[] };
}

/** Each node's predecessors in PO ∪ RF, with RF edges only into reads `rfInto` accepts. */
function edges(ctx: Context, rfInto: (read: Node) => boolean): number[][] {
  return ctx.p.nodes.map((node) => {
    const list: number[] = [];
    const pred = ctx.p.poPred[node.index] as number;
    if (pred >= 0) list.push(pred);
    if (!node.write && node.from >= 0 && rfInto(node)) list.push(node.from);
    return list;
  });
}

function causalOrder(ctx: Context): { before: Bits[] } | { cycle: number[] } {
  if (ctx.causal === undefined)
    ctx.causal = closure(
      ctx.p.nodes.length,
      edges(ctx, () => true),
    );
  return ctx.causal;
}

function thinAir(ctx: Context, model: ConsistencyModel, process?: string): Violation[] {
  return ctx.p.nodes
    .filter(
      (n) => !n.write && n.from === THIN_AIR && (process === undefined || n.process === process),
    )
    .slice(0, 1)
    .map((n) => {
      const failed = ctx.p.failedWrites.get(`${n.key}\u0000${n.value}`);
      return {
        model,
        process: n.process,
        message: `${describe(n.op, ctx.place)} returns a value ${failed ? `only a failed write wrote (${describe(failed, ctx.place)})` : `no write${n.key === "" ? "" : ` to ${n.key}`} wrote`}`,
        ops: failed ? [n.op, failed] : [n.op],
      };
    });
}

function cycleViolation(
  ctx: Context,
  model: ConsistencyModel,
  cycle: number[],
  process?: string,
): Violation {
  const nodes = cycle.map((i) => ctx.p.nodes[i] as Node);
  const steps = nodes.map((node, i) => {
    const next = nodes[(i + 1) % nodes.length] as Node;
    const why =
      !next.write && next.from === node.index ? "is read by" : "comes before, in its process,";
    return `${describe(node.op, ctx.place)} ${why}`;
  });
  return {
    model,
    ...(process === undefined ? {} : { process }),
    message: `the operations precede each other in a cycle: ${steps.join(" ")} ${describe((nodes[0] as Node).op, ctx.place)}`,
    ops: nodes.map((n) => n.op),
  };
}

function contradictionViolation(
  ctx: Context,
  model: ConsistencyModel,
  c: Contradiction,
  where: string,
  process?: string,
): Violation {
  const d = (n: Node) => describe(n.op, ctx.place);
  const p = process === undefined ? {} : { process };
  if (c.kind === "nil")
    return {
      model,
      ...p,
      message: `${d(c.read)} returns nil, but ${d(c.write)} precedes it ${where}`,
      ops: [c.read.op, c.write.op],
    };
  return {
    model,
    ...p,
    message: `${d(c.read)} reads from ${d(c.source)}, but ${d(c.between)} comes between the two ${where}, overwriting the value`,
    ops: [c.read.op, c.source.op, c.between.op],
  };
}

/** "the longest order the search found places 5 of 9 operations, and then ... with x holding 2 (...)". */
function stuckAt(ctx: Context, deepest: Deepest, total: number): string {
  const read = deepest.read;
  if (read === undefined) return "the search found no order at all";
  const holds =
    deepest.holds === undefined || deepest.holds === NIL
      ? "nil"
      : describe((ctx.p.nodes[deepest.holds] as Node).op, ctx.place);
  return `the longest order the search found places ${deepest.placed} of ${total} operations, and cannot go on to ${describe(read.op, ctx.place)} while ${read.key === "" ? "the register" : read.key} holds ${holds === "nil" ? "nil" : `the value of ${holds}`}`;
}

/** Sequential consistency: one legal total order of everything, respecting PO. */
function sequential(ctx: Context): Verdict {
  const air = thinAir(ctx, "sequential");
  if (air.length > 0) return { holds: false, violations: air };
  const co = causalOrder(ctx);
  if ("cycle" in co)
    return { holds: false, violations: [cycleViolation(ctx, "sequential", co.cycle)] };
  const reads = ctx.p.nodes.filter((n) => !n.write);
  const c = saturate(
    ctx.p,
    edges(ctx, () => true),
    co.before,
    reads,
    () => true,
  );
  if (!("before" in c))
    return {
      holds: false,
      violations: [
        contradictionViolation(
          ctx,
          "sequential",
          c,
          "in every total order that respects each process's order and explains every other read",
        ),
      ],
    };
  const budget = { left: ctx.maxSteps };
  const deepest: Deepest = { placed: -1 };
  try {
    if (
      serializable(
        ctx.p,
        ctx.p.nodes.map((n) => n.index),
        c.before,
        budget,
        deepest,
      )
    )
      return { holds: true };
  } catch (error) {
    if (error instanceof OutOfSteps)
      return {
        holds: null,
        reason: `the search used up its ${ctx.maxSteps.toLocaleString("en")} steps`,
      };
    throw error;
  }
  return {
    holds: false,
    violations: [
      {
        model: "sequential",
        message: `no total order of the ${ctx.p.nodes.length} operations that respects each process's order explains every read: ${stuckAt(ctx, deepest, ctx.p.nodes.length)}`,
        ops: deepest.read ? [deepest.read.op] : [],
      },
    ],
  };
}

/**
 * Causal memory or PRAM: for each process with reads, a legal serialization of its view that
 * respects CO (causal) or PO with the reads-from edges into its own reads (PRAM).
 */
function perProcess(ctx: Context, model: "causal" | "pram"): Verdict {
  const violations: Violation[] = [];
  let undecided: string | undefined;
  const budget = { left: ctx.maxSteps };
  const co = model === "causal" ? causalOrder(ctx) : undefined;
  if (co !== undefined && "cycle" in co)
    return { holds: false, violations: [cycleViolation(ctx, model, co.cycle)] };
  const where = (process: string) =>
    model === "causal"
      ? `in every order of process ${process}'s view that respects causality and explains its other reads`
      : `in every order of process ${process}'s view that respects each process's order and explains its other reads`;
  for (const [process, own] of ctx.p.byProcess) {
    const reads = own.filter((n) => !n.write);
    if (reads.length === 0) continue;
    const air = thinAir(ctx, model, process);
    if (air.length > 0) {
      violations.push(...air);
      continue;
    }
    const preds = edges(ctx, (read) => model === "causal" || read.process === process);
    const order = co ?? closure(ctx.p.nodes.length, preds);
    if ("cycle" in order) {
      violations.push(cycleViolation(ctx, model, order.cycle, process));
      continue;
    }
    const inView = (i: number) => {
      const node = ctx.p.nodes[i] as Node;
      return node.write || node.process === process;
    };
    const c = saturate(ctx.p, preds, order.before, reads, inView);
    if (!("before" in c)) {
      violations.push(contradictionViolation(ctx, model, c, where(process), process));
      continue;
    }
    const before = c.before;
    const view = ctx.p.nodes.filter((n) => inView(n.index)).map((n) => n.index);
    const deepest: Deepest = { placed: -1 };
    try {
      if (!serializable(ctx.p, view, before, budget, deepest))
        violations.push({
          model,
          process,
          message: `no order of process ${process}'s view (every write and its own operations) that respects ${model === "causal" ? "causality" : "each process's order"} explains its reads: ${stuckAt(ctx, deepest, view.length)}`,
          ops: deepest.read ? [deepest.read.op] : [],
        });
    } catch (error) {
      if (!(error instanceof OutOfSteps)) throw error;
      undecided = `the search used up its ${ctx.maxSteps.toLocaleString("en")} steps on process ${process}'s view`;
      break;
    }
  }
  if (violations.length > 0) return { holds: false, violations };
  if (undecided !== undefined) return { holds: null, reason: undecided };
  return { holds: true };
}

/** (PO ∪ RF_p)+: program order, and reads-from into `process`'s own reads. */
function viewOrder(ctx: Context, process: string): { before: Bits[] } | { cycle: number[] } {
  return closure(
    ctx.p.nodes.length,
    edges(ctx, (read) => read.process === process),
  );
}

/** The four session guarantees, each as the observable violation defined in the header. */
function sessions(ctx: Context): Record<(typeof SESSION_MODELS)[number], Violation[]> {
  const out: Record<(typeof SESSION_MODELS)[number], Violation[]> = {
    "read-your-writes": [],
    "monotonic-reads": [],
    "monotonic-writes": [],
    "writes-follow-reads": [],
  };
  const { nodes, byProcess, writesByKey } = ctx.p;
  const d = (n: Node) => describe(n.op, ctx.place);
  const n = nodes.length;
  const co = causalOrder(ctx);
  const coBefore =
    "cycle" in co
      ? reachability(
          n,
          edges(ctx, () => true),
        )
      : co.before;
  // Each process's first read of each write (by position in that process).
  const firstReadBy = new Map<string, Map<number, Node>>();
  for (const [process, own] of byProcess) {
    const first = new Map<number, Node>();
    for (const n of own) if (!n.write && n.from >= 0 && !first.has(n.from)) first.set(n.from, n);
    firstReadBy.set(process, first);
  }
  for (const [process, own] of byProcess) {
    const order = viewOrder(ctx, process);
    const pBefore =
      "cycle" in order
        ? reachability(
            n,
            edges(ctx, (read) => read.process === process),
          )
        : order.before;
    const older = (w0: number, w: number, before: Bits[]) => has(before[w] as Bits, w0);
    // For each other process q: the latest (in q's order) of q's writes p has read so far, and the read.
    const latestRead = new Map<string, { write: Node; read: Node }>();
    const found = new Set<string>();
    for (const r of own) {
      if (r.write) continue;
      if (r.from === THIN_AIR) continue;
      const w0 = r.from >= 0 ? (nodes[r.from] as Node) : undefined;
      const violates = (w: Node, before: Bits[]) =>
        w.index !== r.from && (w0 === undefined || older(w0.index, w.index, before));
      const returned = (w: Node) =>
        w0 === undefined ? "nil" : `the value of ${d(w0)}, which precedes ${d(w)}`;
      for (const w of writesByKey.get(r.key) ?? []) {
        if (!found.has("read-your-writes") && po(w, r) && violates(w, pBefore)) {
          found.add("read-your-writes");
          out["read-your-writes"].push({
            model: "read-your-writes",
            process,
            message: `${d(r)} comes after ${d(w)} in the same process, yet returns ${returned(w)}`,
            ops: [r.op, w.op, ...(w0 ? [w0.op] : [])],
          });
        }
        const seen = firstReadBy.get(process)?.get(w.index);
        if (
          !found.has("monotonic-reads") &&
          seen !== undefined &&
          seen.poIndex < r.poIndex &&
          violates(w, pBefore)
        ) {
          found.add("monotonic-reads");
          out["monotonic-reads"].push({
            model: "monotonic-reads",
            process,
            message: `${d(r)} comes after ${d(seen)} in the same process, yet returns ${returned(w)}`,
            ops: [r.op, seen.op, w.op, ...(w0 ? [w0.op] : [])],
          });
        }
        if (w.process === process) continue;
        const latest = latestRead.get(w.process);
        if (
          !found.has("monotonic-writes") &&
          latest !== undefined &&
          po(w, latest.write) &&
          violates(w, pBefore)
        ) {
          found.add("monotonic-writes");
          out["monotonic-writes"].push({
            model: "monotonic-writes",
            process,
            message: `${d(r)} comes after ${d(latest.read)}, whose value process ${w.process} wrote after ${d(w)}, yet returns ${returned(w)}`,
            ops: [r.op, latest.read.op, latest.write.op, w.op, ...(w0 ? [w0.op] : [])],
          });
        }
      }
      // writes-follow-reads: q read w (from another write) before writing a value p has read.
      if (!found.has("writes-follow-reads"))
        for (const [q, latest] of latestRead) {
          const qReads = byProcess.get(q) ?? [];
          const hit = qReads.find(
            (r1) =>
              !r1.write &&
              r1.from >= 0 &&
              r1.poIndex < latest.write.poIndex &&
              (nodes[r1.from] as Node).key === r.key &&
              violates(nodes[r1.from] as Node, coBefore),
          );
          if (hit === undefined) continue;
          const w = nodes[hit.from] as Node;
          found.add("writes-follow-reads");
          out["writes-follow-reads"].push({
            model: "writes-follow-reads",
            process,
            message: `${d(r)} comes after ${d(latest.read)}, whose value process ${q} wrote after ${d(hit)}, yet returns ${returned(w)}`,
            ops: [r.op, latest.read.op, latest.write.op, hit.op, w.op, ...(w0 ? [w0.op] : [])],
          });
          break;
        }
      // Now r itself counts as read: it may raise the latest write of its writer that p has seen.
      if (w0 !== undefined && w0.process !== process) {
        const latest = latestRead.get(w0.process);
        if (latest === undefined || latest.write.poIndex < w0.poIndex)
          latestRead.set(w0.process, { write: w0, read: r });
      }
    }
  }
  return out;
}

/**
 * Classify a register history against every model. Throws ConsistencyInputError for a history it
 * cannot judge (see `prepare`).
 */
export function classify(ops: readonly CheckedOp[], options: ClassifyOptions = {}): Classification {
  const place = options.place ?? ((op: CheckedOp) => `line ${op.line ?? op.callTime}`);
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const shortcuts = options.shortcuts ?? true;
  const ctx: Context = { p: prepare(ops, place), place, maxSteps };
  const models = Object.fromEntries(MODEL_NAMES.map((m) => [m, null])) as Classification["models"];
  const violations: Violation[] = [];
  const undecided: Classification["undecided"] = [];
  // A later verdict on a model (one implied by another model) replaces its "undecided".
  const record = (model: ConsistencyModel, verdict: Verdict) => {
    const at = undecided.findIndex((u) => u.model === model);
    if (at >= 0) undecided.splice(at, 1);
    models[model] = verdict.holds;
    if (verdict.holds === false) violations.push(...verdict.violations);
    if (verdict.holds === null) undecided.push({ model, reason: verdict.reason });
  };
  const implied = (model: ConsistencyModel, by: ConsistencyModel): Verdict => ({
    holds: false,
    violations: [
      { model, message: `it is not ${by}, and every ${model} history is ${by}`, ops: [] },
    ],
  });

  record("linearizable", linearizable(ctx));
  if (shortcuts && models.linearizable === true) {
    for (const m of MODEL_NAMES) models[m] = true;
    return finish(ops.length, models, violations, undecided);
  }
  record("causal", perProcess(ctx, "causal"));
  if (shortcuts && models.causal === false) record("sequential", implied("sequential", "causal"));
  else record("sequential", sequential(ctx));
  if (shortcuts && models.sequential === true && models.causal === null) {
    // Sequential consistency implies causal memory: what the causal search could not decide is.
    record("causal", { holds: true });
  }
  if (shortcuts && models.causal === true) models.pram = true;
  else record("pram", perProcess(ctx, "pram"));
  if (shortcuts) {
    // A model left undecided is violated when a weaker one is: each implies the next.
    for (const [i, m] of MEMORY_MODELS.entries()) {
      if (models[m] !== null) continue;
      const weaker = MEMORY_MODELS.slice(i + 1).find((w) => models[w] === false);
      if (weaker === undefined) continue;
      record(m, implied(m, weaker));
    }
  }
  let session: ReturnType<typeof sessions> | undefined;
  for (const m of SESSION_MODELS) {
    const impliedByPram = m !== "writes-follow-reads" && models.pram === true;
    if (shortcuts && (models.causal === true || impliedByPram)) {
      models[m] = true;
      continue;
    }
    session ??= sessions(ctx);
    const found = session[m];
    record(m, found.length === 0 ? { holds: true } : { holds: false, violations: found });
  }
  if (shortcuts) {
    // A memory model still undecided is violated when a session guarantee's witness shows: no
    // PRAM history has a read-your-writes, monotonic-reads or monotonic-writes witness, and no
    // causal one a writes-follow-reads witness (see the header), nor does any stronger model.
    const pramBreaker = (["read-your-writes", "monotonic-reads", "monotonic-writes"] as const).find(
      (m) => models[m] === false,
    );
    for (const m of MEMORY_MODELS) {
      if (models[m] !== null) continue;
      const by =
        pramBreaker ??
        (m !== "pram" && models["writes-follow-reads"] === false
          ? "writes-follow-reads"
          : undefined);
      if (by === undefined) continue;
      record(m, {
        holds: false,
        violations: [
          {
            model: m,
            message: `it has a ${by} witness within one session, and no ${m} history has one`,
            ops: [],
          },
        ],
      });
    }
  }
  return finish(ops.length, models, violations, undecided);
}

function finish(
  operations: number,
  models: Classification["models"],
  violations: Violation[],
  undecided: Classification["undecided"],
): Classification {
  const order = new Map(MODEL_NAMES.map((m, i) => [m, i]));
  violations.sort((a, b) => (order.get(a.model) as number) - (order.get(b.model) as number));
  undecided.sort((a, b) => (order.get(a.model) as number) - (order.get(b.model) as number));
  const strongest = MEMORY_MODELS.find((m) => models[m] === true) ?? null;
  return { operations, models, strongest, violations, undecided };
}

/**
 * The operations with their times replaced by ranks that keep real time and add program order.
 * The linearizability checker takes operations that touch (one invoked at the instant another
 * returned) as concurrent; within a process they are not: the process invoked the second after
 * the first returned. So each return that its process's next invocation touches is ranked just
 * before that invocation, and before the other returns at that instant, which stay concurrent
 * with the calls there. (Jepsen histories never touch: each line is its own instant.)
 */
function withProgramOrder(p: Prepared): { ops: CheckedOp[]; original: Map<CheckedOp, CheckedOp> } {
  // next.get(a) = b: b is a's process's next operation and is invoked at or before a returns.
  const next = new Map<Node, Node>();
  for (const list of p.byProcess.values())
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1] as Node;
      const b = list[i] as Node;
      if (!a.info && b.op.callTime <= a.op.returnTime) next.set(a, b);
    }
  const deferred = new Set([...next.values()]);
  type Event = { node: Node; call: boolean };
  const events: Event[] = p.nodes.flatMap((node) => [
    { node, call: true },
    ...(node.info ? [] : [{ node, call: false }]),
  ]);
  const time = (e: Event) => (e.call ? e.node.op.callTime : e.node.op.returnTime);
  const kind = (e: Event) => (e.call ? 0 : next.has(e.node) ? 1 : 2);
  events.sort((a, b) => time(a) - time(b) || kind(a) - kind(b) || a.node.index - b.node.index);
  const rank = new Map<Node, { call: number; ret: number }>(
    p.nodes.map((n) => [n, { call: 0, ret: Number.POSITIVE_INFINITY }]),
  );
  let r = 0;
  for (const e of events) {
    if (e.call && deferred.has(e.node)) continue; // placed right after its predecessor returns
    const slot = rank.get(e.node) as { call: number; ret: number };
    if (e.call) slot.call = r++;
    else {
      slot.ret = r++;
      const b = next.get(e.node);
      if (b !== undefined) (rank.get(b) as { call: number }).call = r++;
    }
  }
  const original = new Map<CheckedOp, CheckedOp>();
  const ops = p.nodes.map((n) => {
    const slot = rank.get(n) as { call: number; ret: number };
    const copy = { ...n.op, callTime: slot.call, returnTime: slot.ret };
    original.set(copy, n.op);
    return copy;
  });
  return { ops, original };
}

/**
 * The register model with values compared as the other models compare them, by canonical EDN text
 * (equal exactly when equal by content, ##NaN included), so that every model reads a history alike.
 */
const register: Model<unknown> = {
  ...registerModel,
  step: (state, op) =>
    op.f === "read" && op.outcome === "ok"
      ? ednString(op.output) === ednString(state)
        ? state
        : undefined
      : registerModel.step(state, op),
};

function linearizable(ctx: Context): Verdict {
  let verdict: ReturnType<typeof checkLinearizable>;
  const { ops, original } = withProgramOrder(ctx.p);
  try {
    verdict = checkLinearizable(register, ops, ctx.maxSteps);
  } catch (error) {
    if (error instanceof SearchLimitExceeded) return { holds: null, reason: error.message };
    throw error;
  }
  if (verdict.linearizable) return { holds: true };
  const found = verdict.witness;
  const back = (op: CheckedOp) => original.get(op) ?? op;
  const w = found && { ...found, op: back(found.op), longestPrefix: found.longestPrefix.map(back) };
  const last = w?.longestPrefix.at(-1);
  return {
    holds: false,
    violations: [
      {
        model: "linearizable",
        ...(w ? { process: w.op.process } : {}),
        message:
          w === undefined
            ? "no order consistent with real time explains the reads"
            : `no order consistent with real time explains all the operations: the longest partial order found places ${w.longestPrefix.length} operation${w.longestPrefix.length === 1 ? "" : "s"}${last ? `, ending with ${describe(last, ctx.place)}` : ""} (${w.key === "" ? "the register" : `key ${w.key}`} at ${w.states.join(" or ")}), and nothing can follow it before ${describe(w.op, ctx.place)} returns`,
        ops: w ? [w.op] : [],
      },
    ],
  };
}
