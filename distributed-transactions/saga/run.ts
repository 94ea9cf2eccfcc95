/**
 * Wiring for the saga on the simulator: an orchestrator, the stock, payment and email services,
 * and a reader polling the stock, with message loss and crashes (each followed by a restart).
 * After the faults stop the run goes on until every saga has ended. Everything judged afterwards
 * is read from the services' own durable state, never from the orchestrator's saga log.
 */

import { type FaultFlags, injectFaults } from "../../shared/faults.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import { type Email, EmailService } from "./email.js";
import type { SagaMessage } from "./messages.js";
import { Orchestrator, type SagaOrder, type SagaStatus, type SagaVariant } from "./orchestrator.js";
import { Reader, type StockRead } from "./reader.js";
import { RowService } from "./service.js";

export const STOCK_ROWS: Readonly<Record<string, number>> = { "item-a": 20, "item-b": 20 };
export const PAYMENT_ROWS: Readonly<Record<string, number>> = { "balance-x": 300, "balance-y": 40 };

export interface TimedOrder extends SagaOrder {
  readonly atMs: number;
}

export interface SagaRunOptions {
  seed: number;
  variant: SagaVariant;
  /** Random orders (ignored when `orders` is given). */
  orders: number;
  faults: FaultFlags;
  scripted?: readonly TimedOrder[];
}

/** What the services applied for one saga, read from their durable logs and outbox. */
export interface SagaEffects {
  readonly saga: string;
  readonly status: SagaStatus | "not begun";
  readonly failure: string | undefined;
  readonly reserved: boolean;
  readonly released: boolean;
  readonly charged: boolean;
  readonly emails: readonly string[];
}

export interface IntermediateRead {
  readonly read: StockRead;
  /** How many reservations of sagas that did not complete this read included; the first three. */
  readonly count: number;
  readonly sagas: readonly string[];
}

export interface SagaRunResult {
  sagas: SagaEffects[];
  /** Sagas whose committed steps are neither all kept nor all compensated. */
  partial: SagaEffects[];
  /** The final rows, and the rows as the completed sagas alone would have left them. */
  rows: Record<string, number>;
  rowsWithoutFailedSagas: Record<string, number>;
  reads: readonly StockRead[];
  intermediateReads: IntermediateRead[];
  outbox: readonly Email[];
  settled: boolean;
  faultsEndMs: number;
  endMs: number;
}

export function randomSagaOrders(sim: Simulation, count: number): TimedOrder[] {
  const random = sim.random.fork("workload");
  const orders: TimedOrder[] = [];
  let atMs = 0;
  for (let i = 1; i <= count; i++) {
    atMs += random.exponential(20);
    orders.push({
      saga: `S${i}`,
      atMs,
      customer: random.pick(["x", "y"]),
      item: random.pick(["item-a", "item-b"]),
      quantity: random.int(1, 3),
      price: random.int(5, 25),
    });
  }
  return orders;
}

