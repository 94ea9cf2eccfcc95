/**
 * Linearizability checking (DDIA ch. 9, "Linearizability"): is there a total order of the
 * operations, consistent with real time (an operation that returned before another was invoked
 * comes first) and with the object's sequential specification, that explains every result?
 *
 * The search is Wing & Gong's, with Lowe's improvements as Porcupine implements them: walk the
 * history's call and return events in time order; at a call, try to linearize that operation now
 * (apply it to the model state); at a return of an operation not yet linearized, backtrack. A cache
 * of (set of linearized operations, state) pairs already explored prunes the search, which is what
 * makes it practical. Histories of key-value stores are checked one key at a time
 * (P-compositionality: a history is linearizable iff each key's sub-history is).
 *
 * Outcomes are Jepsen's: `ok` happened; `fail` definitely did not happen (a failed write is
 * dropped; a failed compare-and-set happened and saw a different value, and the search uses that);
 * `info` may have happened at any time after its invocation, or never (it returns at +infinity,
 * so it can be linearized as late as needed, where it changes nothing observed). A read that failed
 * or timed out constrains nothing and is dropped.
 */

import { ednEquals, ednString } from "./edn.js";

export type Outcome = "ok" | "fail" | "info";

/** One operation of a history, as the checker sees it. */
export interface CheckedOp {
  id: number;
  process: string;
  f: string;
  key: string;
  /** What the operation was given (a written value; [expected, new] for cas). */
  input: unknown;
  /** What it returned (a read value), when outcome is ok. */
  output: unknown;
  outcome: Outcome;
  callTime: number;
  /** +Infinity for info. */
  returnTime: number;
  /** The line of the invocation, for histories read from a file (times are positions there). */
  line?: number;
}

/**
 * Record an operation's invocation in a history for the checker. Its outcome stays `info`
 * (unknown: it may take effect at any later time, or never) until `recordReturn` says otherwise.
 */
export function recordCall(
  history: CheckedOp[],
  call: Pick<CheckedOp, "process" | "f" | "key" | "input" | "callTime">,
): CheckedOp {
  const op: CheckedOp = {
    id: history.length,
    ...call,
    output: null,
    outcome: "info",
    returnTime: Number.POSITIVE_INFINITY,
  };
  history.push(op);
  return op;
}

/** Record that `op` returned at `time`: `ok` (with what a read returned) or `fail` (it did not happen). */
export function recordReturn(
  op: CheckedOp,
  outcome: "ok" | "fail",
  time: number,
  output: unknown = null,
): void {
  op.outcome = outcome;
  op.returnTime = time;
  op.output = output;
}

/** One operation a model accepts. */
export interface OperationSpec {
  /**
   * A read takes its result from the completion's :value (what it returned); any other operation
   * acts with the invocation's :value (what it was given).
   */
  read: boolean;
  /** What the operation's :value must be, in words (for error messages); absent: any value. */
  value?: string;
  /** Whether `value` describes this input. */
  accepts?: (input: unknown) => boolean;
}

/**
 * A sequential specification. `step` returns the next state, or undefined when the operation
 * cannot have happened in this state with the result it reported. States must be serializable by
 * `show` to a string that is equal exactly when the states are equal (for the cache).
 */
export interface Model<S> {
  name: string;
  init: S;
  /** The operations the model accepts, by :f. Anything else is refused before the search. */
  operations: Readonly<Record<string, OperationSpec>>;
  /** Whether every operation names a key (a key-value store); registers may have one per key. */
  keyed: boolean;
  step(state: S, op: CheckedOp): S | undefined;
  show(state: S): string;
  /** Operations that constrain nothing and can be dropped (a failed read, an unknown read, a failed write). */
  irrelevant(op: CheckedOp): boolean;
}

/**
 * Why `op` is not an operation `model` accepts, in words that name what it does accept; or
 * undefined when it is fine. Histories read from files are checked with this before the search.
 */
