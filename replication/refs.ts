/** Where each idea is in the book (first-edition section titles). */
export const REF = {
  leaders: "DDIA ch. 5, Leaders and Followers",
  syncAsync: "DDIA ch. 5, Synchronous Versus Asynchronous Replication",
  newFollowers: "DDIA ch. 5, Setting Up New Followers",
  catchUp: "DDIA ch. 5, Handling Node Outages: Follower failure: Catch-up recovery",
  outages: "DDIA ch. 5, Handling Node Outages: Leader failure: Failover",
  lag: "DDIA ch. 5, Problems with Replication Lag",
  linearizability: "DDIA ch. 9, Linearizability",
  leaderReads:
    "DDIA ch. 9, Implementing Linearizable Systems: Single-leader replication (potentially linearizable)",
  quorumLinearizability:
    "DDIA ch. 9, Implementing Linearizable Systems: Linearizability and quorums",
  consensus: "DDIA ch. 9, Distributed Transactions and Consensus: Fault-Tolerant Consensus",
  quorums:
    "DDIA ch. 5, Writing to the Database When a Node Is Down: Quorums for reading and writing",
  quorumLimits: "DDIA ch. 5, Limitations of Quorum Consistency",
  readRepair: "DDIA ch. 5, Read repair and anti-entropy",
  concurrent: "DDIA ch. 5, Detecting Concurrent Writes: Capturing the happens-before relationship",
  fencing: "DDIA ch. 8, The leader and the lock; Fencing tokens",
  multiLeader: "DDIA ch. 5, Multi-Leader Replication: Handling Write Conflicts",
  lastWriteWins:
    "DDIA ch. 5, Detecting Concurrent Writes: Last write wins (discarding concurrent writes)",
  topologies: "DDIA ch. 5, Multi-Leader Replication: Multi-Leader Replication Topologies",
  sloppy: "DDIA ch. 5, Sloppy Quorums and Hinted Handoff",
  versionVectors: "DDIA ch. 5, Detecting Concurrent Writes: Version vectors",
} as const;
