/**
 * The order as a saga (Garcia-Molina and Salem, "Sagas", 1987; DDIA ch. 9, "From single-node to
 * distributed atomic commit", on compensating transactions): compensation restores the rows but
 * not the emails, a reader sees the steps in between, retries are applied once, and the checks
 * catch the broken variant that does not compensate.
 */
import { describe, expect, it } from "vitest";
import type { SagaMessage } from "../../distributed-transactions/saga/messages.js";
import { PAYMENT_ROWS, runSaga, STOCK_ROWS } from "../../distributed-transactions/saga/run.js";
import { RowService } from "../../distributed-transactions/saga/service.js";
import { saga } from "../../distributed-transactions/scenarios/saga.js";
import type { Concept } from "../../shared/cli.js";
import { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace } from "../../shared/trace.js";
import { runInProcess } from "../shared/fixtures/cli.js";

const NO_FAULTS = { loss: 0, duplicate: 0, crash: 0, partition: 0 };
const failing = {
  saga: "S1",
  atMs: 0,
  customer: "y",
  item: "item-a",
  quantity: 2,
  price: 25,
};

describe("one saga", () => {
  it("completes: the stock and the payment are taken, one email sent", () => {
    const r = runSaga(Trace.silent(), {
      seed: 1,
      variant: "correct",
      orders: 1,
      faults: NO_FAULTS,
      scripted: [{ ...failing, customer: "x", price: 10 }],
    });
    // By hand: item-a 20 - 2 = 18; balance-x 300 - 2 * 10 = 280.
    expect(r.rows).toEqual({ "item-a": 18, "item-b": 20, "balance-x": 280, "balance-y": 40 });
    expect(r.outbox.map((e) => e.text)).toEqual(["we have received your order S1"]);
    expect(r.sagas[0]?.status).toBe("completed");
  });

  it.each([1, 2, 3])(
    "seed %i: a failed payment is compensated: the rows are as before, the first email stays sent, and a reader saw the reservation in between",
    (seed) => {
      const r = runSaga(Trace.silent(), {
        seed,
        variant: "correct",
        orders: 1,
        faults: NO_FAULTS,
        scripted: [failing],
      });
      // 2 * 25 = 50 > balance-y's 40: the payment fails, and every row is back where it started.
      expect(r.rows).toEqual({ ...STOCK_ROWS, ...PAYMENT_ROWS });
      expect(r.sagas[0]?.status).toBe("compensated");
      // Semantic compensation: a second email, not the first one taken back.
      expect(r.outbox.map((e) => e.text)).toEqual([
        "we have received your order S1",
        "sorry, your order S1 is cancelled",
      ]);
      // No isolation: the reader got item-a = 20 - 2 = 18 while the saga ran.
      expect(r.intermediateReads.length).toBeGreaterThan(0);
      expect(r.intermediateReads.every((x) => x.read.value === 18 && x.sagas[0] === "S1")).toBe(
        true,
      );
      expect(r.partial).toEqual([]);
    },
  );

  it("the broken variant leaves the reservation in place, and both checks see it", () => {
    const r = runSaga(Trace.silent(), {
      seed: 1,
      variant: "no-compensation",
      orders: 1,
      faults: NO_FAULTS,
      scripted: [failing],
    });
    expect(r.rows["item-a"]).toBe(18);
    expect(r.rowsWithoutFailedSagas["item-a"]).toBe(20);
    expect(r.partial.map((s) => s.saga)).toEqual(["S1"]);
  });
});

