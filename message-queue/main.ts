/**
 * Message queues (DDIA chapter 11, "Transmitting Event Streams"): a Kafka-style partitioned,
 * replicated log, and what each of its guarantees really depends on.
 *
 *   npx tsx message-queue/main.ts              the tour
 *   npx tsx message-queue/main.ts <scenario>   one scenario; --help lists them and their flags
 */
import { type Concept, main } from "../shared/cli.js";
import { competingConsumers } from "./scenarios/competing-consumers.js";
import { consumerGroups } from "./scenarios/consumer-groups.js";
import { exactlyOnce } from "./scenarios/exactly-once.js";
import { idempotentProducer } from "./scenarios/idempotent-producer.js";
import { partitions } from "./scenarios/partitions.js";
import { replication } from "./scenarios/replication.js";
import { retentionAndCompaction } from "./scenarios/retention.js";

export const messageQueue: Concept = {
  folder: "message-queue",
  description: "A Kafka-style log-based message broker, simulated and narrated (DDIA chapter 11).",
  scenarios: [
    competingConsumers,
    partitions,
    consumerGroups,
    retentionAndCompaction,
    replication,
    idempotentProducer,
    exactlyOnce,
  ],
  tour: ["partitions", "replication"],
};

if (import.meta.url === `file://${process.argv[1]}`) main(messageQueue);
