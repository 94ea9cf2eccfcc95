/**
 * shared/versions.ts's VectorReplica against the ground truth of who saw what: after every
 * replica has merged every other, the siblings left are exactly the writes no other write's
 * writer had seen (directly, in what it read, or through what those had seen). DDIA ch. 5,
 * "Detecting Concurrent Writes": a write that did not know of another is concurrent with it, and
 * both must be kept.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type VectorClock, vcIncrement } from "../../shared/clocks.js";
import { VectorReplica } from "../../shared/versions.js";

/** The broken variant the dotted vectors replaced: a write's vector is its context plus one. */
class WholeVectorReplica<V> extends VectorReplica<V> {
  override write(value: V, context: VectorClock): void {
    const clock = vcIncrement(context, this.id);
    const dominated = (a: VectorClock, b: VectorClock) =>
      Object.keys({ ...a, ...b }).every((k) => (a[k] ?? 0) <= (b[k] ?? 0));
    this.siblings = [
      ...this.siblings.filter((s) => !dominated(s.clock, clock)),
      { dot: { replica: this.id, counter: clock[this.id] ?? 0 }, context, clock, value },
    ];
  }
}

type Step =
  | { kind: "read"; client: number; replica: number }
  | { kind: "write"; client: number; replica: number }
  | { kind: "merge"; from: number; to: number };

const step = fc.oneof(
  fc.record({
    kind: fc.constant("read" as const),
    client: fc.nat(2),
    replica: fc.nat(2),
  }),
  fc.record({
    kind: fc.constant("write" as const),
    client: fc.nat(2),
    replica: fc.nat(2),
  }),
  fc.record({ kind: fc.constant("merge" as const), from: fc.nat(2), to: fc.nat(2) }),
);

/** Run the steps; return the siblings left after a full exchange, and the ones that should be. */
function play(steps: Step[], make: (id: string) => VectorReplica<string>) {
  const replicas = ["A", "B", "C"].map(make);
  // What each client last read (its context and the writes it saw), and what each write knew of.
  const read = [0, 1, 2].map(() => ({ context: {} as VectorClock, saw: new Set<string>() }));
  const knew = new Map<string, Set<string>>();
  let n = 0;
  for (const s of steps) {
    if (s.kind === "read") {
      const r = replicas[s.replica] as VectorReplica<string>;
      const got = r.read();
      const saw = new Set<string>();
      for (const v of got.values) {
        saw.add(v);
        for (const k of knew.get(v) ?? []) saw.add(k);
      }
      read[s.client] = { context: got.context, saw };
    } else if (s.kind === "write") {
      const value = `w${n++}`;
      const mine = read[s.client] as { context: VectorClock; saw: Set<string> };
      knew.set(value, new Set(mine.saw));
      (replicas[s.replica] as VectorReplica<string>).write(value, mine.context);
    } else
      (replicas[s.to] as VectorReplica<string>).mergeFrom(
        replicas[s.from] as VectorReplica<string>,
      );
  }
  for (const a of replicas) for (const b of replicas) a.mergeFrom(b);
  const seenBySome = new Set([...knew.values()].flatMap((k) => [...k]));
  return {
    kept: replicas.map((r) => r.read().values.sort()),
    expected: [...knew.keys()].filter((w) => !seenBySome.has(w)).sort(),
  };
}

describe("VectorReplica (dotted version vectors)", () => {
  it("two clients writing through one replica from the same context keep both values, and a write that saw both replaces them", () => {
    const a = new VectorReplica<string>("A");
    const b = new VectorReplica<string>("B");
    a.write("from client 1", {});
    a.write("from client 2", {}); // client 2 had not seen client 1's write
    expect(a.read().values).toEqual(["from client 1", "from client 2"]);
    b.mergeFrom(a);
    expect(b.read().values).toEqual(["from client 1", "from client 2"]);
    b.write("merged", b.read().context);
    a.mergeFrom(b);
    expect(a.read().values).toEqual(["merged"]);
  });

  it("after a full exchange, the siblings are exactly the writes no other writer had seen (600 random runs)", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const { kept, expected } = play(steps, (id) => new VectorReplica<string>(id));
        for (const k of kept) expect(k).toEqual(expected);
      }),
      { numRuns: 600, seed: 11 },
    );
  });

  it("the broken variant, a vector of context plus one, loses a write nobody had seen", () => {
    const result = fc.check(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const { kept, expected } = play(steps, (id) => new WholeVectorReplica<string>(id));
        return kept.every((k) => k.join() === expected.join());
      }),
      { numRuns: 600, seed: 11 },
    );
    expect(result.failed).toBe(true);
  });
});
