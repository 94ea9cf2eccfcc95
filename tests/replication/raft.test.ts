import { describe, expect, it } from "vitest";
import { runRaft } from "../../replication/raft/cluster.js";
import type { RaftMessage } from "../../replication/raft/messages.js";
import { RaftNode } from "../../replication/raft/raft-node.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace, type TraceEvent } from "../../shared/trace.js";

describe("Raft safety over seeds with partitions, crashes, loss and duplication", () => {
  it("holds election safety, log matching, leader completeness and state machine safety over 500 seeds, then converges", () => {
    const failures: string[] = [];
    let acknowledged = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const options = {
        seed,
        servers: seed % 2 === 0 ? 3 : 5,
        clients: 2,
        writes: 20,
        loss: [0, 0.05, 0.1][seed % 3] as number,
        duplicate: 0.05,
        crash: 1 + (seed % 3),
        partition: 1 + (seed % 4),
      };
      const r = runRaft(Trace.silent(), options);
      acknowledged += r.acknowledged.length;
      if (r.violations.length > 0 || r.unappliedAcknowledged.length > 0 || !r.leaderElected) {
        failures.push(
          `seed ${seed} (${JSON.stringify(options)}): ${[...r.violations, ...r.unappliedAcknowledged].slice(0, 3).join("; ")}${r.leaderElected ? "" : "; no leader"}`,
        );
      }
    }
    expect(failures).toEqual([]);
    expect(acknowledged).toBe(500 * 2 * 20);
  });

  it("catches a broken variant that votes without the election restriction", () => {
    let caught = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const r = runRaft(Trace.silent(), {
        seed,
        servers: 5,
        clients: 2,
        writes: 20,
        loss: 0.1,
        duplicate: 0.05,
        crash: 3,
        partition: 3,
        skipElectionRestriction: true,
      });
      if (
        r.violations.some(
          (v) => v.startsWith("leader completeness") || v.startsWith("state machine safety"),
        )
      )
        caught++;
    }
    // Measured at about 70% of seeds; demand far less to stay robust.
    expect(caught).toBeGreaterThan(10);
  });
});

describe("a Raft server, message by message", () => {
  function server(log: { term: number; id: string }[], term: number) {
    const trace = new Trace();
    const sim = new Simulation({ seed: 1, trace });
    const net = new Network<RaftMessage>(sim, { loss: 1 });
    const observer = { becameLeader: () => {}, committed: () => {}, applied: () => {} };
    const node = net.add(
      new RaftNode("s1", net, {
        peers: ["s2", "s3"],
        electionTimeoutMsMin: 150,
        electionTimeoutMsMax: 300,
        heartbeatMs: 50,
        maxEntriesPerMessage: 50,
        observer,
      }),
    );
    for (const e of log)
      node.durable.log.push({
        term: e.term,
        command: { op: "put", key: "k", value: e.id, requestId: e.id },
      });
    node.durable.currentTerm = term;
    const sent = () =>
      trace.events
        .filter((e): e is Extract<TraceEvent, { kind: "send" }> => e.kind === "send")
        .map((e) => e.msg as RaftMessage);
    return { node, sent };
  }

  it("refuses its vote to a candidate whose log is behind (the election restriction)", () => {
    const { node, sent } = server(
      [
        { term: 1, id: "a" },
        { term: 2, id: "b" },
      ],
      2,
    );
    node.receive("s2", { type: "RequestVote", term: 3, lastLogIndex: 5, lastLogTerm: 1 });
    node.receive("s3", { type: "RequestVote", term: 3, lastLogIndex: 2, lastLogTerm: 2 });
    expect(sent()).toEqual([
      { type: "RequestVoteResponse", term: 3, voteGranted: false },
      { type: "RequestVoteResponse", term: 3, voteGranted: true },
    ]);
  });

  it("replaces a conflicting suffix and answers with the new match index", () => {
    const { node, sent } = server(
      [
        { term: 1, id: "a" },
        { term: 1, id: "b" },
        { term: 1, id: "c" },
      ],
      1,
    );
    const entry = {
      term: 2,
      command: { op: "put" as const, key: "k", value: "x", requestId: "x" },
    };
    node.receive("s2", {
      type: "AppendEntries",
      term: 2,
      prevLogIndex: 1,
      prevLogTerm: 1,
      entries: [entry],
      leaderCommit: 0,
    });
    expect(node.log.map((e) => e.command.requestId)).toEqual(["sentinel", "a", "x"]);
    expect(sent()).toEqual([
      { type: "AppendEntriesResponse", term: 2, success: true, matchIndex: 2 },
    ]);
  });

  it("rejects entries whose previous entry does not match, pointing the leader back past the conflicting term", () => {
    const { node, sent } = server(
      [
        { term: 1, id: "a" },
        { term: 3, id: "b" },
        { term: 3, id: "c" },
      ],
      3,
    );
    node.receive("s2", {
      type: "AppendEntries",
      term: 4,
      prevLogIndex: 3,
      prevLogTerm: 4,
      entries: [],
      leaderCommit: 0,
    });
    expect(sent()).toEqual([
      { type: "AppendEntriesResponse", term: 4, success: false, matchIndex: 1 },
    ]);
  });
});
