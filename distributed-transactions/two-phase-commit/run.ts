/**
 * Wiring for two-phase commit on the simulator: a coordinator, participants that are shards of a
 * key-value store of orders (stock on one shard, the customer's balance on another), a workload
 * of orders, faults (message loss, crashes with restarts) and scripted crashes at the points the
 * book names. After the faults stop, the run goes on until no participant is in doubt, and then
 * reads every participant's durable log: the atomicity check is computed from what the
 * participants applied, never from what the coordinator believes.
 */

import { type FaultFlags, injectFaults } from "../../shared/faults.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import { Coordinator, type CoordinatorVariant } from "./coordinator.js";
import type { TwoPhaseCommitMessage, Write } from "./messages.js";
import {
  type HeuristicGuess,
  Participant,
  type ParticipantVariant,
  type Wait,
} from "./participant.js";

export type TwoPhaseCommitVariant = "correct" | "decision-before-log" | "heuristic";

export const COORDINATOR = "coordinator";

/** An order: one transaction whose writes land on several participants. */
export interface Order {
  readonly txid: string;
  readonly atMs: number;
  readonly writes: ReadonlyMap<string, readonly Write[]>;
}

/** Where a scripted crash strikes, in the book's terms. */
export type CrashPoint =
  | "before-vote"
  | "after-vote"
  | "votes-collected"
  | "commit-point"
  | "decision-sent";

export interface ScriptedCrash {
  readonly node: string;
  readonly point: CrashPoint;
  readonly txid: string;
  readonly downMs: number;
  /** A single-node transaction on a participant, submitted `afterMs` after the crash. */
  readonly local?: {
    readonly participant: string;
    readonly id: string;
    readonly key: string;
    readonly delta: number;
    readonly afterMs: number;
  };
}

export interface TwoPhaseCommitOptions {
  seed: number;
  participants: number;
  variant: TwoPhaseCommitVariant;
  /** Random orders (ignored when `orders` is given). */
  transactions: number;
  faults: FaultFlags;
  orders?: readonly Order[];
  crashes?: readonly ScriptedCrash[];
  rows?: Record<string, number>;
  /**
   * Under the heuristic variant, which participants decide on their own and how; without it,
   * every participant does, by a seeded coin.
   */
  guesses?: Readonly<Record<string, HeuristicGuess>>;
}

export type ParticipantOutcome = "committed" | "aborted" | "in doubt" | "no record";

export interface TransactionOutcome {
  readonly txid: string;
  readonly outcomes: ReadonlyMap<string, ParticipantOutcome>;
  readonly heuristic: boolean;
  /** The participants that decided on their own (the heuristic variant). */
  readonly onTheirOwn: readonly string[];
}

export interface LocalOutcome {
  readonly id: string;
  readonly participant: string;
  outcome: "committed" | "rejected" | "lost" | "waiting";
  readonly submittedAtMs: number;
  finishedAtMs: number | undefined;
}

export interface TwoPhaseCommitResult {
  /** Transactions the coordinator began (it was up when the application asked). */
  transactions: TransactionOutcome[];
  notBegun: string[];
  /** Committed somewhere and aborted (or never prepared) somewhere else. */
  notAtomic: TransactionOutcome[];
  /** Prepared with no decision at the end of the run. */
  inDoubtAtEnd: { participant: string; txid: string }[];
  waits: Wait[];
  locals: LocalOutcome[];
  heuristicDecisions: number;
  /** Of those, how many committed. */
  heuristicCommits: number;
  /**
   * Each time the coordinator restarted: what was in doubt at a participant then (from their
   * logs), so that a check can ask whether all of it was resolved.
   */
  coordinatorRecoveries: { atMs: number; inDoubt: { participant: string; txid: string }[] }[];
  /** Everything in doubt at some restart of the coordinator (each pair once)... */
  inDoubtAtCoordinatorRestart: { participant: string; txid: string }[];
  /** ...and those of them still in doubt at the end. */
  unresolvedAfterCoordinatorRestart: { participant: string; txid: string }[];
  /** Prepared records written, over every participant: how often a participant was in doubt. */
  prepared: number;
  /** When the faults stopped, and when the last participant left doubt (or the limit). */
  faultsEndMs: number;
  endMs: number;
  settled: boolean;
  /** When the scripted crashes struck. */
  crashedAtMs: Map<string, number>;
  rows: Map<string, Record<string, number>>;
}

