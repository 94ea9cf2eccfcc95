/** Where each idea is in the book (first-edition section titles). */
export const REF = {
  transactions: "DDIA ch. 7, Transactions",
  acid: "DDIA ch. 7, The Meaning of ACID",
  weakIsolation: "DDIA ch. 7, Weak Isolation Levels",
  dirtyReads: "DDIA ch. 7, Read Committed: No dirty reads",
  dirtyWrites: "DDIA ch. 7, Read Committed: No dirty writes",
  readCommitted: "DDIA ch. 7, Read Committed: Implementing read committed",
  snapshotIsolation: "DDIA ch. 7, Snapshot Isolation and Repeatable Read",
  implementingSnapshots:
    "DDIA ch. 7, Snapshot Isolation and Repeatable Read: Implementing snapshot isolation",
  visibility:
    "DDIA ch. 7, Snapshot Isolation and Repeatable Read: Visibility rules for observing a consistent snapshot",
  repeatableReadNaming:
    "DDIA ch. 7, Snapshot Isolation and Repeatable Read: Repeatable read and naming confusion",
  lostUpdates: "DDIA ch. 7, Preventing Lost Updates",
  atomicWrites: "DDIA ch. 7, Preventing Lost Updates: Atomic write operations",
  explicitLocking: "DDIA ch. 7, Preventing Lost Updates: Explicit locking",
  detectLostUpdates: "DDIA ch. 7, Preventing Lost Updates: Automatically detecting lost updates",
  compareAndSet: "DDIA ch. 7, Preventing Lost Updates: Compare-and-set",
  writeSkew: "DDIA ch. 7, Write Skew and Phantoms",
  phantoms: "DDIA ch. 7, Write Skew and Phantoms: Phantoms causing write skew",
  materializing: "DDIA ch. 7, Write Skew and Phantoms: Materializing conflicts",
  serializability: "DDIA ch. 7, Serializability",
  twoPhaseLocking: "DDIA ch. 7, Two-Phase Locking (2PL)",
  implementing2PL: "DDIA ch. 7, Two-Phase Locking (2PL): Implementation of two-phase locking",
  predicateLocks: "DDIA ch. 7, Two-Phase Locking (2PL): Predicate locks",
  indexRangeLocks: "DDIA ch. 7, Two-Phase Locking (2PL): Index-range locks",
  ssi: "DDIA ch. 7, Serializable Snapshot Isolation (SSI)",
  staleReads: "DDIA ch. 7, Serializable Snapshot Isolation (SSI): Detecting stale MVCC reads",
  writesAffectingReads:
    "DDIA ch. 7, Serializable Snapshot Isolation (SSI): Detecting writes that affect prior reads",
  atomicCommit: "DDIA ch. 9, Atomic Commit and Two-Phase Commit (2PC)",
  singleToDistributed:
    "DDIA ch. 9, Atomic Commit and Two-Phase Commit (2PC): From single-node to distributed atomic commit",
  introduction:
    "DDIA ch. 9, Atomic Commit and Two-Phase Commit (2PC): Introduction to two-phase commit",
  promises: "DDIA ch. 9, Atomic Commit and Two-Phase Commit (2PC): A system of promises",
  coordinatorFailure: "DDIA ch. 9, Atomic Commit and Two-Phase Commit (2PC): Coordinator failure",
  threePhaseCommit: "DDIA ch. 9, Atomic Commit and Two-Phase Commit (2PC): Three-phase commit",
  inPractice: "DDIA ch. 9, Distributed Transactions in Practice",
  holdingLocks: "DDIA ch. 9, Distributed Transactions in Practice: Holding locks while in doubt",
  recovering:
    "DDIA ch. 9, Distributed Transactions in Practice: Recovering from coordinator failure",
  limitations:
    "DDIA ch. 9, Distributed Transactions in Practice: Limitations of distributed transactions",
  /** A saga's compensating transactions: the book mentions them under atomic commit. */
  compensating:
    "DDIA ch. 9, Atomic Commit and Two-Phase Commit (2PC): From single-node to distributed atomic commit",
  idempotence: "DDIA ch. 11, Fault Tolerance: Idempotence",
  /** Not the book: the paper that named sagas. */
  sagas: "Garcia-Molina and Salem, Sagas (SIGMOD 1987)",
} as const;
