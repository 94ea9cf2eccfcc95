/**
 * Where each idea is in the book. DDIA's first edition calls chapter 6 "Partitioning"; the second
 * edition calls the same material "Sharding" (chapter 7). Section titles are the first edition's:
 * "Strategies for Rebalancing" is a subsection of "Rebalancing Partitions", and its strategies
 * ("Fixed number of partitions", ...) are the paragraph headings inside it.
 */
export const REF = {
  keyRange: "DDIA ch. 6, Partitioning by Key Range",
  hash: "DDIA ch. 6, Partitioning by Hash of Key",
  consistentHashing: "DDIA ch. 6, Partitioning by Hash of Key: Consistent Hashing (sidebar)",
  skew: "DDIA ch. 6, Skewed Workloads and Relieving Hot Spots",
  byDocument: "DDIA ch. 6, Partitioning Secondary Indexes by Document",
  byTerm: "DDIA ch. 6, Partitioning Secondary Indexes by Term",
  hashModN: "DDIA ch. 6, Strategies for Rebalancing: How not to do it: hash mod N",
  fixed: "DDIA ch. 6, Strategies for Rebalancing: Fixed number of partitions",
  dynamic: "DDIA ch. 6, Strategies for Rebalancing: Dynamic partitioning",
  proportional: "DDIA ch. 6, Strategies for Rebalancing: Partitioning proportionally to nodes",
  operations: "DDIA ch. 6, Operations: Automatic or Manual Rebalancing",
  routing: "DDIA ch. 6, Request Routing",
  linearizability: "DDIA ch. 9, Linearizability",
} as const;
