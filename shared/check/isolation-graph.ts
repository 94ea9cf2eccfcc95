/**
 * The direct serialization graph of Adya ("Weak consistency: a generalized theory and optimistic
 * implementations for distributed transactions", 1999; DDIA chapter 7,
 * "Serializability"): one vertex per committed transaction, and an edge Ti → Tj when Tj
 * write-depends on Ti (ww: Tj installs the version after Ti's), read-depends on it (wr: Tj reads
 * Ti's version) or anti-depends on it (rw: Ti reads a version and Tj installs the next one).
 *
 * How cycles are searched, as Elle does ("Elle: Inferring Isolation Anomalies from Experimental
 * Observations", Kingsbury and Alvaro 2020): strongly connected components first
 * (Tarjan), since a cycle never leaves one, then within each component a breadth-first search for a
 * shortest cycle of each class, over (transaction, state) pairs where the state counts what the
 * class allows (one rw edge, no two rw edges in a row). Whether a class of cycle exists at all is
 * decided apart, exactly, from components of derived graphs (see `cycleExists`), so a search that
 * runs out of its step budget never turns a violated model into a satisfied one.
 */

export const WW = 1;
export const WR = 2;
export const RW = 4;
/** An edge known to be ww or rw, not which (see `linkUncertain`). */
export const WW_OR_RW = 8;
export type EdgeType = "ww" | "wr" | "rw";
export const EDGE_BITS: Record<EdgeType, number> = { ww: WW, wr: WR, rw: RW };

/** The value at `key`, made and stored first if absent. */
export function entry<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/** A directed graph over transactions 0..n-1; each edge carries a set of types as bits. */
export class DependencyGraph {
  private readonly out: Map<number, number>[];
  constructor(readonly size: number) {
    this.out = Array.from({ length: size }, () => new Map<number, number>());
  }

  /** Add an edge; returns true when this type of edge between the two is new. Self-edges are not edges. */
  link(from: number, to: number, type: EdgeType): boolean {
    if (from === to) return false;
    const edges = this.out[from] as Map<number, number>;
    const bits = edges.get(to) ?? 0;
    const bit = EDGE_BITS[type];
    if ((bits & bit) !== 0) return false;
    edges.set(to, bits | bit);
    return true;
  }

  /** An edge of a type not known (ww or rw): it counts only for whether there is a cycle at all. */
  linkUncertain(from: number, to: number): void {
    if (from === to) return;
    const edges = this.out[from] as Map<number, number>;
    edges.set(to, (edges.get(to) ?? 0) | WW_OR_RW);
  }

  types(from: number, to: number): number {
    return this.out[from]?.get(to) ?? 0;
  }

  successors(from: number): Map<number, number> {
    return this.out[from] as Map<number, number>;
  }

  edgeCount(): number {
    let count = 0;
    for (const edges of this.out) count += edges.size;
    return count;
  }
}

/**
 * Strongly connected components (Tarjan's algorithm, iterative so that a long chain of
 * transactions cannot overflow the call stack) of the graph with `vertices` vertices whose
 * successors are given by `next`. Returns each vertex's component number.
 */
export function components(
  vertices: number,
  next: (v: number, visit: (w: number) => void) => void,
): Int32Array {
  const index = new Int32Array(vertices).fill(-1);
  const low = new Int32Array(vertices);
  const component = new Int32Array(vertices).fill(-1);
  const onStack = new Uint8Array(vertices);
  const stack: number[] = [];
  let counter = 0;
  let componentCount = 0;
  // Each frame: a vertex and its successors, taken one at a time.
  const frames: { v: number; successors: number[]; at: number }[] = [];
  const open = (v: number) => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    const successors: number[] = [];
    next(v, (w) => successors.push(w));
    frames.push({ v, successors, at: 0 });
  };
  for (let root = 0; root < vertices; root++) {
    if (index[root] !== -1) continue;
    open(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as (typeof frames)[number];
      if (frame.at < frame.successors.length) {
        const w = frame.successors[frame.at++] as number;
        if (index[w] === -1) open(w);
        else if (onStack[w] === 1)
          low[frame.v] = Math.min(low[frame.v] as number, index[w] as number);
        continue;
      }
      frames.pop();
      const v = frame.v;
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low[parent.v] = Math.min(low[parent.v] as number, low[v] as number);
      if (low[v] === index[v]) {
        let w: number;
        do {
          w = stack.pop() as number;
          onStack[w] = 0;
          component[w] = componentCount;
        } while (w !== v);
        componentCount++;
      }
    }
  }
  return component;
}

