/**
 * A Raft cluster on the simulator with clients writing through it, a fault plan, and the safety
 * properties of the Raft paper (figure 3) checked from the outside as the run goes:
 * election safety (at most one leader per term), log matching, leader completeness, and state
 * machine safety (no two servers apply different entries at the same index); then, once faults
 * stop, liveness: a leader is elected and every acknowledged write is applied on every server.
 */

import { describeFault, planFaults, scheduleFaults } from "../../shared/faults.js";
import { History } from "../../shared/history.js";
import { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import type { LogEntry, RaftMessage } from "./messages.js";
import { RaftNode, type RaftObserver } from "./raft-node.js";

export interface RaftRunOptions {
  seed: number;
  servers: number;
  clients: number;
  writes: number;
  loss: number;
  duplicate: number;
  crash: number;
  partition: number;
  /** Broken variant: servers vote for candidates whose logs are behind theirs. */
  skipElectionRestriction?: boolean;
}

export interface RaftRunResult {
  violations: string[];
  acknowledged: { key: string; value: string }[];
  unappliedAcknowledged: string[];
  leaderElected: boolean;
  terms: number;
  history: History<{ value: string }>;
}

const entryId = (e: LogEntry) => `${e.term}/${e.command.requestId}`;

/** A client that writes `client-i:k` keys one at a time, retrying until the cluster acknowledges. */
class RaftClient extends SimNode<RaftMessage, null, null> {
  private leaderGuess: string;
  private current: { requestId: string; key: string; value: string; op: number } | undefined;
  private sent = 0;
  done = false;

  constructor(
    id: string,
    net: Network<RaftMessage>,
    private readonly servers: string[],
    private readonly writes: number,
    private readonly history: History<{ value: string }>,
  ) {
    super(id, net, null);
    this.leaderGuess = servers[0] as string;
  }

  protected initialVolatile(): null {
    return null;
  }

  begin(): void {
    this.next();
  }

  private next(): void {
    if (this.sent >= this.writes) {
      this.done = true;
      return;
    }
    const n = this.sent++;
    const value = `${this.id}-v${n}`;
    const key = `${this.id}:k${n % 3}`;
    this.current = {
      requestId: `${this.id}-${n}`,
      key,
      value,
      op: this.history.invoke(this.id, "write", key, { value }, this.sim.now),
    };
    this.attempt();
  }

  private attempt(): void {
    const c = this.current;
    if (c === undefined) return;
    this.send(this.leaderGuess, {
      type: "ClientPut",
      requestId: c.requestId,
      key: c.key,
      value: c.value,
    });
    this.setTimer("timeout", 120);
  }

  override onTimer(name: string): void {
    if (name === "timeout") {
      this.leaderGuess = this.random.pick(this.servers);
      this.attempt();
    } else if (name === "retry") this.attempt();
  }

  onMessage(_from: string, msg: RaftMessage): void {
    const c = this.current;
    if (msg.type !== "ClientPutResponse" || c === undefined || msg.requestId !== c.requestId)
      return;
    this.cancelTimer("timeout");
    if (msg.ok) {
      this.history.complete(c.op, "ok", { value: c.value }, this.sim.now);
      this.current = undefined;
      this.next();
      return;
    }
    this.leaderGuess = msg.leaderHint ?? this.random.pick(this.servers);
    this.setTimer("retry", 20);
  }
}

export function runRaft(trace: Trace, options: RaftRunOptions): RaftRunResult {
  const sim = new Simulation({ seed: options.seed, trace, maxEvents: 3_000_000 });
  const net = new Network<RaftMessage>(sim, {
    latencyMsMin: 1,
    latencyMsMax: 10,
    loss: options.loss,
    duplicate: options.duplicate,
  });
  const ids = Array.from({ length: options.servers }, (_, i) => `s${i + 1}`);
  const violations: string[] = [];
  const leaders = new Map<number, string>();
  const committed = new Map<number, { id: string; term: number }>();
  const applied = new Map<number, string>();
  const observer: RaftObserver = {
    becameLeader: (node, term) => {
      const other = leaders.get(term);
      if (other !== undefined && other !== node.id)
        violations.push(`election safety: ${other} and ${node.id} both lead term ${term}`);
      leaders.set(term, node.id);
      // Leader completeness: every entry committed in an earlier term is in the new leader's log.
      for (const [index, c] of committed) {
        const mine = node.log[index];
        if (c.term < term && (mine === undefined || entryId(mine) !== c.id)) {
          violations.push(
            `leader completeness: ${node.id}, leader of term ${term}, lacks committed entry ${c.id} at index ${index}`,
          );
        }
      }
    },
    committed: (node, index, entry) => {
      const seen = committed.get(index);
      if (seen !== undefined && seen.id !== entryId(entry))
        violations.push(
          `commit safety: ${node.id} commits ${entryId(entry)} at index ${index}, where ${seen.id} was committed`,
        );
      if (seen === undefined) committed.set(index, { id: entryId(entry), term: node.term });
    },
    applied: (node, index, entry) => {
      const seen = applied.get(index);
      if (seen !== undefined && seen !== entryId(entry))
        violations.push(
          `state machine safety: ${node.id} applies ${entryId(entry)} at index ${index}, where ${seen} was applied`,
        );
      applied.set(index, entryId(entry));
    },
  };
  const servers = ids.map((id) =>
    net.add(
      new RaftNode(id, net, {
        peers: ids.filter((p) => p !== id),
        electionTimeoutMsMin: 150,
        electionTimeoutMsMax: 300,
        heartbeatMs: 50,
        maxEntriesPerMessage: 50,
        observer,
        skipElectionRestriction: options.skipElectionRestriction ?? false,
      }),
    ),
  );
  const history = new History<{ value: string }>();
  const clients = Array.from({ length: options.clients }, (_, i) =>
    net.add(new RaftClient(`client-${i + 1}`, net, ids, options.writes, history)),
  );
  for (const client of clients) sim.at(20, () => client.begin());

  const safetyEndMs = 2_500;
  const plan = planFaults(sim.random.fork("faults"), {
    nodes: ids,
    crashes: options.crash,
    partitions: options.partition,
    startMs: 100,
    endMs: safetyEndMs,
    durationMsMin: 100,
    durationMsMax: 600,
  });
  scheduleFaults(net, plan);
  trace.note(
    `Faults: loss ${options.loss}, duplication ${options.duplicate}${plan.map((f) => `; ${describeFault(f)}`).join("")}.`,
    {
      level: "summary",
    },
  );

  // Log matching, checked periodically from the outside.
  const checkLogMatching = () => {
    for (let a = 0; a < servers.length; a++) {
      for (let b = a + 1; b < servers.length; b++) {
        const x = (servers[a] as RaftNode).log;
        const y = (servers[b] as RaftNode).log;
        let lastAgreeing = -1;
        for (let i = Math.min(x.length, y.length) - 1; i >= 1; i--) {
          if (x[i]?.term === y[i]?.term) {
            lastAgreeing = i;
            break;
          }
        }
        for (let i = 1; i <= lastAgreeing; i++) {
          if (entryId(x[i] as LogEntry) !== entryId(y[i] as LogEntry)) {
            violations.push(
              `log matching: ${servers[a]?.id} and ${servers[b]?.id} agree on the term at index ${lastAgreeing} but differ at ${i}`,
            );
            return;
          }
        }
      }
    }
  };
  for (let t = 100; t <= safetyEndMs + 4_000; t += 100) sim.at(t, checkLogMatching);

  sim.run(safetyEndMs);
  net.loss = 0;
  net.duplicate = 0;
  if (net.partitioned) net.heal();
  for (const s of servers) s.recover();
  const acknowledged = () =>
    history
      .operations()
      .filter((op) => op.outcome === "ok")
      .map((op) => ({ key: op.key, value: op.input.value }));
  // Each client writes its keys in order, so a key's last acknowledged value is its final one.
  const lastValues = () => new Map(acknowledged().map((w) => [w.key, w.value]));
  const settled = () =>
    clients.every((c) => c.done) &&
    servers.some((s) => s.role === "leader") &&
    servers.every((s) => [...lastValues()].every(([key, value]) => s.state.get(key) === value));
  sim.runUntil(settled, sim.now + 6_000);
  checkLogMatching();
  const unappliedAcknowledged = servers.flatMap((s) =>
    [...lastValues()]
      .filter(([key, value]) => s.state.get(key) !== value)
      .map(([key, value]) => `${s.id} lacks ${key}=${value}`),
  );
  return {
    violations: [...new Set(violations)],
    acknowledged: acknowledged(),
    unappliedAcknowledged,
    leaderElected: servers.some((s) => s.role === "leader" && !s.crashed),
    terms: Math.max(...servers.map((s) => s.term)),
    history,
  };
}
