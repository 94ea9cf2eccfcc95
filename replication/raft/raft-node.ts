/**
 * A Raft server (Ongaro & Ousterhout 2014; DDIA ch. 9, "Distributed Transactions and Consensus":
 * "Fault-Tolerant Consensus"): leader election by randomized timeouts and votes, log replication
 * by AppendEntries, commitment by a majority in the leader's own term, and a key-value state
 * machine that applies committed entries in log order.
 *
 * Durable (figure 2, "persistent state on all servers"): currentTerm, votedFor, log.
 * Volatile: role, commitIndex, lastApplied, the state machine (rebuilt by re-applying the log as
 * the commit index is learned again), the leader's nextIndex and matchIndex, and pending client
 * requests.
 *
 * A new leader appends a no-op in its term so that entries of earlier terms get committed
 * (section 5.4.2: a leader only counts replicas for entries of its current term). Client requests
 * carry ids and the state machine applies each id once, so a retried request is not applied twice.
 *
 * Reads go through the leader with a read index (section 8, and section 6.4 of Ongaro's thesis):
 * once the leader has committed an entry of its own term, it notes its commit index as the read's
 * index, sends a heartbeat round, and answers only after a majority (itself included) has
 * answered that round in its term. A deposed leader cannot gather that majority, because the
 * majority that elected its successor has moved to a later term; so it never answers from a stale
 * state machine. `readMode: "local"` is the broken shortcut: the leader answers at once from its
 * own state, which a deposed leader that has not yet heard of its successor does stale.
 * `readMode: "read-index-before-commit"` is the other broken one: a new leader takes its commit
 * index as the read index at once, though that index may still lag behind entries the previous
 * leader committed (and acknowledged), so a read can miss an acknowledged write.
 *
 * Left out: log compaction and snapshots, membership changes, pre-vote, read leases.
 */

import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { LogEntry, RaftMessage } from "./messages.js";

export interface RaftConfig {
  peers: string[];
  electionTimeoutMsMin: number;
  electionTimeoutMsMax: number;
  heartbeatMs: number;
  maxEntriesPerMessage: number;
  observer: RaftObserver;
  /** Broken variant: grant votes without the election restriction (section 5.4.1). */
  skipElectionRestriction?: boolean;
  /**
   * "read-index" (the default) confirms leadership before answering a read. Two broken
   * variants: "local" answers at once from the leader's own state; "read-index-before-commit"
   * takes the read index without waiting for the first commit of the leader's term.
   */
  readMode?: ReadMode;
}

export type ReadMode = "read-index" | "local" | "read-index-before-commit";

/** A read waiting at the leader: first for a commit in the leader's term, then for a majority's answer to its round. */
interface PendingRead {
  client: string;
  requestId: string;
  key: string;
  /** The commit index when the read was admitted; undefined while it waits for a commit in this term. */
  readIndex: number | undefined;
  round: number;
  /** Followers that answered round `round` or a later one in this term. */
  acks: Set<string>;
}

/** Receives what every node does, so the checks can judge the cluster from the outside. */
export interface RaftObserver {
  becameLeader(node: RaftNode, term: number): void;
  committed(node: RaftNode, index: number, entry: LogEntry): void;
  applied(node: RaftNode, index: number, entry: LogEntry): void;
}

interface RaftDurable {
  currentTerm: number;
  votedFor: string | null;
  /** 1-based: log[0] is a sentinel of term 0. */
  log: LogEntry[];
}

interface RaftVolatile {
  role: "follower" | "candidate" | "leader";
  leaderId: string | null;
  commitIndex: number;
  lastApplied: number;
  kv: Map<string, string>;
  appliedRequests: Set<string>;
  votes: Set<string>;
  nextIndex: Map<string, number>;
  matchIndex: Map<string, number>;
  /** Leader only: log index → the client waiting for it. */
  waiting: Map<number, { client: string; requestId: string }>;
  /** Leader only: the latest heartbeat round sent, and the reads waiting on one. */
  round: number;
  reads: PendingRead[];
}

const SENTINEL: LogEntry = {
  term: 0,
  command: { op: "noop", key: "", value: "", requestId: "sentinel" },
};

export class RaftNode extends SimNode<RaftMessage, RaftDurable, RaftVolatile> {
  constructor(
    id: string,
    net: Network<RaftMessage>,
    readonly config: RaftConfig,
  ) {
    super(id, net, { currentTerm: 0, votedFor: null, log: [SENTINEL] });
  }

  protected initialVolatile(): RaftVolatile {
    return {
      role: "follower",
      leaderId: null,
      commitIndex: 0,
      lastApplied: 0,
      kv: new Map(),
      appliedRequests: new Set(),
      votes: new Set(),
      nextIndex: new Map(),
      matchIndex: new Map(),
      waiting: new Map(),
      round: 0,
      reads: [],
    };
  }