/** Component numbers of the graph restricted to edges with one of the types in `mask`. */
export function componentsOf(graph: DependencyGraph, mask: number): Int32Array {
  return components(graph.size, (v, visit) => {
    for (const [w, bits] of graph.successors(v)) if ((bits & mask) !== 0) visit(w);
  });
}

/** How many vertices each component has. */
function componentSizes(component: Int32Array): Map<number, number> {
  const sizes = new Map<number, number>();
  for (const c of component) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  return sizes;
}

/**
 * Which classes of cycle the graph has, decided exactly from strongly connected components (no
 * search, so no budget):
 *
 * - `ww`: a cycle of ww edges (G0), when the ww edges alone have a component of two or more.
 * - `wwWr`: a cycle of ww and wr edges with at least one wr edge (G1c), when some wr edge joins two
 *   transactions of one component of the ww and wr edges.
 * - `snapshot`: a cycle with at least one rw edge and no two rw edges in a row (the wrap-around
 *   included), or a G0 or G1c cycle. Every such cycle is G-single or G-nonadjacent, which snapshot
 *   isolation proscribes (Fekete, Liarokapis, O'Neil, O'Neil and Shasha 2005; Cerone and Gotsman
 *   2016: under snapshot isolation every cycle has two adjacent rw edges). It is decided on the
 *   graph of pairs (transaction, "the last edge was rw"), whose edges follow any ww or wr edge to
 *   state 0 and an rw edge only from state 0 to state 1: a cycle through a state-1 pair is a closed
 *   walk with no two rw edges in a row, and cutting a closed walk at a repeated transaction leaves
 *   a piece that keeps that property, so a simple cycle of the kind (or a G0 or G1c one) exists.
 * - `any`: any cycle at all (G0, G1c, G-single, G-nonadjacent or G2-item).
 * - `anyUncertain`: any cycle once edges of unknown type (ww or rw) count too: every cycle,
 *   whatever the types, rules out repeatable read and serializability.
 */
export interface CycleExistence {
  ww: boolean;
  wwWr: boolean;
  snapshot: boolean;
  any: boolean;
  anyUncertain: boolean;
}

export function cycleExists(graph: DependencyGraph): CycleExistence {
  const nontrivial = (component: Int32Array) =>
    [...componentSizes(component).values()].some((size) => size > 1);
  const ww = nontrivial(componentsOf(graph, WW));
  const wwWrComponent = componentsOf(graph, WW | WR);
  let wwWr = false;
  for (let v = 0; v < graph.size && !wwWr; v++)
    for (const [w, bits] of graph.successors(v))
      if ((bits & WR) !== 0 && wwWrComponent[v] === wwWrComponent[w]) {
        wwWr = true;
        break;
      }
  const any = nontrivial(componentsOf(graph, WW | WR | RW));
  const anyUncertain = nontrivial(componentsOf(graph, WW | WR | RW | WW_OR_RW));
  // Pairs (v, s): vertex 2v + s.
  const paired = components(2 * graph.size, (p, visit) => {
    const v = p >> 1;
    const lastWasRw = (p & 1) === 1;
    for (const [w, bits] of graph.successors(v)) {
      if ((bits & (WW | WR)) !== 0) visit(2 * w);
      if ((bits & RW) !== 0 && !lastWasRw) visit(2 * w + 1);
    }
  });
  const sizes = componentSizes(paired);
  let snapshot = false;
  for (let v = 0; v < graph.size && !snapshot; v++)
    if (((sizes.get(paired[2 * v + 1] as number) ?? 0) as number) > 1) snapshot = true;
  return { ww, wwWr, snapshot: snapshot || ww || wwWr, any, anyUncertain };
}

