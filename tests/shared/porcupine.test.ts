import { describe, expect, it } from "vitest";
import {
  type CheckedOp,
  casRegisterModel,
  checkLinearizable,
  checkLinearizableOrUndecided,
  type Model,
  SearchLimitExceeded,
} from "../../shared/check/linearizability.js";
import { porcupineHistory, porcupineVerdicts } from "./fixtures/histories.js";

describe("published histories: Porcupine's etcd Jepsen logs", () => {
  it("reads Jepsen's console log lines, :info timeouts included", () => {
    const ops = porcupineHistory("etcd_002");
    // 154 lines: 77 invocations, each closed by :ok, :fail or :info (counted by hand with grep).
    expect(ops).toHaveLength(77);
    expect(ops[0]).toMatchObject({ process: "4", f: "read", outcome: "ok", output: null });
    expect(
      ops.filter((op) => op.outcome === "info").every((op) => op.returnTime === Infinity),
    ).toBe(true);
  });

  for (const [name, linearizable] of porcupineVerdicts) {
    it(`${name}: ${linearizable ? "linearizable" : "not linearizable"}, as Porcupine finds`, () => {
      expect(checkLinearizable(casRegisterModel, porcupineHistory(name)).linearizable).toBe(
        linearizable,
      );
    });
  }

  it("gives up as undecided, not with a wrong verdict, when the step budget runs out", () => {
    // etcd_002 needs 1,356,360 steps (the same count as Porcupine's own loop); 1,356,359 is one too few.
    const history = porcupineHistory("etcd_002");
    expect(checkLinearizable(casRegisterModel, history, 1_356_360).steps).toBe(1_356_360);
    expect(() => checkLinearizable(casRegisterModel, history, 1_356_359)).toThrow(
      SearchLimitExceeded,
    );
    expect(checkLinearizableOrUndecided(casRegisterModel, history, 1_000)).toBeUndefined();
  });

  it("a checker that treats timed-out operations as never having happened (the broken variant) rejects the linearizable ones", () => {
    // An :info operation may have taken effect: etcd_002 and etcd_005 read values that only
    // timed-out writes could have written. Dropping them leaves those reads unexplained.
    const forgetful: Model<unknown> = {
      ...casRegisterModel,
      irrelevant: (op: CheckedOp) => op.outcome === "info" || casRegisterModel.irrelevant(op),
    };
    for (const name of ["etcd_002", "etcd_005"])
      expect(checkLinearizable(forgetful, porcupineHistory(name)).linearizable, name).toBe(false);
  });
});
