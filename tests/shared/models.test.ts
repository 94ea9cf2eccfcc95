/**
 * The checker's models on small histories worked out by hand, and by construction: histories
 * recorded from an execution of each model, with values of every EDN type, written out as Jepsen
 * EDN and read back, are linearizable; changing one read to a value never written makes them not.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Edn, ednEquals, ednString, Tagged } from "../../shared/check/edn.js";
import { exportedForm, parseJepsenHistory, toJepsenHistory } from "../../shared/check/jepsen.js";
import {
  type CheckedOp,
  casRegisterModel,
  checkLinearizable,
  knossosReading,
  kvModel,
  MODELS_BY_NAME,
  type Model,
  registerModel,
} from "../../shared/check/linearizability.js";
import { Random } from "../../shared/random.js";
import { ednValue } from "./fixtures/edn-values.js";

let nextId = 0;
/** An operation on key "k" from `call` to `ret` (ms); `info` returns never. */
function op(
  process: string,
  f: string,
  value: { in?: unknown; out?: unknown },
  call: number,
  ret: number,
  outcome: CheckedOp["outcome"] = "ok",
  key = "k",
): CheckedOp {
  return {
    id: nextId++,
    process,
    f,
    key,
    input: value.in ?? null,
    output: value.out ?? null,
    outcome,
    callTime: call,
    returnTime: outcome === "info" ? Number.POSITIVE_INFINITY : ret,
  };
}
const linearizable = <S>(model: Model<S>, ops: CheckedOp[]) =>
  checkLinearizable(model, ops).linearizable;

describe("register, by hand", () => {
  it("a read concurrent with a write may return the old value or the new one", () => {
    // write 1 runs from 0 to 10; the read runs from 5 to 6, inside it: either order is real-time.
    for (const seen of [null, 1])
      expect(
        linearizable(registerModel, [
          op("a", "write", { in: 1 }, 0, 10),
          op("b", "read", { out: seen }, 5, 6),
        ]),
      ).toBe(true);
  });

  it("a read that begins after a write completed must see it (or something later), never nil", () => {
    // write 1 completes at 1; the read is invoked at 2: nil is the value before any write.
    expect(
      linearizable(registerModel, [
        op("a", "write", { in: 1 }, 0, 1),
        op("b", "read", { out: null }, 2, 3),
      ]),
    ).toBe(false);
  });

  it("a value overwritten before a read began cannot be read", () => {
    // 1 then 2, both acknowledged before the read at 5 begins; reading 1 goes back in time.
    const history = [
      op("a", "write", { in: 1 }, 0, 1),
      op("a", "write", { in: 2 }, 2, 3),
      op("b", "read", { out: 1 }, 5, 6),
    ];
    expect(linearizable(registerModel, history)).toBe(false);
  });

  it("a write of unknown outcome may take effect late, but then stays", () => {
    // write 7 times out (info). Reads at 10 and 20 may see it; once 7 was seen at 10, a read at 20
    // of nil would need the register to go back to a value nothing wrote again.
    const info = op("a", "write", { in: 7 }, 0, 0, "info");
    expect(linearizable(registerModel, [info, op("b", "read", { out: 7 }, 10, 11)])).toBe(true);
    expect(linearizable(registerModel, [info, op("b", "read", { out: null }, 10, 11)])).toBe(true);
    expect(
      linearizable(registerModel, [
        info,
        op("b", "read", { out: 7 }, 10, 11),
        op("b", "read", { out: null }, 20, 21),
      ]),
    ).toBe(false);
  });

  it("a failed write did not happen", () => {
    expect(
      linearizable(registerModel, [
        op("a", "write", { in: 1 }, 0, 1, "fail"),
        op("b", "read", { out: 1 }, 2, 3),
      ]),
    ).toBe(false);
  });
});