/**
 * A class of cycle, as a small automaton over the edges after the first one. The cycle is
 * first → ... → back to the first edge's source; `accept` is asked at the source, before the first
 * edge closes the cycle.
 */
interface CycleClass {
  name: CycleName;
  first: number;
  start: number;
  step(state: number, type: number): number | undefined;
  accept(state: number): boolean;
}

export type CycleName = "G0" | "G1c" | "G-single" | "G-nonadjacent" | "G2-item";

/** The classes, in Elle's order of severity. States stay below STATES. */
const STATES = 8;
export const CYCLE_CLASSES: readonly CycleClass[] = [
  // G0, write cycles: ww edges only (Adya).
  {
    name: "G0",
    first: WW,
    start: 0,
    step: (_s, t) => (t === WW ? 0 : undefined),
    accept: () => true,
  },
  // G1c, circular information flow: ww and wr edges, at least one wr (the first).
  {
    name: "G1c",
    first: WR,
    start: 0,
    step: (_s, t) => (t === RW ? undefined : 0),
    accept: () => true,
  },
  // G-single, single anti-dependency cycle: exactly one rw edge (the first) (Adya).
  {
    name: "G-single",
    first: RW,
    start: 0,
    step: (_s, t) => (t === RW ? undefined : 0),
    accept: () => true,
  },
  // G-nonadjacent (Elle): two or more rw edges, no two in a row. State: bit 0 "the last edge was
  // rw", bit 1 "two rw edges or more".
  {
    name: "G-nonadjacent",
    first: RW,
    start: 1,
    step: (s, t) => (t === RW ? ((s & 1) === 1 ? undefined : 3) : s & 2),
    accept: (s) => (s & 2) === 2 && (s & 1) === 0,
  },
  // G2-item (Elle's sense; in Adya's every cycle with an rw edge is G2-item): two or more rw edges,
  // two of them in a row. State: bit 0 "the last edge was rw", bit 1 "two or more", bit 2 "two in
  // a row seen".
  {
    name: "G2-item",
    first: RW,
    start: 1,
    step: (s, t) => (t === RW ? 1 | 2 | ((s & 1) === 1 ? 4 : s & 4) : s & 6),
    accept: (s) => (s & 2) === 2 && ((s & 4) === 4 || (s & 1) === 1),
  },
];

/** A cycle: transactions in order, the last linked back to the first, and each edge's type. */
export interface FoundCycle {
  name: CycleName;
  transactions: number[];
  types: EdgeType[];
}

const TYPE_OF: Record<number, EdgeType> = { [WW]: "ww", [WR]: "wr", [RW]: "rw" };

/** Step budget of one class's search in one component: beyond it, the search gives up. */
export const SEARCH_STEPS_PER_CLASS = 500_000;

/**
 * A shortest cycle of each class in each strongly connected component of the whole graph: for
 * each edge of the class's first type inside the component, a breadth-first search from its target
 * back to its source over (transaction, state), keeping the shortest simple cycle found, until the
 * budget is spent or a cycle of two transactions (the shortest there is) is found. Classes that
 * `exists` rules out are not searched.
 */
