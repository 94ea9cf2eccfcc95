/**
 * Wiring for single-leader replication on the simulator: replicas, clients that write and read
 * and record a history for the linearizability checker, an optional network partition that cuts
 * the leader off, and the naive failover of DDIA ch. 5 ("Handling Node Outages: Leader failure: Failover"):
 * a monitor that promotes the most up-to-date follower when the leader stops answering.
 */

import { type CheckedOp, recordCall, recordReturn } from "../../shared/check/linearizability.js";
import { type FaultFlags, injectFaults } from "../../shared/faults.js";
import { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import type { LeaderFollowerMessage } from "./messages.js";
import { Replica, type ReplicationMode } from "./replica.js";

export interface LeaderFollowerOptions {
  seed: number;
  followers: number;
  mode: ReplicationMode;
  clients: number;
  operations: number;
  /** Where clients read: the leader, or a random follower. */
  readFrom: "leader" | "followers";
  /** Cut the leader (and client-1) off from everyone else during this window. */
  cutLeader?: { atMs: number; healAtMs: number };
  /** Let the monitor promote a follower when the leader stops answering. */
  failover: boolean;
  latencyMsMax: number;
  /** Random faults on the replicas while the clients work (default: none). */
  faults?: FaultFlags;
  /**
   * Make the links between the leader and one follower slow for a while (both ways, `latencyMs`
   * to 1.2 times that per message), as when a follower is overloaded: the case where
   * semi-synchronous replication makes another follower synchronous.
   */
  slowFollower?: { follower: string; fromMs: number; toMs: number; latencyMs: number };
  /** Semi-sync: how long a write waits for the synchronous follower before another is made synchronous. */
  syncTimeoutMs?: number;
  /**
   * Follow one write from client to acknowledgement: the first the leader receives at or after
   * `fromMs` (or, if none comes that late, the last it received before).
   */
  followWrite?: { fromMs: number };
}

/** One write's path through the system, every time in simulated milliseconds. */
export interface WritePath {
  client: string;
  requestId: string;
  key: string;
  value: string;
  /** Whether the leader received it at or after `followWrite.fromMs`. */
  late: boolean;
  sentAtMs: number;
  leader: string;
  lsn: number;
  appendedAtMs: number;
  /** The followers the leader shipped it to on receiving it. */
  shippedTo: string[];
  /** When each follower appended it (undefined: not by the end of the run). */
  followerAppends: { follower: string; atMs: number | undefined }[];
  /** When the leader first heard (a ReplicateAck) that each follower holds it. */
  leaderHeard: { follower: string; atMs: number }[];
  /** When the leader sent WriteOk, and (semi-sync) which follower was synchronous then. */
  acknowledgedAtMs: number | undefined;
  synchronousAtAck: string | undefined;
  /** When the client heard WriteOk, or gave up waiting (its timeout). */
  clientHeardAtMs: number | undefined;
  clientGaveUpAtMs: number | undefined;
}

/**
 * A replica whose every step the run can watch from outside: when it appended each entry, and
 * each message it receives and sends. The replica itself is unchanged.
 */
class ObservedReplica extends Replica {
  /** When this replica appended each request's entry (a measurement, not state of the protocol). */
  readonly appendedAtMs = new Map<string, number>();
  /** The requests whose entries this replica appended as leader, from a client's Write. */
  readonly appendedAsLeader = new Set<string>();
  watch:
    | ((event: "before" | "receive" | "send", peer: string, msg: LeaderFollowerMessage) => void)
    | undefined;

  override onMessage(from: string, msg: LeaderFollowerMessage): void {
    this.watch?.("before", from, msg);
    const before = this.lsn;
    super.onMessage(from, msg);
    for (let lsn = before + 1; lsn <= this.lsn; lsn++) {
      const entry = this.entryAt(lsn);
      if (entry === undefined) continue;
      this.appendedAtMs.set(entry.requestId, this.sim.now);
      if (msg.type === "Write") this.appendedAsLeader.add(entry.requestId);
    }
    this.watch?.("receive", from, msg);
  }

  override send(to: string, msg: LeaderFollowerMessage): void {
    this.watch?.("send", to, msg);
    super.send(to, msg);
  }
}

export interface LeaderFollowerResult {
  history: CheckedOp[];
  acknowledgedWrites: {
    requestId: string;
    key: string;
    value: string;
    atMs: number;
    lsn: number;
  }[];
  lost: string[];
  /** Simulated milliseconds during which two replicas both believed they were the leader. */
  splitBrainMs: number;
  /** From the client's Write to its hearing WriteOk, for each write a client heard acknowledged. */
  writeLatencies: number[];
  /**
   * Replication lag as the book means it, "the delay between a write happening on the leader and
   * being reflected on a follower" (DDIA ch. 5, "Problems with Replication Lag"): for each write a
   * leader appended and each other replica that appended it by the end, the time between the two
   * appends. Synchronous replication has lag too; it makes the client wait it out.
   */
  replicationLagMs: number[];
  /** The write followed with `followWrite`, if the leader received any. */
  followed: WritePath | undefined;
  /**
   * Writes a leader acknowledged (sent WriteOk for), each counted once, whether or not its client
   * was still waiting to hear it. The three counts below are judged at that moment, from the
   * replicas' own logs (a crashed follower's log is on its disk, so it still counts as a copy).
   */
  leaderAcknowledged: number;
  /** Writes some follower did not yet hold when the leader acknowledged them. */
  ackedAheadOfFollowers: number;
  /** Writes no follower held when the leader acknowledged them: one copy only. */
  ackedOnLeaderOnly: number;
  /** Writes the leader acknowledged while `slowFollower`'s links were slow. */
  acknowledgedWhileSlow: number;
  /** Semi-sync: how many times a leader made another follower synchronous. */
  synchronousSwitches: number;
  finalLeader: string;
}

/** The client: alternates writes to its own keys and reads of any key, one operation at a time. */
class LfClient extends SimNode<LeaderFollowerMessage, null, null> {
  private current:
    | { op: CheckedOp; target: string; msg: LeaderFollowerMessage; sentAt: number }
    | undefined;
  private count = 0;
  done = false;

  constructor(
    id: string,
    net: Network<LeaderFollowerMessage>,
    private readonly directory: { leader: string; followers: string[] },
    private readonly options: LeaderFollowerOptions,
    private readonly history: CheckedOp[],
    private readonly acknowledged: LeaderFollowerResult["acknowledgedWrites"],
    private readonly latencies: number[],
    private readonly onGiveUp: (requestId: string) => void = () => {},
  ) {
    super(id, net, null);
  }

  /** The leader this client believes in: learned from the directory only when something fails. */
  private leader = "";

  protected initialVolatile(): null {
    return null;
  }

  begin(): void {
    this.leader = this.directory.leader;
    this.next();
  }

  private next(): void {
    if (this.count >= this.options.operations) {
      this.done = true;
      return;
    }
    const n = this.count++;
    const isWrite = this.random.chance(0.5);
    const key = `k${this.random.int(0, 2)}`;
    const requestId = `${this.id}-${n}`;
    const op = recordCall(this.history, {
      process: this.id,
      f: isWrite ? "put" : "get",
      key,
      input: isWrite ? `${this.id}.${n}` : null,
      callTime: this.sim.now,
    });
    const target =
      isWrite || this.options.readFrom === "leader"
        ? this.leader
        : this.random.pick(this.directory.followers);
    const msg: LeaderFollowerMessage = isWrite
      ? { type: "Write", requestId, key, value: String(op.input) }
      : { type: "Read", requestId, key };
    this.current = { op, target, msg, sentAt: this.sim.now };
    this.send(target, msg);
    this.setTimer("timeout", 80);
  }

  override onTimer(name: string): void {
    const c = this.current;
    if (name === "pause") this.next();
    if (name !== "timeout" || c === undefined) return;
    // No answer: the outcome is unknown (info). Ask the directory where the leader is now.
    if (c.msg.type === "Write") this.onGiveUp(c.msg.requestId);
    this.leader = this.directory.leader;
    this.current = undefined;
    this.setTimer("pause", this.random.uniform(1, 5));
  }

  onMessage(_from: string, msg: LeaderFollowerMessage): void {
    const c = this.current;
    if (
      c === undefined ||
      !("requestId" in msg) ||
      msg.requestId !== ("requestId" in c.msg ? c.msg.requestId : "")
    )
      return;
    this.cancelTimer("timeout");
    if (msg.type === "WriteOk") {
      recordReturn(c.op, "ok", this.sim.now);
      this.latencies.push(this.sim.now - c.sentAt);
      this.acknowledged.push({
        requestId: msg.requestId,
        key: c.op.key,
        value: String(c.op.input),
        atMs: this.sim.now,
        lsn: msg.lsn,
      });
    } else if (msg.type === "ReadOk") {
      recordReturn(c.op, "ok", this.sim.now, msg.value ?? null);
    } else if (msg.type === "NotLeader") {
      recordReturn(c.op, "fail", this.sim.now);
      this.leader = this.directory.leader;
    }
    this.current = undefined;
    this.setTimer("pause", this.random.uniform(1, 5));
  }
}

/** The failover monitor: pings the leader; after three unanswered pings, promotes the most up-to-date follower. */
class Monitor extends SimNode<LeaderFollowerMessage, null, null> {
  private missed = 0;
  private readonly lsns = new Map<string, number>();
  promotions: { atMs: number; leader: string }[] = [];

  constructor(
    id: string,
    net: Network<LeaderFollowerMessage>,
    private readonly directory: { leader: string; followers: string[] },
    private readonly replicas: string[],
  ) {
    super(id, net, null);
  }

  protected initialVolatile(): null {
    return null;
  }

  protected override onStart(): void {
    this.setTimer("ping", 20);
  }

  override onTimer(): void {
    this.missed++;
    for (const r of this.replicas) this.send(r, { type: "Ping" });
    if (this.missed >= 3) {
      const candidates = this.directory.followers.filter((f) => this.lsns.has(f));
      const best = candidates.sort((a, b) => (this.lsns.get(b) ?? 0) - (this.lsns.get(a) ?? 0))[0];
      if (best !== undefined) {
        const old = this.directory.leader;
        const followers = this.replicas.filter((r) => r !== best);
        this.note(
          `gets no answer from ${old} and promotes ${best}, the most up-to-date follower (LSN ${this.lsns.get(best)})`,
          { level: "summary" },
        );
        this.send(best, { type: "Promote", followers: followers.filter((f) => f !== old) });
        for (const f of followers) this.send(f, { type: "FollowNewLeader", leader: best });
        this.directory.leader = best;
        this.directory.followers = followers.filter((f) => f !== old);
        this.promotions.push({ atMs: this.sim.now, leader: best });
        this.missed = 0;
      }
    }
    this.lsns.clear();
    this.setTimer("ping", 20);
  }

  onMessage(from: string, msg: LeaderFollowerMessage): void {
    if (msg.type !== "Pong") return;
    this.lsns.set(from, msg.lsn);
    if (from === this.directory.leader) this.missed = 0;
    // An old leader that comes back still believing it leads is told to step down.
    else if (msg.leader)
      this.send(from, { type: "FollowNewLeader", leader: this.directory.leader });
  }
}

export function runLeaderFollower(
  trace: Trace,
  options: LeaderFollowerOptions,
): LeaderFollowerResult {
  const sim = new Simulation({ seed: options.seed, trace, maxEvents: 2_000_000 });
  const faults = options.faults ?? { loss: 0, duplicate: 0, crash: 0, partition: 0 };
  const net = new Network<LeaderFollowerMessage>(sim, {
    latencyMsMin: 1,
    latencyMsMax: options.latencyMsMax,
    loss: faults.loss,
    duplicate: faults.duplicate,
  });
  const ids = Array.from({ length: options.followers + 1 }, (_, i) => `r${i + 1}`);
  const directory = { leader: ids[0] as string, followers: ids.slice(1) };
  const replicas = ids.map((id, i) =>
    net.add(
      new ObservedReplica(
        id,
        net,
        {
          mode: options.mode,
          heartbeatMs: 20,
          ...(options.syncTimeoutMs !== undefined ? { syncTimeoutMs: options.syncTimeoutMs } : {}),
        },
        i === 0,
        i === 0 ? ids.slice(1) : [],
      ),
    ),
  );
  const history: CheckedOp[] = [];
  const acknowledged: LeaderFollowerResult["acknowledgedWrites"] = [];
  const latencies: number[] = [];
  const leaderAcknowledged = new Set<string>();
  let ackedAheadOfFollowers = 0;
  let ackedOnLeaderOnly = 0;
  let acknowledgedWhileSlow = 0;
  const slow = options.slowFollower;
  // Judged at the instant a leader sends WriteOk, whatever becomes of that message: what the
  // leader has promised is what matters, not when (or whether) the client hears of it.
  const onLeaderAcknowledges = (leader: Replica, requestId: string) => {
    if (leaderAcknowledged.has(requestId)) return;
    leaderAcknowledged.add(requestId);
    const followers = replicas.filter((r) => r !== leader);
    if (followers.some((r) => !r.holds(requestId))) ackedAheadOfFollowers++;
    if (followers.length > 0 && !followers.some((r) => r.holds(requestId))) ackedOnLeaderOnly++;
    if (slow !== undefined && sim.now >= slow.fromMs && sim.now < slow.toMs)
      acknowledgedWhileSlow++;
  };
  // Following one write: the leader's steps are watched as they happen; the followers' appends
  // and the client's side are read at the end.
  let followed: Omit<WritePath, "followerAppends" | "sentAtMs" | "clientHeardAtMs"> | undefined;
  let fixed = false;
  const gaveUp = new Map<string, number>();
  const onGiveUp = (requestId: string) => {
    if (requestId === followed?.requestId) gaveUp.set(requestId, sim.now);
  };
  for (const replica of replicas)
    replica.watch = (event, peer, msg) => {
      if (event === "send" && msg.type === "WriteOk") onLeaderAcknowledges(replica, msg.requestId);
      if (options.followWrite === undefined || !replica.isLeader) return;
      if (event === "before" && msg.type === "Write") {
        // A new write this leader is about to append: follow it, unless one is already chosen.
        if (fixed || replica.holds(msg.requestId)) return;
        fixed = sim.now >= options.followWrite.fromMs;
        followed = {
          client: peer,
          requestId: msg.requestId,
          key: msg.key,
          value: msg.value,
          late: fixed,
          leader: replica.id,
          lsn: replica.lsn + 1,
          appendedAtMs: sim.now,
          shippedTo: [],
          leaderHeard: [],
          acknowledgedAtMs: undefined,
          synchronousAtAck: undefined,
          clientGaveUpAtMs: undefined,
        };
        return;
      }
      if (followed === undefined || replica.id !== followed.leader) return;
      const f = followed;
      if (event === "send" && msg.type === "Replicate" && sim.now === f.appendedAtMs) {
        if ((msg.entries.at(-1)?.lsn ?? 0) >= f.lsn && !f.shippedTo.includes(peer))
          f.shippedTo.push(peer);
      } else if (
        event === "receive" &&
        msg.type === "ReplicateAck" &&
        msg.lsn >= f.lsn &&
        !f.leaderHeard.some((h) => h.follower === peer)
      ) {
        f.leaderHeard.push({ follower: peer, atMs: sim.now });
      } else if (
        event === "send" &&
        msg.type === "WriteOk" &&
        msg.requestId === f.requestId &&
        f.acknowledgedAtMs === undefined
      ) {
        f.acknowledgedAtMs = sim.now;
        f.synchronousAtAck = replica.synchronousFollower;
      }
    };
  const finishPath = (
    p: Omit<WritePath, "followerAppends" | "sentAtMs" | "clientHeardAtMs">,
  ): WritePath => {
    const op = history.find((o) => o.f === "put" && o.input === p.value);
    return {
      ...p,
      sentAtMs: op?.callTime ?? p.appendedAtMs,
      followerAppends: replicas
        .filter((r) => r.id !== p.leader)
        .map((r) => ({ follower: r.id, atMs: r.appendedAtMs.get(p.requestId) })),
      clientHeardAtMs: op?.outcome === "ok" ? op.returnTime : undefined,
      clientGaveUpAtMs: gaveUp.get(p.requestId),
    };
  };

  const clients = Array.from({ length: options.clients }, (_, i) =>
    net.add(
      new LfClient(
        `client-${i + 1}`,
        net,
        directory,
        options,
        history,
        acknowledged,
        latencies,
        onGiveUp,
      ),
    ),
  );
  if (options.failover) net.add(new Monitor("monitor", net, directory, ids));
  injectFaults(net, ids, faults, {
    startMs: 20,
    endMs: 20 + options.operations * 15,
    durationMsMin: 30,
    durationMsMax: 200,
  });
  for (const c of clients) sim.at(5, () => c.begin());

  if (slow !== undefined) {
    const leaderId = ids[0] as string;
    const setBoth = (latencyMsMin: number, latencyMsMax: number) => {
      net.setLink(leaderId, slow.follower, { latencyMsMin, latencyMsMax });
      net.setLink(slow.follower, leaderId, { latencyMsMin, latencyMsMax });
    };
    sim.at(slow.fromMs, () => {
      setBoth(slow.latencyMs, slow.latencyMs * 1.2);
      trace.note(
        `The links between ${leaderId} and ${slow.follower} turn slow: ${slow.latencyMs} to ${slow.latencyMs * 1.2} ms a message, each way.`,
        { time: sim.now },
      );
    });
    sim.at(slow.toMs, () => {
      setBoth(1, options.latencyMsMax);
      trace.note(
        `The links between ${leaderId} and ${slow.follower} are fast again (messages already under way still arrive late).`,
        { time: sim.now },
      );
    });
  }

  let splitBrainMs = 0;
  const sampler = () => {
    const leaders = replicas.filter((r) => r.isLeader && !r.crashed);
    if (leaders.length > 1) splitBrainMs++;
    if (!clients.every((c) => c.done) || sim.now < 5_000) sim.schedule(1, sampler);
  };
  sim.at(5, sampler);

  if (options.cutLeader !== undefined) {
    const cut = options.cutLeader;
    sim.at(cut.atMs, () =>
      net.partition([
        [ids[0] as string, "client-1"],
        [
          ...ids.slice(1),
          ...(options.failover ? ["monitor"] : []),
          ...clients.slice(1).map((c) => c.id),
        ],
      ]),
    );
    sim.at(cut.healAtMs, () => net.heal());
  }
  sim.runUntil(
    () =>
      clients.every((c) => c.done) &&
      sim.now > (options.cutLeader?.healAtMs ?? 0) + 200 &&
      sim.now > (slow?.toMs ?? 0),
    // An operation takes a few to a few tens of milliseconds, or its 80 ms timeout and a pause.
    20_000 + options.operations * 100,
  );
  sim.run(sim.now + 300);

  // Replication lag, exactly: from a leader's append to each other replica's append of the same write.
  const replicationLagMs: number[] = [];
  for (const leader of replicas)
    for (const requestId of leader.appendedAsLeader) {
      const fromMs = leader.appendedAtMs.get(requestId) as number;
      for (const other of replicas) {
        const atMs = other.appendedAtMs.get(requestId);
        if (other !== leader && atMs !== undefined && !other.appendedAsLeader.has(requestId))
          replicationLagMs.push(atMs - fromMs);
      }
    }

  const leader = replicas.find((r) => r.id === directory.leader) as Replica;
  const lost = acknowledged
    .filter((w) => !leader.holds(w.requestId))
    .map((w) => `${w.key}=${w.value}`);
  return {
    history,
    acknowledgedWrites: acknowledged,
    lost,
    splitBrainMs,
    writeLatencies: latencies,
    replicationLagMs,
    followed: followed === undefined ? undefined : finishPath(followed),
    leaderAcknowledged: leaderAcknowledged.size,
    ackedAheadOfFollowers,
    ackedOnLeaderOnly,
    acknowledgedWhileSlow,
    synchronousSwitches: replicas.reduce((sum, r) => sum + r.synchronousSwitches, 0),
    finalLeader: leader.id,
  };
}