  protected override onStart(): void {
    this.resetElectionTimer();
  }

  protected override onRecover(): void {
    this.resetElectionTimer();
  }

  get role(): RaftVolatile["role"] {
    return this.volatile.role;
  }

  get term(): number {
    return this.durable.currentTerm;
  }

  get log(): readonly LogEntry[] {
    return this.durable.log;
  }

  get commitIndex(): number {
    return this.volatile.commitIndex;
  }

  get state(): ReadonlyMap<string, string> {
    return this.volatile.kv;
  }

  /** Whether the state machine has applied the put with this request id. */
  hasApplied(requestId: string): boolean {
    return this.volatile.appliedRequests.has(requestId);
  }

  private get lastIndex(): number {
    return this.durable.log.length - 1;
  }

  private termAt(index: number): number {
    return this.durable.log[index]?.term ?? -1;
  }

  private get majority(): number {
    return Math.floor((this.config.peers.length + 1) / 2) + 1;
  }

  private resetElectionTimer(): void {
    this.setTimer(
      "election",
      this.random.uniform(this.config.electionTimeoutMsMin, this.config.electionTimeoutMsMax),
    );
  }

  override onTimer(name: string): void {
    if (name === "election" && this.volatile.role !== "leader") this.startElection();
    else if (name === "heartbeat" && this.volatile.role === "leader") {
      for (const peer of this.config.peers) this.replicateTo(peer);
      this.setTimer("heartbeat", this.config.heartbeatMs);
    }
  }

  onMessage(from: string, msg: RaftMessage): void {
    // Any message from a later term makes this node a follower of that term (figure 2, "all servers").
    if ("term" in msg && msg.term > this.durable.currentTerm) this.stepDown(msg.term);
    switch (msg.type) {
      case "RequestVote":
        this.handleRequestVote(from, msg);
        break;
      case "RequestVoteResponse":
        this.handleVote(from, msg);
        break;
      case "AppendEntries":
        this.handleAppendEntries(from, msg);
        break;
      case "AppendEntriesResponse":
        this.handleAppendResponse(from, msg);
        break;
      case "ClientPut":
        this.handleClientPut(from, msg);
        break;
      case "ClientGet":
        this.handleClientGet(from, msg);
        break;
      case "ClientResponse":
        break;
    }
  }

  private stepDown(term: number): void {
    const wasLeader = this.volatile.role === "leader";
    this.durable.currentTerm = term;
    this.durable.votedFor = null;
    this.volatile.role = "follower";
    this.volatile.leaderId = null;
    this.volatile.votes.clear();
    if (wasLeader) {
      this.cancelTimer("heartbeat");
      this.note(`steps down: it has seen term ${term}`);
      this.failWaiting();
      this.resetElectionTimer();
    }
  }

  private startElection(): void {
    this.durable.currentTerm++;
    this.durable.votedFor = this.id;
    this.volatile.role = "candidate";
    this.volatile.leaderId = null;
    this.volatile.votes = new Set([this.id]);
    this.resetElectionTimer();
    for (const peer of this.config.peers) {
      this.send(peer, {
        type: "RequestVote",
        term: this.durable.currentTerm,
        lastLogIndex: this.lastIndex,
        lastLogTerm: this.termAt(this.lastIndex),
      });
    }
    if (this.volatile.votes.size >= this.majority) this.becomeLeader();
  }

  private handleRequestVote(
    from: string,
    msg: Extract<RaftMessage, { type: "RequestVote" }>,
  ): void {
    const myLastTerm = this.termAt(this.lastIndex);
    // Election restriction (section 5.4.1): vote only for a candidate whose log is at least as up to date.
    const upToDate =
      msg.lastLogTerm > myLastTerm ||
      (msg.lastLogTerm === myLastTerm && msg.lastLogIndex >= this.lastIndex);
    const granted =
      msg.term === this.durable.currentTerm &&
      (this.durable.votedFor === null || this.durable.votedFor === from) &&
      (upToDate || this.config.skipElectionRestriction === true);
    if (granted) {
      this.durable.votedFor = from;
      this.resetElectionTimer();
    }
    this.send(from, {
      type: "RequestVoteResponse",
      term: this.durable.currentTerm,
      voteGranted: granted,
    });
  }

  private handleVote(
    from: string,
    msg: Extract<RaftMessage, { type: "RequestVoteResponse" }>,
  ): void {
    if (
      this.volatile.role !== "candidate" ||
      msg.term !== this.durable.currentTerm ||
      !msg.voteGranted
    )
      return;
    this.volatile.votes.add(from);
    if (this.volatile.votes.size >= this.majority) this.becomeLeader();
  }