export function findCycles(
  graph: DependencyGraph,
  budget = SEARCH_STEPS_PER_CLASS,
  exists: CycleExistence = cycleExists(graph),
): FoundCycle[] {
  const n = graph.size;
  const component = componentsOf(graph, WW | WR | RW);
  const sizes = componentSizes(component);
  // The edges inside components, as flat arrays (compressed rows): the search's inner loop.
  const start = new Int32Array(n + 1);
  const targets: number[] = [];
  const bits: number[] = [];
  for (let v = 0; v < n; v++) {
    start[v] = targets.length;
    for (const [w, b] of graph.successors(v))
      if (component[w] === component[v]) {
        targets.push(w);
        bits.push(b);
      }
  }
  start[n] = targets.length;
  const members = new Map<number, number[]>();
  for (let v = 0; v < n; v++) {
    const c = component[v] as number;
    if ((sizes.get(c) ?? 0) >= 2) entry(members, c, () => []).push(v);
  }
  const wanted = (name: CycleName) =>
    name === "G0"
      ? exists.ww
      : name === "G1c"
        ? exists.wwWr
        : name === "G2-item"
          ? exists.any
          : exists.snapshot;
  const found: FoundCycle[] = [];
  const seen = new Int32Array(n * STATES).fill(-1);
  const parent = new Int32Array(n * STATES);
  const parentType = new Uint8Array(n * STATES);
  let generation = 0;
  for (const vertices of members.values()) {
    for (const cls of CYCLE_CLASSES) {
      if (!wanted(cls.name)) continue;
      let best: FoundCycle | undefined;
      let steps = 0;
      const done = () => steps >= budget || best?.transactions.length === 2;
      for (const u of vertices) {
        if (done()) break;
        for (let e = start[u] as number; e < (start[u + 1] as number) && !done(); e++) {
          if (((bits[e] as number) & cls.first) === 0) continue;
          const v = targets[e] as number;
          // Breadth-first from (v, start) to (u, an accepting state).
          generation++;
          const startKey = v * STATES + cls.start;
          seen[startKey] = generation;
          parent[startKey] = -1;
          let frontier = [startKey];
          let goal = -1;
          const limit =
            best === undefined ? Number.POSITIVE_INFINITY : best.transactions.length - 1;
          for (let depth = 1; frontier.length > 0 && goal === -1 && depth < limit; depth++) {
            const nextFrontier: number[] = [];
            for (const key of frontier) {
              const x = (key / STATES) | 0;
              const state = key % STATES;
              for (let f = start[x] as number; f < (start[x + 1] as number) && goal === -1; f++) {
                const y = targets[f] as number;
                const ybits = bits[f] as number;
                for (let t = WW; t <= RW && goal === -1; t <<= 1) {
                  if ((ybits & t) === 0) continue;
                  steps++;
                  const s = cls.step(state, t);
                  if (s === undefined) continue;
                  const k = y * STATES + s;
                  if (seen[k] === generation) continue;
                  seen[k] = generation;
                  parent[k] = key;
                  parentType[k] = t;
                  if (y === u && cls.accept(s)) goal = k;
                  // Passing through u without closing is not a simple cycle.
                  else if (y !== u) nextFrontier.push(k);
                }
              }
              if (goal !== -1) break;
            }
            frontier = nextFrontier;
          }
          if (goal === -1) continue;
          // Walk back from (u, s) to (v, start).
          const path: number[] = [];
          const types: EdgeType[] = [];
          for (let k = goal; k !== -1; k = parent[k] as number) {
            path.push((k / STATES) | 0);
            if (parent[k] !== -1) types.push(TYPE_OF[parentType[k] as number] as EdgeType);
          }
          path.reverse();
          types.reverse();
          // path: v ... u; the cycle is u → v (first edge) → ... → u.
          const transactions = [u, ...path.slice(0, -1)];
          if (new Set(transactions).size !== transactions.length) continue;
          const cycle: FoundCycle = {
            name: cls.name,
            transactions,
            types: [TYPE_OF[cls.first] as EdgeType, ...types],
          };
          if (best === undefined || cycle.transactions.length < best.transactions.length)
            best = cycle;
        }
      }
      if (best !== undefined) found.push(best);
    }
  }
  return found;
}
