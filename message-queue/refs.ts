/** Where each idea is in the book (first-edition section titles). */
export const REF = {
  multipleConsumers: "DDIA ch. 11, Multiple consumers",
  ackRedelivery: "DDIA ch. 11, Acknowledgments and redelivery",
  partitionedLogs: "DDIA ch. 11, Partitioned Logs",
  logsVsMessaging: "DDIA ch. 11, Logs compared to traditional messaging",
  offsets: "DDIA ch. 11, Consumer offsets",
  diskSpace: "DDIA ch. 11, Disk space usage",
  compaction: "DDIA ch. 11, Log compaction",
  leaders: "DDIA ch. 5, Leaders and Followers; Handling Node Outages",
  exactlyOnce: "DDIA ch. 11, Fault Tolerance: Atomic commit revisited; Idempotence",
} as const;