  private becomeLeader(): void {
    this.volatile.role = "leader";
    this.volatile.leaderId = this.id;
    this.cancelTimer("election");
    for (const peer of this.config.peers) {
      this.volatile.nextIndex.set(peer, this.lastIndex + 1);
      this.volatile.matchIndex.set(peer, 0);
    }
    this.note(
      `becomes leader of term ${this.durable.currentTerm} with ${this.volatile.votes.size} votes`,
      { level: "summary" },
    );
    this.config.observer.becameLeader(this, this.durable.currentTerm);
    // A no-op in the new term lets entries of earlier terms commit (section 5.4.2, and section 8).
    this.durable.log.push({
      term: this.durable.currentTerm,
      command: {
        op: "noop",
        key: "",
        value: "",
        requestId: `noop-${this.durable.currentTerm}-${this.id}`,
      },
    });
    this.advanceCommit();
    this.onTimer("heartbeat");
  }

  private replicateTo(peer: string): void {
    const next = this.volatile.nextIndex.get(peer) ?? this.lastIndex + 1;
    const prevLogIndex = next - 1;
    this.send(peer, {
      type: "AppendEntries",
      term: this.durable.currentTerm,
      prevLogIndex,
      prevLogTerm: this.termAt(prevLogIndex),
      entries: this.durable.log.slice(next, next + this.config.maxEntriesPerMessage),
      leaderCommit: this.volatile.commitIndex,
      round: this.volatile.round,
    });
  }

  private handleAppendEntries(
    from: string,
    msg: Extract<RaftMessage, { type: "AppendEntries" }>,
  ): void {
    const reply = (success: boolean, matchIndex: number) =>
      this.send(from, {
        type: "AppendEntriesResponse",
        term: this.durable.currentTerm,
        success,
        matchIndex,
        round: msg.round,
      });
    if (msg.term < this.durable.currentTerm) {
      reply(false, 0);
      return;
    }
    // A leader of this term exists: a candidate of the same term gives up.
    this.volatile.role = "follower";
    this.volatile.leaderId = from;
    this.resetElectionTimer();
    if (msg.prevLogIndex > this.lastIndex) {
      reply(false, this.lastIndex);
      return;
    }
    if (this.termAt(msg.prevLogIndex) !== msg.prevLogTerm) {
      // Back up past the whole conflicting term in one step.
      const conflictTerm = this.termAt(msg.prevLogIndex);
      let first = msg.prevLogIndex;
      while (first > 1 && this.termAt(first - 1) === conflictTerm) first--;
      reply(false, first - 1);
      return;
    }
    let index = msg.prevLogIndex;
    for (const entry of msg.entries) {
      index++;
      if (index <= this.lastIndex && this.termAt(index) !== entry.term) {
        // Log matching: a conflicting entry and everything after it go (figure 2, receiver step 3).
        this.durable.log.length = index;
      }
      if (index > this.lastIndex) this.durable.log.push(entry);
    }
    const lastNew = msg.prevLogIndex + msg.entries.length;
    // The commit index only moves forward, and only as far as this message proves the log matches.
    const commit = Math.min(msg.leaderCommit, lastNew);
    if (commit > this.volatile.commitIndex) {
      this.volatile.commitIndex = commit;
      this.apply();
    }
    reply(true, lastNew);
  }

  private handleAppendResponse(
    from: string,
    msg: Extract<RaftMessage, { type: "AppendEntriesResponse" }>,
  ): void {
    if (this.volatile.role !== "leader" || msg.term !== this.durable.currentTerm) return;
    // Success or not, an answer in this term means the follower still accepts this leader.
    for (const read of this.volatile.reads)
      if (read.readIndex !== undefined && msg.round >= read.round) read.acks.add(from);
    this.answerConfirmedReads();
    if (msg.success) {
      if (msg.matchIndex > (this.volatile.matchIndex.get(from) ?? 0))
        this.volatile.matchIndex.set(from, msg.matchIndex);
      this.volatile.nextIndex.set(
        from,
        Math.max(this.volatile.nextIndex.get(from) ?? 1, msg.matchIndex + 1),
      );
      this.advanceCommit();
      if ((this.volatile.nextIndex.get(from) ?? 0) <= this.lastIndex) this.replicateTo(from);
    } else {
      this.volatile.nextIndex.set(
        from,
        Math.max(1, Math.min(this.volatile.nextIndex.get(from) ?? 1, msg.matchIndex + 1)),
      );
      this.replicateTo(from);
    }
  }

