/**
 * A Raft cluster on the simulator with clients writing through it, a fault plan, and the safety
 * properties of the Raft paper (figure 3) checked from the outside as the run goes:
 * election safety (at most one leader per term), log matching, leader completeness, and state
 * machine safety (no two servers apply different entries at the same index); then, once faults
 * stop, liveness: a leader is elected and every acknowledged write is applied on every server.
 */

import {
  type CheckedOp,
  checkLinearizable,
  kvModel,
  recordCall,
  recordReturn,
  type Verdict,
} from "../../shared/check/linearizability.js";
import { type FaultFlags, injectFaults } from "../../shared/faults.js";
import { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import type { LogEntry, RaftMessage } from "./messages.js";
import { RaftNode, type RaftObserver, type ReadMode } from "./raft-node.js";

export interface RaftRunOptions extends FaultFlags {
  seed: number;
  servers: number;
  clients: number;
  /** Puts per client. */
  writes: number;
  /** Gets per client (default none), interleaved at random with the puts. */
  reads?: number;
  /**
   * How long a client keeps retrying one operation before it gives up and moves on (default:
   * forever). An abandoned put stays :info in the history: it may yet be applied.
   */
  deadlineMs?: number;
  /** Broken variant: servers vote for candidates whose logs are behind theirs. */
  skipElectionRestriction?: boolean;
  /** How the leader serves reads; "local" is the broken variant. Default "read-index". */
  readMode?: ReadMode;
  /**
   * Cut whoever leads at `atMs`, together with client-1, off from everyone else until `healAtMs`:
   * the majority elects a new leader, while the old one still believes it leads and client-1 can
   * reach only it.
   */
  isolateLeader?: { atMs: number; healAtMs: number };
}

export interface RaftRunResult {
  violations: string[];
  acknowledged: { key: string; value: string }[];
  unappliedAcknowledged: string[];
  leaderElected: boolean;
  terms: number;
  /** The clients' history in the checker's terms (kv model: put and get). */
  history: CheckedOp[];
  /** The linearizability checker's verdict on it. */
  linearizability: Verdict;
}

const entryId = (e: LogEntry) => `${e.term}/${e.command.requestId}`;

/**
 * A client that puts and gets the keys k0..k2 (shared by all clients), one operation at a time,
 * retrying it until the cluster answers or its deadline passes: at the leader it was told of, or
 * at a random server after 120 ms of silence. Retries keep the request id, so a put is applied
 * once however often it is sent. A put never answered stays :info in the history (it may have
 * happened); a get never answered stays :info too, and constrains nothing.
 */
class RaftClient extends SimNode<RaftMessage, null, null> {
  private leaderGuess: string;
  private current: { requestId: string; op: CheckedOp } | undefined;
  private writesLeft: number;
  private readsLeft: number;
  private readonly deadlineMs: number;
  private sent = 0;
  done = false;

  constructor(
    id: string,
    net: Network<RaftMessage>,
    private readonly servers: string[],
    workload: { writes: number; reads: number; deadlineMs: number },
    private readonly history: CheckedOp[],
    private readonly onAcknowledged: (requestId: string, key: string, value: string) => void,
  ) {
    super(id, net, null);
    this.leaderGuess = servers[0] as string;
    this.writesLeft = workload.writes;
    this.readsLeft = workload.reads;
    this.deadlineMs = workload.deadlineMs;
  }

  protected initialVolatile(): null {
    return null;
  }

  begin(): void {
    this.next();
  }

  private next(): void {
    const left = this.writesLeft + this.readsLeft;
    if (left === 0) {
      this.done = true;
      return;
    }
    const isRead = this.random.chance(this.readsLeft / left);
    if (isRead) this.readsLeft--;
    else this.writesLeft--;
    const n = this.sent++;
    const op = recordCall(this.history, {
      process: this.id,
      f: isRead ? "get" : "put",
      key: `k${this.random.int(0, 2)}`,
      input: isRead ? null : `${this.id}-v${n}`,
      callTime: this.sim.now,
    });
    this.current = { requestId: `${this.id}-${n}`, op };
    this.attempt();
  }

  private attempt(): void {
    const c = this.current;
    if (c === undefined) return;
    this.send(
      this.leaderGuess,
      c.op.f === "get"
        ? { type: "ClientGet", requestId: c.requestId, key: c.op.key }
        : { type: "ClientPut", requestId: c.requestId, key: c.op.key, value: String(c.op.input) },
    );
    this.setTimer("timeout", 120);
  }

  override onTimer(name: string): void {
    if (name === "timeout") this.leaderGuess = this.random.pick(this.servers);
    if (name !== "timeout" && name !== "retry") return;
    const c = this.current;
    if (c !== undefined && this.sim.now - c.op.callTime >= this.deadlineMs) {
      this.current = undefined;
      this.next();
    } else this.attempt();
  }

  onMessage(_from: string, msg: RaftMessage): void {
    const c = this.current;
    if (msg.type !== "ClientResponse" || c === undefined || msg.requestId !== c.requestId) return;
    this.cancelTimer("timeout");
    if (msg.ok) {
      recordReturn(c.op, "ok", this.sim.now, c.op.f === "get" ? msg.value : null);
      if (c.op.f === "put") this.onAcknowledged(c.requestId, c.op.key, String(c.op.input));
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
        readMode: options.readMode ?? "read-index",
      }),
    ),
  );
  const history: CheckedOp[] = [];
  const acknowledged: { requestId: string; key: string; value: string }[] = [];
  const workload = {
    writes: options.writes,
    reads: options.reads ?? 0,
    deadlineMs: options.deadlineMs ?? Number.POSITIVE_INFINITY,
  };
  const clients = Array.from({ length: options.clients }, (_, i) =>
    net.add(
      new RaftClient(`client-${i + 1}`, net, ids, workload, history, (requestId, key, value) =>
        acknowledged.push({ requestId, key, value }),
      ),
    ),
  );
  for (const client of clients) sim.at(20, () => client.begin());

  const safetyEndMs = 2_500;
  injectFaults(net, ids, options, {
    startMs: 100,
    endMs: safetyEndMs,
    durationMsMin: 100,
    durationMsMax: 600,
  });
  const cut = options.isolateLeader;
  if (cut !== undefined) {
    sim.at(cut.atMs, () => {
      const leader = servers
        .filter((s) => s.role === "leader" && !s.crashed)
        .sort((a, b) => b.term - a.term)[0];
      if (leader === undefined) return;
      const others = [...ids, ...clients.map((c) => c.id)].filter(
        (id) => id !== leader.id && id !== "client-1",
      );
      net.partition([[leader.id, "client-1"], others]);
      trace.note(
        `${leader.id}, leader of term ${leader.term}, and client-1 are cut off from everyone else until ${cut.healAtMs} ms.`,
        { level: "summary" },
      );
    });
    sim.at(cut.healAtMs, () => net.heal());
  }

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
  const settled = () =>
    clients.every((c) => c.done) &&
    servers.some((s) => s.role === "leader") &&
    servers.every((s) => acknowledged.every((w) => s.hasApplied(w.requestId)));
  sim.runUntil(settled, sim.now + 6_000);
  checkLogMatching();
  const unappliedAcknowledged = servers.flatMap((s) =>
    acknowledged
      .filter((w) => !s.hasApplied(w.requestId))
      .map((w) => `${s.id} has not applied ${w.key}=${w.value}`),
  );
  return {
    violations: [...new Set(violations)],
    acknowledged: acknowledged.map(({ key, value }) => ({ key, value })),
    unappliedAcknowledged,
    leaderElected: servers.some((s) => s.role === "leader" && !s.crashed),
    terms: Math.max(...servers.map((s) => s.term)),
    history,
    linearizability: checkLinearizable(kvModel, history),
  };
}