describe("sagas under loss, duplication and crashes", () => {
  const faultsOf = (seed: number) => ({
    loss: [0.05, 0.1, 0.2, 0.3][seed % 4] as number,
    duplicate: 0.1,
    crash: 1 + (seed % 4),
    partition: 0,
  });

  it("over 200 seeds: every saga ends all done or all compensated, and the rows equal what the completed sagas alone would leave; the broken variant fails both", () => {
    const failures: string[] = [];
    let compensated = 0;
    let brokenCaught = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = runSaga(Trace.silent(), {
        seed,
        variant: "correct",
        orders: 12,
        faults: faultsOf(seed),
      });
      const replay = `seed ${seed}: replay with npx tsx distributed-transactions/main.ts saga --seed ${seed}`;
      if (r.partial.length > 0) failures.push(`${replay}: ${r.partial[0]?.saga} partly done`);
      if (JSON.stringify(r.rows) !== JSON.stringify({ ...r.rows, ...r.rowsWithoutFailedSagas }))
        failures.push(`${replay}: rows differ`);
      if (!r.settled) failures.push(`${replay}: a saga never ended`);
      compensated += r.sagas.filter((s) => s.status === "compensated" && s.reserved).length;
      const broken = runSaga(Trace.silent(), {
        seed,
        variant: "no-compensation",
        orders: 12,
        faults: faultsOf(seed),
      });
      const differs = Object.keys(broken.rows).some(
        (k) => broken.rows[k] !== broken.rowsWithoutFailedSagas[k],
      );
      if (broken.partial.length > 0 && differs) brokenCaught++;
    }
    expect(failures).toEqual([]);
    expect(compensated).toBeGreaterThan(200);
    expect(brokenCaught).toBeGreaterThan(100);
  });

  it("is deterministic: the same seed gives the same trace", () => {
    const run = () => {
      const trace = new Trace();
      runSaga(trace, { seed: 7, variant: "correct", orders: 10, faults: faultsOf(7) });
      return JSON.stringify(trace.events);
    };
    expect(run()).toBe(run());
  });
});

describe("a service applies a retried request once", () => {
  class Client extends SimNode<SagaMessage, null, null> {
    readonly inbox: SagaMessage[] = [];
    protected initialVolatile(): null {
      return null;
    }
    onMessage(_from: string, msg: SagaMessage): void {
      this.inbox.push(msg);
    }
  }
  /** Broken on purpose: forgets the results it has given, so a retry is applied again. */
  class Forgetful extends RowService {
    override onMessage(from: string, msg: SagaMessage): void {
      this.durable.results = {};
      super.onMessage(from, msg);
    }
  }
  const twice = (Service: typeof RowService) => {
    const sim = new Simulation({ seed: 1, trace: Trace.silent() });
    const net = new Network<SagaMessage>(sim);
    const stock = net.add(new Service("stock", net, { "item-a": 5 }));
    const client = net.add(new Client("orchestrator", net, null));
    const msg = {
      type: "ReserveStock",
      requestId: "S1/1/do",
      saga: "S1",
      key: "item-a",
      amount: 2,
    } as const;
    client.send("stock", msg);
    sim.run(50);
    client.send("stock", msg);
    sim.run(100);
    return { stock, client };
  };

  it("the same requestId twice: one change, the same answer twice; a service that forgets applies it twice", () => {
    const { stock, client } = twice(RowService);
    expect(stock.durable.rows["item-a"]).toBe(3);
    expect(stock.durable.log).toHaveLength(1);
    expect(client.inbox).toEqual([
      { type: "StepResult", requestId: "S1/1/do", ok: true },
      { type: "StepResult", requestId: "S1/1/do", ok: true },
    ]);
    const broken = twice(Forgetful);
    expect(broken.stock.durable.rows["item-a"]).toBe(1);
    expect(broken.stock.durable.log).toHaveLength(2);
  });
});

describe("the scenario", () => {
  const concept: Concept = {
    folder: "distributed-transactions",
    description: "saga",
    scenarios: [saga],
    tour: ["saga"],
  };
  const run = (argv: string[]) => runInProcess(concept, ["saga", ...argv]);

  it("runs its stories and checks and exits 0; the missing isolation is shown as an expected violation", async () => {
    const r = await run(["--quiet"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✔ the rows equal what the completed sagas alone would leave/);
    expect(r.stdout).toMatch(
      /✘ compensation: no reader saw stock reserved for an order that did not complete: .*\(violated, as expected/,
    );
  });

  it("--variant no-compensation shows its violations, expected, and exits 0", async () => {
    const r = await run(["--variant", "no-compensation", "--quiet"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /✘ no compensation: every saga kept all its committed steps or compensated all of them: 1 left partly done: S1/,
    );
  });

  it("with every message lost while the reader reads, the isolation check is not exercised", async () => {
    const r = await run(["--transactions", "1", "--loss", "1", "--crash", "0", "--quiet"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /○ no reader saw stock reserved .*: (no read was answered|every order)/,
    );
  });

  it.each([
    [["--transactions", "0"], /--transactions/],
    [["--loss", "-0.1"], /--loss/],
    [["--crash", "21"], /--crash/],
    [["--variant", "2pc"], /--variant/],
  ])("refuses %j in one line with status 2", async (argv, flag) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(flag);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