  private advanceCommit(): void {
    for (let n = this.lastIndex; n > this.volatile.commitIndex; n--) {
      if (this.termAt(n) !== this.durable.currentTerm) break;
      let replicas = 1;
      for (const peer of this.config.peers)
        if ((this.volatile.matchIndex.get(peer) ?? 0) >= n) replicas++;
      if (replicas >= this.majority) {
        for (let i = this.volatile.commitIndex + 1; i <= n; i++)
          this.config.observer.committed(this, i, this.durable.log[i] as LogEntry);
        this.volatile.commitIndex = n;
        this.apply();
        this.admitReads();
        break;
      }
    }
  }

  private apply(): void {
    while (this.volatile.lastApplied < this.volatile.commitIndex) {
      const index = ++this.volatile.lastApplied;
      const entry = this.durable.log[index] as LogEntry;
      const { command } = entry;
      if (command.op === "put" && !this.volatile.appliedRequests.has(command.requestId)) {
        this.volatile.kv.set(command.key, command.value);
        this.volatile.appliedRequests.add(command.requestId);
      }
      this.config.observer.applied(this, index, entry);
      const waiting = this.volatile.waiting.get(index);
      if (waiting !== undefined) {
        this.volatile.waiting.delete(index);
        this.respond(waiting.client, waiting.requestId, true);
      }
    }
  }

  private handleClientPut(from: string, msg: Extract<RaftMessage, { type: "ClientPut" }>): void {
    if (this.volatile.role !== "leader") {
      this.respond(from, msg.requestId, false);
      return;
    }
    // A retry of a request already in the log waits for that entry instead of appending another.
    const existing = this.durable.log.findIndex((e) => e.command.requestId === msg.requestId);
    if (existing > 0 && existing <= this.volatile.commitIndex) {
      this.respond(from, msg.requestId, true);
      return;
    }
    const index =
      existing > 0
        ? existing
        : this.durable.log.push({
            term: this.durable.currentTerm,
            command: { op: "put", key: msg.key, value: msg.value, requestId: msg.requestId },
          }) - 1;
    this.volatile.waiting.set(index, { client: from, requestId: msg.requestId });
    for (const peer of this.config.peers) this.replicateTo(peer);
    this.advanceCommit();
  }

  private handleClientGet(from: string, msg: Extract<RaftMessage, { type: "ClientGet" }>): void {
    if (this.volatile.role !== "leader") {
      this.respond(from, msg.requestId, false);
      return;
    }
    if (this.config.readMode === "local") {
      this.respond(from, msg.requestId, true, this.volatile.kv.get(msg.key) ?? null);
      return;
    }
    this.volatile.reads.push({
      client: from,
      requestId: msg.requestId,
      key: msg.key,
      readIndex: undefined,
      round: 0,
      acks: new Set(),
    });
    this.admitReads();
  }

  /**
   * Give waiting reads their read index and start a heartbeat round for them, once this leader
   * has committed an entry of its own term (before that, its commit index may lag behind entries
   * an earlier leader committed: thesis section 6.4, step 1).
   */
  private admitReads(): void {
    const waiting = this.volatile.reads.filter((r) => r.readIndex === undefined);
    if (waiting.length === 0) return;
    if (
      this.config.readMode !== "read-index-before-commit" &&
      this.termAt(this.volatile.commitIndex) !== this.durable.currentTerm
    )
      return;
    const round = ++this.volatile.round;
    for (const read of waiting) {
      read.readIndex = this.volatile.commitIndex;
      read.round = round;
    }
    for (const peer of this.config.peers) this.replicateTo(peer);
    this.answerConfirmedReads();
  }

  /** Answer the reads whose round a majority has answered, from the state machine at or past their read index. */
  private answerConfirmedReads(): void {
    const confirmed = (r: PendingRead) =>
      r.readIndex !== undefined &&
      r.acks.size + 1 >= this.majority &&
      this.volatile.lastApplied >= r.readIndex;
    for (const read of this.volatile.reads.filter(confirmed))
      this.respond(read.client, read.requestId, true, this.volatile.kv.get(read.key) ?? null);
    this.volatile.reads = this.volatile.reads.filter((r) => !confirmed(r));
  }

  private respond(
    client: string,
    requestId: string,
    ok: boolean,
    value: string | null = null,
  ): void {
    this.send(client, {
      type: "ClientResponse",
      requestId,
      ok,
      value,
      leaderHint: ok ? this.id : this.volatile.leaderId,
    });
  }

  /** A leader that steps down fails what it was waiting on: the clients retry elsewhere. */
  private failWaiting(): void {
    for (const [, w] of this.volatile.waiting) this.respond(w.client, w.requestId, false);
    this.volatile.waiting.clear();
    for (const r of this.volatile.reads) this.respond(r.client, r.requestId, false);
    this.volatile.reads = [];
  }
}