/** Rows every shard starts with: two items in stock, two customers' balances. */
export function initialRows(): Record<string, number> {
  return { "item-a": 50, "item-b": 50, "balance-x": 1000, "balance-y": 1000 };
}

/** Random orders: reserve stock on one shard and take the payment on another. */
export function randomOrders(sim: Simulation, participants: number, count: number): Order[] {
  const random = sim.random.fork("workload");
  const shards = Array.from({ length: participants }, (_, i) => `p${i + 1}`);
  const orders: Order[] = [];
  let atMs = 0;
  for (let i = 1; i <= count; i++) {
    atMs += random.exponential(15);
    const [stock, payment] = random.shuffle(shards) as [string, string];
    const quantity = random.int(1, 3);
    const price = random.int(5, 20);
    orders.push({
      txid: `T${i}`,
      atMs,
      writes: new Map([
        [stock, [{ key: random.pick(["item-a", "item-b"]), delta: -quantity }]],
        [payment, [{ key: random.pick(["balance-x", "balance-y"]), delta: -quantity * price }]],
      ]),
    });
  }
  return orders;
}

export function runTwoPhaseCommit(
  trace: Trace,
  options: TwoPhaseCommitOptions,
): TwoPhaseCommitResult {
  const sim = new Simulation({ seed: options.seed, trace, maxEvents: 5_000_000 });
  const net = new Network<TwoPhaseCommitMessage>(sim, {
    loss: options.faults.loss,
    duplicate: options.faults.duplicate,
  });
  const crashedAtMs = new Map<string, number>();
  const waits: Wait[] = [];
  const locals: LocalOutcome[] = [];
  const participants: Participant[] = [];
  const scripted = options.crashes ?? [];

  const coordinatorRecoveries: TwoPhaseCommitResult["coordinatorRecoveries"] = [];
  // What is in doubt, read from the participants' durable logs: prepared with no decision.
  const inDoubt = () =>
    participants.flatMap((p) => {
      const log = p.durable.log;
      return log.flatMap((r) =>
        r.kind === "prepared" &&
        !log.some((d) => (d.kind === "committed" || d.kind === "aborted") && d.txid === r.txid)
          ? [{ participant: p.id, txid: r.txid }]
          : [],
      );
    });

  const strike = (node: Participant | Coordinator, point: CrashPoint, txid: string) => {
    const crash = scripted.find((c) => c.node === node.id && c.point === point && c.txid === txid);
    if (crash === undefined || crashedAtMs.has(`${crash.node}/${crash.point}/${crash.txid}`))
      return;
    crashedAtMs.set(`${crash.node}/${crash.point}/${crash.txid}`, sim.now);
    node.crash();
    sim.schedule(crash.downMs, () => node.recover());
    const local = crash.local;
    if (local !== undefined)
      sim.schedule(local.afterMs, () => {
        const target = participants.find((p) => p.id === local.participant);
        locals.push({
          id: local.id,
          participant: local.participant,
          outcome: "waiting",
          submittedAtMs: sim.now,
          finishedAtMs: undefined,
        });
        target?.submitLocal(local.id, local.key, local.delta);
      });
  };

  class RunCoordinator extends Coordinator {
    protected override votesCollected(txid: string): void {
      strike(this, "votes-collected", txid);
    }
    protected override commitPoint(txid: string): void {
      strike(this, "commit-point", txid);
    }
    protected override onRecover(): void {
      coordinatorRecoveries.push({ atMs: sim.now, inDoubt: inDoubt() });
      super.onRecover();
    }
    override send(to: string, msg: TwoPhaseCommitMessage): void {
      super.send(to, msg);
      if (msg.type === "Commit") strike(this, "decision-sent", msg.txid);
    }
  }

  class RunParticipant extends Participant {
    protected override beforeVote(txid: string): void {
      strike(this, "before-vote", txid);
    }
    protected override afterVote(txid: string): void {
      strike(this, "after-vote", txid);
    }
    protected override waitStarted(wait: Wait): void {
      waits.push({ ...wait });
    }
    protected override waitEnded(what: string, atMs: number): void {
      const wait = waits.find((w) => w.what === what && w.toMs === undefined);
      if (wait !== undefined) wait.toMs = atMs;
    }
    protected override localFinished(id: string, outcome: "committed" | "rejected" | "lost") {
      const local = locals.find((l) => l.id === id);
      if (local !== undefined) {
        local.outcome = outcome;
        local.finishedAtMs = sim.now;
      }
    }
  }

  const coordinatorVariant: CoordinatorVariant =
    options.variant === "decision-before-log" ? "decision-before-log" : "correct";
  const participantVariant = (id: string): ParticipantVariant =>
    options.variant === "heuristic" && (options.guesses === undefined || id in options.guesses)
      ? "heuristic"
      : "correct";
  const coordinator = net.add(
    new RunCoordinator(COORDINATOR, net, { variant: coordinatorVariant }),
  );
  for (let i = 1; i <= options.participants; i++) {
    participants.push(
      net.add(
        new RunParticipant(`p${i}`, net, {
          coordinator: COORDINATOR,
          rows: options.rows ?? initialRows(),
          variant: participantVariant(`p${i}`),
          guess: options.guesses?.[`p${i}`] ?? "coin",
        }),
      ),
    );
  }

  const orders = options.orders ?? randomOrders(sim, options.participants, options.transactions);
  const begun: Order[] = [];
  const notBegun: string[] = [];
  for (const order of orders) {
    sim.at(order.atMs, () => {
      if (coordinator.begin(order.txid, order.writes)) begun.push(order);
      else notBegun.push(order.txid);
    });
  }
  const lastOrderMs = orders.reduce((m, o) => Math.max(m, o.atMs), 0);
  const faultsEndMs = lastOrderMs + 300;
  injectFaults(net, [COORDINATOR, ...participants.map((p) => p.id)], options.faults, {
    startMs: 0,
    endMs: faultsEndMs,
    durationMsMin: 100,
    durationMsMax: 400,
  });
  // Safety phase with faults, then a liveness phase: the network stops losing messages, every
  // node is up again (the plan restarts each crash by faultsEndMs), and 2PC must finish.
  sim.run(faultsEndMs);
  net.loss = 0;
  net.duplicate = 0;
  const settledNow = () =>
    !coordinator.crashed &&
    coordinator.inProgress().length === 0 &&
    participants.every((p) => !p.crashed) &&
    inDoubt().length === 0;
  const settled = sim.runUntil(settledNow, faultsEndMs + 10_000);

  const transactions: TransactionOutcome[] = begun.map((order) => {
    const outcomes = new Map<string, ParticipantOutcome>();
    let heuristic = false;
    const onTheirOwn: string[] = [];
    for (const id of order.writes.keys()) {
      const log = participants.find((p) => p.id === id)?.durable.log ?? [];
      let outcome: ParticipantOutcome = "no record";
      for (const r of log) {
        if (r.kind === "local" || r.txid !== order.txid) continue;
        if (r.kind === "prepared") outcome = "in doubt";
        else {
          // The first decision a participant logs is the one it applied.
          if (outcome === "committed" || outcome === "aborted") break;
          outcome = r.kind;
          heuristic ||= r.heuristic;
          if (r.heuristic) onTheirOwn.push(id);
        }
      }
      outcomes.set(id, outcome);
    }
    return { txid: order.txid, outcomes, heuristic, onTheirOwn };
  });
  const notAtomic = transactions.filter((t) => {
    const values = [...t.outcomes.values()];
    return values.includes("committed") && values.some((v) => v === "aborted" || v === "no record");
  });
  const inDoubtAtEnd = inDoubt();
  const inDoubtAtCoordinatorRestart = [
    ...new Map(
      coordinatorRecoveries
        .flatMap((c) => c.inDoubt)
        .map((d) => [`${d.participant}/${d.txid}`, d] as const),
    ).values(),
  ];
  return {
    transactions,
    notBegun,
    notAtomic,
    inDoubtAtEnd,
    waits,
    locals,
    heuristicDecisions: participants.reduce(
      (n, p) =>
        n +
        p.durable.log.filter((r) => r.kind !== "local" && r.kind !== "prepared" && r.heuristic)
          .length,
      0,
    ),
    heuristicCommits: participants.reduce(
      (n, p) => n + p.durable.log.filter((r) => r.kind === "committed" && r.heuristic).length,
      0,
    ),
    coordinatorRecoveries,
    inDoubtAtCoordinatorRestart,
    unresolvedAfterCoordinatorRestart: inDoubtAtCoordinatorRestart.filter((d) =>
      inDoubtAtEnd.some((e) => e.participant === d.participant && e.txid === d.txid),
    ),
    prepared: participants.reduce(
      (n, p) => n + p.durable.log.filter((r) => r.kind === "prepared").length,
      0,
    ),
    faultsEndMs,
    endMs: sim.now,
    settled,
    crashedAtMs,
    rows: new Map(participants.map((p) => [p.id, { ...p.durable.rows }])),
  };
}
