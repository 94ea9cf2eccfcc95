/** Where each idea is in the book (first-edition section titles). */
export const REF = {
  lag: "DDIA ch. 5, Problems with Replication Lag",
  readYourWrites: "DDIA ch. 5, Problems with Replication Lag: Reading Your Own Writes",
  monotonicReads: "DDIA ch. 5, Problems with Replication Lag: Monotonic Reads",
  consistentPrefix: "DDIA ch. 5, Problems with Replication Lag: Consistent Prefix Reads",
  lagSolutions: "DDIA ch. 5, Problems with Replication Lag: Solutions for Replication Lag",
  conflicts: "DDIA ch. 5, Multi-Leader Replication: Handling Write Conflicts",
  automaticResolution:
    "DDIA ch. 5, Handling Write Conflicts: Custom conflict resolution logic (Automatic Conflict Resolution)",
  readRepair: "DDIA ch. 5, Read repair and anti-entropy",
  lastWriteWins:
    "DDIA ch. 5, Detecting Concurrent Writes: Last write wins (discarding concurrent writes)",
  happensBefore:
    'DDIA ch. 5, Detecting Concurrent Writes: The "happens-before" relationship and concurrency',
  capturingHappensBefore:
    "DDIA ch. 5, Detecting Concurrent Writes: Capturing the happens-before relationship",
  merging: "DDIA ch. 5, Detecting Concurrent Writes: Merging concurrently written values",
  versionVectors: "DDIA ch. 5, Detecting Concurrent Writes: Version vectors",
  requestRouting: "DDIA ch. 6, Request Routing",
  clocks: "DDIA ch. 8, Unreliable Clocks",
  timestampOrdering: "DDIA ch. 8, Relying on Synchronized Clocks: Timestamps for ordering events",
  linearizability: "DDIA ch. 9, Linearizability",
  whatIsLinearizable: "DDIA ch. 9, Linearizability: What Makes a System Linearizable?",
  quorumLinearizability:
    "DDIA ch. 9, Implementing Linearizable Systems: Linearizability and quorums",
  cap: "DDIA ch. 9, The Cost of Linearizability: The CAP theorem",
  networkDelays: "DDIA ch. 9, The Cost of Linearizability: Linearizability and network delays",
  causality: "DDIA ch. 9, Ordering Guarantees: Ordering and Causality",
  causalNotTotal: "DDIA ch. 9, Ordering and Causality: The causal order is not a total order",
  strongerThanCausal:
    "DDIA ch. 9, Ordering and Causality: Linearizability is stronger than causal consistency",
  capturingCausal: "DDIA ch. 9, Ordering and Causality: Capturing causal dependencies",
  lamport: "DDIA ch. 9, Sequence Number Ordering: Lamport timestamps",
  noncausal: "DDIA ch. 9, Sequence Number Ordering: Noncausal sequence number generators",
} as const;