describe("cas-register, by hand", () => {
  it("a compare-and-set succeeds only from its expected value", () => {
    // nil → 1 succeeds, then the read sees 1.
    expect(
      linearizable(casRegisterModel, [
        op("a", "cas", { in: [null, 1] }, 0, 1),
        op("b", "read", { out: 1 }, 2, 3),
      ]),
    ).toBe(true);
    // Two concurrent cas from nil both report success: whichever goes first, the second finds 1 or 2.
    expect(
      linearizable(casRegisterModel, [
        op("a", "cas", { in: [null, 1] }, 0, 5),
        op("b", "cas", { in: [null, 2] }, 0, 5),
      ]),
    ).toBe(false);
  });

  it("a failed cas saw another value (Porcupine's reading), or did not happen (Knossos's)", () => {
    // 1 is in the register and stays there, yet a cas from 1 reports failure.
    const history = [
      op("a", "write", { in: 1 }, 0, 1),
      op("b", "cas", { in: [1, 2] }, 2, 3, "fail"),
      op("c", "read", { out: 1 }, 4, 5),
    ];
    expect(linearizable(casRegisterModel, history)).toBe(false);
    expect(linearizable(knossosReading(casRegisterModel), history)).toBe(true);
    // Concurrent with a write of 3, the failed cas can have seen 3: fine in both readings.
    const concurrent = [
      op("a", "write", { in: 1 }, 0, 1),
      op("d", "write", { in: 3 }, 2, 6),
      op("b", "cas", { in: [1, 2] }, 2, 6, "fail"),
    ];
    expect(linearizable(casRegisterModel, concurrent)).toBe(true);
  });

  it("compares expected values by content", () => {
    // The cas's expected value is a separately built array equal to the one written.
    const history = [
      op("a", "write", { in: ["x", [1, null]] }, 0, 1),
      op("b", "cas", { in: [["x", [1, null]], "z"] }, 2, 3),
      op("c", "read", { out: "z" }, 4, 5),
    ];
    expect(linearizable(casRegisterModel, history)).toBe(true);
  });
});

describe("kv, by hand", () => {
  it("appends concatenate in order, and a key never written reads nil", () => {
    const history = [
      op("a", "append", { in: "x" }, 0, 1),
      op("b", "append", { in: "y" }, 2, 3),
      op("c", "get", { out: "xy" }, 4, 5),
      op("d", "get", { out: null }, 0, 9, "ok", "other"),
    ];
    expect(linearizable(kvModel, history)).toBe(true);
    // "yx" would need the later append first; "" is not what a never-written key holds.
    expect(
      linearizable(kvModel, [...history.slice(0, 2), op("c", "get", { out: "yx" }, 4, 5)]),
    ).toBe(false);
    expect(linearizable(kvModel, [op("d", "get", { out: "" }, 0, 9)])).toBe(false);
  });

  it("put keeps a value as it is; an append cannot have succeeded on a value that is not a string", () => {
    expect(
      linearizable(kvModel, [op("a", "put", { in: 1 }, 0, 1), op("b", "get", { out: 1 }, 2, 3)]),
    ).toBe(true);
    expect(
      linearizable(kvModel, [op("a", "put", { in: 1 }, 0, 1), op("b", "get", { out: "1" }, 2, 3)]),
    ).toBe(false);
    expect(
      linearizable(kvModel, [
        op("a", "put", { in: [1] }, 0, 1),
        op("b", "append", { in: "x" }, 2, 3),
      ]),
    ).toBe(false);
  });

  it("checks each key apart: a stale read on one key is found whatever the others do", () => {
    const history = [
      op("a", "put", { in: 1 }, 0, 1, "ok", "k1"),
      op("a", "put", { in: 2 }, 2, 3, "ok", "k2"),
      op("b", "get", { out: 2 }, 4, 5, "ok", "k2"),
      op("b", "get", { out: null }, 6, 7, "ok", "k1"),
    ];
    const verdict = checkLinearizable(kvModel, history);
    expect(verdict.linearizable).toBe(false);
    expect(verdict.witness?.key).toBe("k1");
  });
});

/**
 * A history of `model` built by execution: each operation takes effect at a random instant inside
 * its call and return, in that order, on a single copy of the object, and reports what it saw.
 * Values come from `pool`, so that reads and compare-and-sets meet values written before.
 */