export function operationProblem<S>(
  model: Model<S>,
  op: Pick<CheckedOp, "f" | "key" | "input">,
): string | undefined {
  const spec = model.operations[op.f];
  if (spec === undefined || (spec.accepts !== undefined && !spec.accepts(op.input)))
    return `the ${model.name} model accepts ${acceptedOperations(model)}`;
  if (model.keyed && op.key === "")
    return `every ${model.name} operation names a key (:key k, or :value [k v] with --independent)`;
  return undefined;
}

/** ":read, :write v and :cas [expected new]". */
export function acceptedOperations<S>(model: Model<S>): string {
  const names = Object.entries(model.operations).map(
    ([f, spec]) => `:${f}${spec.value === undefined ? "" : ` ${spec.value}`}`,
  );
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/**
 * Reads take their result from the completion: an `ok` read of a value that is not the state
 * cannot have happened there. Values are compared by content (EDN equality): a read of [1 2]
 * matches a write of [1 2], and 1 is not "1" nor 1.0. A read of nil matches only the state nil,
 * the value of a register never written, as Porcupine's models read it.
 */
function readMatches(state: unknown, op: CheckedOp): boolean {
  return op.outcome !== "ok" || ednEquals(op.output, state);
}

const writeSpec: OperationSpec = { read: false, value: "v" };

/** A read/write register with initial value nil (Jepsen's `register`). */
export const registerModel: Model<unknown> = {
  name: "register",
  init: null,
  operations: { read: { read: true }, write: writeSpec },
  keyed: false,
  step: (state, op) => {
    if (op.f === "read") return readMatches(state, op) ? state : undefined;
    if (op.f === "write") return op.input;
    return undefined;
  },
  show: ednString,
  irrelevant: (op) =>
    (op.f === "read" && op.outcome !== "ok") || (op.f === "write" && op.outcome === "fail"),
};

const isPair = (input: unknown) => Array.isArray(input) && input.length === 2;

/** A register with compare-and-set (Jepsen's `cas-register`): cas takes [expected new]. */
export const casRegisterModel: Model<unknown> = {
  name: "cas-register",
  init: null,
  operations: {
    ...registerModel.operations,
    cas: { read: false, value: "[expected new]", accepts: isPair },
  },
  keyed: false,
  step: (state, op) => {
    if (op.f !== "cas") return registerModel.step(state, op);
    const [expected, next] = op.input as [unknown, unknown];
    const matches = ednEquals(expected, state);
    if (op.outcome === "ok") return matches ? next : undefined;
    // A failed cas happened and found a different value (Porcupine's etcd model reads it so); an
    // unknown one did whatever a cas does.
    if (op.outcome === "fail") return matches ? undefined : state;
    return matches ? next : state;
  },
  show: ednString,
  irrelevant: (op) => op.f !== "cas" && registerModel.irrelevant(op),
};

/**
 * One key of a key-value store with get, put and append. A key never written holds nil, and a get
 * of it returns nil (Porcupine's kv test model starts keys at "" instead; a history that reads ""
 * for a missing key is checked with this model only if the store really returned ""). put stores
 * any value, which stays what it was (a number stays a number); append adds a string to the end of
 * the string the key holds (to "" when it holds nil), and a store refuses it on any other value.
 */
export const kvModel: Model<unknown> = {
  name: "kv",
  init: null,
  operations: {
    get: { read: true },
    put: writeSpec,
    append: { read: false, value: "s (a string)", accepts: (input) => typeof input === "string" },
  },
  keyed: true,
  step: (state, op) => {
    if (op.f === "get") return readMatches(state, op) ? state : undefined;
    if (op.f === "put") return op.input;
    if (op.f === "append") {
      if (state === null) return op.input;
      if (typeof state === "string") return state + (op.input as string);
      // A store refuses an append to another kind of value: one that reported success cannot have
      // run here, and one of unknown outcome, if it ran here, changed nothing. (Every operation
      // of unknown outcome must be placeable at the end of the order, where it may do nothing.)
      return op.outcome === "info" ? state : undefined;
    }
    return undefined;
  },
  show: ednString,
  irrelevant: (op) =>
    (op.f === "get" && op.outcome !== "ok") ||
    ((op.f === "put" || op.f === "append") && op.outcome === "fail"),
};

/** The models by the names the command line and exported histories use. */
export const MODELS_BY_NAME: Readonly<Record<string, Model<unknown>>> = {
  register: registerModel,
  "cas-register": casRegisterModel,
  kv: kvModel,
};

/**
 * The same model read as Knossos reads histories (knossos.model and knossos.history): an `ok` read
 * of nil means "the value was not recorded" and matches any state, and every `fail` operation is
 * dropped before the search ("they can't influence state"), a failed compare-and-set included,
 * where the default reading (Porcupine's) takes it as having seen a different value.
 */
export function knossosReading<S>(model: Model<S>): Model<S> {
  const nilRead = (op: CheckedOp) =>
    model.operations[op.f]?.read === true && op.outcome === "ok" && op.output == null;
  return {
    ...model,
    name: model.name,
    irrelevant: (op) => op.outcome === "fail" || nilRead(op) || model.irrelevant(op),
  };
}

export interface Witness {
  key: string;
  /** The operation that could not be placed: it returned, and no order so far explains it. */
  op: CheckedOp;
  /** The longest sequence of operations the search managed to linearize before getting stuck. */
  longestPrefix: CheckedOp[];
  /** The model states the search reached at that depth. */
  states: string[];
}

export interface Verdict {
  linearizable: boolean;
  witness?: Witness;
  /** Search steps taken, for the benchmark and for curiosity. */
  steps: number;
}

interface Entry {
  op: CheckedOp;
  /** The operation's position in this key's list: its bit in the linearized set. */
  bit: number;
  isCall: boolean;
  time: number;
  match: Entry | undefined;
  prev: Entry | undefined;
  next: Entry | undefined;
}

/**
 * The search gave up: it took `limit` steps on one key without an answer. The history is neither
 * shown linearizable nor shown not to be (Porcupine's "Unknown"). The search is exponential in
 * the worst case, most of all in operations of unknown outcome, which may take effect at any
 * later point.
 */
export class SearchLimitExceeded extends Error {
  override name = "SearchLimitExceeded";
  constructor(
    readonly key: string,
    readonly limit: number,
  ) {
    super(
      `the search used up its ${limit.toLocaleString("en")} step${limit === 1 ? "" : "s"}${key === "" ? "" : ` on key ${JSON.stringify(key)}`} without an answer`,
    );
  }
}

/** The verdict, or undefined when the search runs out of steps (see SearchLimitExceeded). */
export function checkLinearizableOrUndecided<S>(
  model: Model<S>,
  ops: readonly CheckedOp[],
  limitSteps?: number,
): Verdict | undefined {
  try {
    return checkLinearizable(model, ops, limitSteps);
  } catch (error) {
    if (error instanceof SearchLimitExceeded) return undefined;
    throw error;
  }
}

/** Check a whole history, key by key; throws SearchLimitExceeded when it cannot decide in time. */
export function checkLinearizable<S>(
  model: Model<S>,
  ops: readonly CheckedOp[],
  limitSteps = 10_000_000,
): Verdict {
  const byKey = new Map<string, CheckedOp[]>();
  for (const op of ops) {
    if (model.irrelevant(op)) continue;
    const list = byKey.get(op.key) ?? [];
    list.push(op);
    byKey.set(op.key, list);
  }
  let steps = 0;
  for (const [key, keyOps] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    let verdict: Verdict;
    try {
      verdict = checkKey(model, key, keyOps, limitSteps - steps);
    } catch (error) {
      // checkKey knows only what was left of the budget; report the whole of it.
      if (error instanceof SearchLimitExceeded) throw new SearchLimitExceeded(key, limitSteps);
      throw error;
    }
    steps += verdict.steps;
    if (!verdict.linearizable) return { ...verdict, steps };
  }
  return { linearizable: true, steps };
}

function checkKey<S>(
  model: Model<S>,
  key: string,
  ops: readonly CheckedOp[],
  limitSteps: number,
): Verdict {
  // Events in time order; at equal times calls come first, so touching operations count as concurrent.
  const entries: Entry[] = [];
  ops.forEach((op, bit) => {
    const call: Entry = {
      op,
      bit,
      isCall: true,
      time: op.callTime,
      match: undefined,
      prev: undefined,
      next: undefined,
    };
    const ret: Entry = {
      op,
      bit,
      isCall: false,
      time: op.returnTime,
      match: call,
      prev: undefined,
      next: undefined,
    };
    call.match = ret;
    entries.push(call, ret);
  });
  entries.sort(
    (a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op.id - b.op.id : a.isCall ? -1 : 1),
  );
  const head: Entry = {
    op: ops[0] as CheckedOp,
    bit: -1,
    isCall: false,
    time: Number.NEGATIVE_INFINITY,
    match: undefined,
    prev: undefined,
    next: undefined,
  };
  let prev = head;
  for (const e of entries) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }

  // The set of operations linearized so far, with every (set, state) pair explored.
  const cache = new SearchCache(ops.length);
  // The operations linearized so far, in order, and the state before each (two arrays, no objects).
  const stack: Entry[] = [];
  const before: S[] = [];
  let state = model.init;
  let steps = 0;
  let deepest: { prefix: CheckedOp[]; states: Set<string>; stuck: CheckedOp } | undefined;

  const lift = (call: Entry) => {
    // Remove the call and its return from the list.
    if (call.prev) call.prev.next = call.next;
    if (call.next) call.next.prev = call.prev;
    const ret = call.match as Entry;
    if (ret.prev) ret.prev.next = ret.next;
    if (ret.next) ret.next.prev = ret.prev;
  };
  const unlift = (call: Entry) => {
    const ret = call.match as Entry;
    if (ret.prev) ret.prev.next = ret;
    if (ret.next) ret.next.prev = ret;
    if (call.prev) call.prev.next = call;
    if (call.next) call.next.prev = call;
  };

  let entry = head.next;
  while (head.next !== undefined) {
    if (++steps > limitSteps) throw new SearchLimitExceeded(key, limitSteps);
    if (entry === undefined) break;
    if (entry.isCall) {
      const next = model.step(state, entry.op);
      const i = entry.bit;
      if (next !== undefined) {
        cache.flip(i);
        if (cache.add(model.show(next))) {
          stack.push(entry);
          before.push(state);
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        cache.flip(i);
      }
      entry = entry.next;
    } else {
      // A return of an operation not linearized yet: this path is dead. Remember the deepest one.
      if (deepest === undefined || stack.length > deepest.prefix.length) {
        deepest = {
          prefix: stack.map((e) => e.op),
          states: new Set([model.show(state)]),
          stuck: entry.op,
        };
      } else if (stack.length === deepest.prefix.length) {
        deepest.states.add(model.show(state));
      }
      const top = stack.pop();
      if (top === undefined) {
        const witness = deepest ?? {
          prefix: [],
          states: new Set([model.show(state)]),
          stuck: entry.op,
        };
        return {
          linearizable: false,
          steps,
          witness: {
            key,
            op: witness.stuck,
            longestPrefix: witness.prefix,
            states: [...witness.states],
          },
        };
      }
      state = before.pop() as S;
      cache.flip(top.bit);
      unlift(top);
      entry = top.next;
    }
  }
  return { linearizable: true, steps };
}

/**
 * The search's current set of linearized operations (a bitset), and every (set, state) pair
 * explored so far. The set is hashed incrementally (Zobrist hashing: the XOR of a fixed random
 * word per operation, updated as `flip` adds or removes one), so a lookup costs the state's string
 * and, on a hash match, one comparison of bitsets, instead of building a key from the whole set.
 */
export class SearchCache {
  private readonly codes: Uint32Array;
  private readonly words: number;
  private readonly bits: Uint32Array;
  private hash = 0;
  /** Open addressing, linear probing: slot → entry number + 1 (0 is empty). */
  private slots = new Int32Array(1 << 12);
  /** Entry n: its hash, its bitset at pool[n * words ...], and its state. */
  private hashes = new Uint32Array(1 << 11);
  private pool: Uint32Array;
  private readonly states: string[] = [];
  private size = 0;

  constructor(operations: number) {
    this.words = Math.ceil(operations / 32) || 1;
    this.bits = new Uint32Array(this.words);
    this.pool = new Uint32Array(this.words << 11);
    this.codes = new Uint32Array(operations);
    // Fixed pseudo-random words (splitmix32 from a constant): the cache needs no run's randomness.
    let x = 0;
    for (let i = 0; i < operations; i++) {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.codes[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** Add operation `bit` to the linearized set, or remove it if it is there. */
  flip(bit: number): void {
    this.bits[bit >>> 5] = (this.bits[bit >>> 5] as number) ^ (1 << (bit & 31));
    this.hash = (this.hash ^ (this.codes[bit] as number)) >>> 0;
  }

  /** Record the current set with this state; false if the pair was explored already. */
  add(state: string): boolean {
    const bits = this.bits;
    let h = this.hash;
    for (let i = 0; i < state.length; i++) h = Math.imul(h ^ state.charCodeAt(i), 0x01000193);
    h >>>= 0;
    const mask = this.slots.length - 1;
    let slot = h & mask;
    for (let e = this.slots[slot] as number; e !== 0; e = this.slots[slot] as number) {
      const n = e - 1;
      if (this.hashes[n] === h && this.states[n] === state && this.sameBits(n)) return false;
      slot = (slot + 1) & mask;
    }
    const n = this.size++;
    if (n >= this.hashes.length) this.grow();
    this.hashes[n] = h;
    this.pool.set(bits, n * this.words);
    this.states.push(state);
    if (this.size * 2 > this.slots.length) this.rehash();
    else this.slots[slot] = n + 1;
    return true;
  }

  private sameBits(n: number): boolean {
    const at = n * this.words;
    for (let i = 0; i < this.words; i++) if (this.pool[at + i] !== this.bits[i]) return false;
    return true;
  }

  private grow(): void {
    const hashes = new Uint32Array(this.hashes.length * 2);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const pool = new Uint32Array(this.pool.length * 2);
    pool.set(this.pool);
    this.pool = pool;
  }

  /** Double the slots and place every entry again (including the one just added). */
  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    const mask = this.slots.length - 1;
    for (let n = 0; n < this.size; n++) {
      let slot = (this.hashes[n] as number) & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = n + 1;
    }
  }
}

/** Brute force for tiny histories: try every order consistent with real time (info ops optional). */
export function bruteForceLinearizable<S>(model: Model<S>, ops: readonly CheckedOp[]): boolean {
  const byKey = new Map<string, CheckedOp[]>();
  for (const op of ops)
    if (!model.irrelevant(op)) byKey.set(op.key, [...(byKey.get(op.key) ?? []), op]);
  return [...byKey.values()].every((keyOps) => {
    const search = (remaining: CheckedOp[], state: S): boolean => {
      if (remaining.every((op) => op.outcome === "info")) return true; // the rest may never happen
      return remaining.some((op) => {
        // `op` may go next only if nothing remaining returned before it was called.
        if (remaining.some((other) => other !== op && other.returnTime < op.callTime)) return false;
        const next = model.step(state, op);
        const rest = remaining.filter((x) => x !== op);
        if (next !== undefined && search(rest, next)) return true;
        // An info op may also never take effect.
        return op.outcome === "info" && search(rest, state);
      });
    };
    return search(keyOps, model.init);
  });
}