export function runSaga(trace: Trace, options: SagaRunOptions): SagaRunResult {
  const sim = new Simulation({ seed: options.seed, trace, maxEvents: 5_000_000 });
  const net = new Network<SagaMessage>(sim, {
    loss: options.faults.loss,
    duplicate: options.faults.duplicate,
  });
  const orchestrator = net.add(new Orchestrator("orchestrator", net, options.variant));
  const stock = net.add(new RowService("stock", net, STOCK_ROWS));
  const payments = net.add(new RowService("payments", net, PAYMENT_ROWS));
  const email = net.add(new EmailService("email", net));
  const orders = options.scripted ?? randomSagaOrders(sim, options.orders);
  const lastOrderMs = orders.reduce((m, o) => Math.max(m, o.atMs), 0);
  const faultsEndMs = lastOrderMs + 300;
  const reader = net.add(new Reader("reader", net, ["item-a", "item-b"], faultsEndMs));
  const begun = new Set<string>();
  for (const order of orders)
    sim.at(order.atMs, () => {
      if (orchestrator.begin(order)) begun.add(order.saga);
    });
  injectFaults(net, ["orchestrator", "stock", "payments", "email"], options.faults, {
    startMs: 0,
    endMs: faultsEndMs,
    durationMsMin: 50,
    durationMsMax: 200,
  });
  sim.run(faultsEndMs);
  net.loss = 0;
  net.duplicate = 0;
  const open = () =>
    Object.values(orchestrator.durable.sagas).some(
      (e) => e.status === "running" || e.status === "compensating",
    );
  const settled = sim.runUntil(
    () => !orchestrator.crashed && !stock.crashed && !payments.crashed && !email.crashed && !open(),
    faultsEndMs + 10_000,
  );

  const sagas: SagaEffects[] = orders.map((order) => {
    const entry = orchestrator.durable.sagas[order.saga];
    const applied = (service: RowService, action: string) =>
      service.durable.log.some((c) => c.saga === order.saga && c.action === action);
    return {
      saga: order.saga,
      status: begun.has(order.saga) && entry !== undefined ? entry.status : "not begun",
      failure: entry?.failure,
      reserved: applied(stock, "ReserveStock"),
      released: applied(stock, "ReleaseStock"),
      charged: applied(payments, "ChargePayment"),
      emails: email.durable.outbox.filter((e) => e.saga === order.saga).map((e) => e.text),
    };
  });
  const partial = sagas.filter((s) => {
    const kept = s.reserved && !s.released && s.charged && s.emails.length === 1;
    const undone =
      !s.charged && (!s.reserved || s.released) && (s.emails.length === 0 || s.emails.length === 2);
    return !kept && !undone;
  });
  // The rows as if only the completed sagas had run: each took its stock and its payment.
  const rowsWithoutFailedSagas: Record<string, number> = { ...STOCK_ROWS, ...PAYMENT_ROWS };
  for (const order of orders) {
    const s = sagas.find((x) => x.saga === order.saga);
    if (s?.status !== "completed") continue;
    rowsWithoutFailedSagas[order.item] = (rowsWithoutFailedSagas[order.item] ?? 0) - order.quantity;
    const account = `balance-${order.customer}`;
    rowsWithoutFailedSagas[account] =
      (rowsWithoutFailedSagas[account] ?? 0) - order.quantity * order.price;
  }
  const compensated = new Set(sagas.filter((s) => s.status !== "completed").map((s) => s.saga));
  // Each reservation of a saga that did not complete is visible from its LSN until its release's
  // (forever, if it was never released); a read reflects every change up to its own LSN.
  const releasedAt = new Map<string, number>();
  for (const c of stock.durable.log) if (c.action === "ReleaseStock") releasedAt.set(c.saga, c.lsn);
  const windows = stock.durable.log.flatMap((c) =>
    c.action === "ReserveStock" && compensated.has(c.saga)
      ? [{ key: c.key, saga: c.saga, from: c.lsn, to: releasedAt.get(c.saga) ?? Infinity }]
      : [],
  );
  // A sweep in LSN order over each key's windows and reads, keeping the open windows.
  const intermediateReads: IntermediateRead[] = [];
  const reads = [...reader.reads()].sort((x, y) => x.lsn - y.lsn || x.atMs - y.atMs);
  for (const key of Object.keys(STOCK_ROWS)) {
    const opening = windows.filter((w) => w.key === key).sort((x, y) => x.from - y.from);
    const open: { saga: string; to: number }[] = [];
    let next = 0;
    for (const read of reads) {
      if (read.key !== key) continue;
      while (next < opening.length && (opening[next]?.from ?? Infinity) <= read.lsn) {
        const w = opening[next++];
        if (w !== undefined) open.push({ saga: w.saga, to: w.to });
      }
      for (let i = open.length - 1; i >= 0; i--)
        if ((open[i]?.to ?? 0) <= read.lsn) open.splice(i, 1);
      if (open.length > 0)
        intermediateReads.push({
          read,
          count: open.length,
          sagas: open.slice(0, 3).map((o) => o.saga),
        });
    }
  }
  intermediateReads.sort((x, y) => x.read.atMs - y.read.atMs);
  return {
    sagas,
    partial,
    rows: { ...stock.durable.rows, ...payments.durable.rows },
    rowsWithoutFailedSagas,
    reads: reader.reads(),
    intermediateReads,
    outbox: email.durable.outbox,
    settled,
    faultsEndMs,
    endMs: sim.now,
  };
}