function executedHistory(modelName: string, pool: readonly Edn[], seed: number): CheckedOp[] {
  const random = new Random(seed);
  const clock = [0, 0, 0, 0];
  const ops: (CheckedOp & { at: number; happens: boolean })[] = [];
  const fs =
    modelName === "kv"
      ? ["get", "put", "append"]
      : modelName === "cas-register"
        ? ["read", "write", "cas"]
        : ["read", "write"];
  for (let id = 0; id < 24; id++) {
    const p = random.int(0, clock.length - 1);
    const callTime = (clock[p] as number) + random.uniform(0, 3);
    const returnTime = callTime + random.uniform(0.1, 6);
    clock[p] = returnTime;
    const f = random.pick(fs);
    const pick = () => pool[random.int(0, pool.length - 1)] as Edn;
    const input =
      f === "cas"
        ? [pick(), pick()]
        : f === "append"
          ? random.pick(["a", "b", "cd"])
          : f === "put" || f === "write"
            ? pick()
            : null;
    const reads = f === "read" || f === "get";
    const info = !reads && random.chance(0.1);
    ops.push({
      id,
      process: `p${p}`,
      f,
      key: modelName === "kv" ? `k${random.int(0, 1)}` : "",
      input,
      output: null,
      outcome: info ? "info" : "ok",
      callTime,
      returnTime: info ? Number.POSITIVE_INFINITY : returnTime,
      at: random.uniform(callTime, returnTime),
      happens: !info || random.chance(0.5),
    });
  }
  const state = new Map<string, Edn>();
  for (const o of [...ops].sort((a, b) => a.at - b.at)) {
    const current = state.get(o.key) ?? null;
    if (o.f === "read" || o.f === "get") o.output = current;
    else if (!o.happens) continue;
    else if (o.f === "write" || o.f === "put") state.set(o.key, o.input as Edn);
    else if (o.f === "cas") {
      const [expected, next] = o.input as [Edn, Edn];
      if (ednEquals(expected, current)) state.set(o.key, next);
      else if (o.outcome === "ok") o.outcome = "fail"; // it compared and found another value
    } else if (current === null || typeof current === "string") {
      state.set(o.key, `${current ?? ""}${o.input as string}`);
    } else if (o.outcome === "ok") o.outcome = "fail"; // an append to a non-string is refused
  }
  return ops.map(({ at: _at, happens: _happens, ...rest }) => ({
    ...rest,
    returnTime: rest.outcome === "info" ? Number.POSITIVE_INFINITY : rest.returnTime,
  }));
}

describe("histories of an execution, with values of every EDN type, through Jepsen EDN text", () => {
  const models: Model<unknown>[] = [registerModel, casRegisterModel, kvModel];
  for (const model of models) {
    it(`${model.name}: always linearizable; one read changed to a value never written, never`, () => {
      fc.assert(
        fc.property(
          fc.nat(),
          fc.uniqueArray(ednValue, { minLength: 1, maxLength: 4, selector: ednString }),
          (seed, pool) => {
            const executed = executedHistory(model.name, pool, seed);
            // Written and read back: every value is rebuilt from text, so equality is by content.
            const text = toJepsenHistory(executed);
            // A kv history without appends is written in the register form (:read and :write).
            const form = exportedForm(executed);
            const checked = MODELS_BY_NAME[form.model] as Model<unknown>;
            const options = { model: checked, independent: form.independent };
            const history = parseJepsenHistory(text, options);
            expect(history).toHaveLength(executed.length);
            expect(checkLinearizable(checked, history).linearizable).toBe(true);
            const read = history.find((o) => checked.operations[o.f]?.read && o.outcome === "ok");
            if (read === undefined) return;
            const never = new Tagged("test/never-written", 1);
            const changed = parseJepsenHistory(
              toJepsenHistory(history.map((o) => (o === read ? { ...o, output: never } : o))),
              options,
            );
            expect(checkLinearizable(checked, changed).linearizable).toBe(false);
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});
