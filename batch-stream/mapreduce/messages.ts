/**
 * The MapReduce protocol between the master and the workers (Dean and Ghemawat 2004, section 3:
 * "Execution Overview", "Fault Tolerance"), at a glance:
 *
 *   master ──RunMap (task, attempt, input block)──▶ worker      map, partition, sort, combine,
 *   worker ──MapDone──▶ master                                  output kept on its local disk
 *   master ──RunReduce (task, attempt, where each map output is)──▶ worker
 *   reducer's worker ──Fetch (partition, the map tasks it expects there)──▶ mapper's worker
 *   mapper's worker ──Partitions (records of each it holds; those it does not)──▶ reducer's worker
 *                                                                               (the shuffle)
 *   worker ──ReduceDone (committed by rename, or found the file already there)──▶ master
 *   master ──Kill (attempt)──▶ worker                            the losing copy of a task
 *   master ──Ping (where each map output is now)──▶ worker ──Pong (what it runs and holds)──▶ master
 *
 * A reducer asks each worker once for all the map outputs it expects there, as Hadoop's fetcher
 * asks one host for several map outputs in one request, rather than once per map task.
 *
 * The Pong restates everything the worker would have said in MapDone and ReduceDone, so a lost
 * completion message costs one ping interval, not the task.
 */

import type { KeyValue } from "./job.js";

/** An attempt id names the task and the try: "m3.1" is map task 3's first attempt. */
export type AttemptId = string;

export interface HeldMapOutput {
  readonly task: number;
  readonly attempt: AttemptId;
}

export interface FinishedReduce {
  readonly task: number;
  readonly attempt: AttemptId;
  readonly committed: boolean;
}

export type KillReason = "superseded" | "abandoned" | "job complete";

export interface FetchedOutput {
  readonly mapTask: number;
  readonly records: readonly KeyValue[];
}

export type MapReduceMessage =
  | {
      readonly type: "RunMap";
      readonly task: number;
      readonly attempt: AttemptId;
      readonly path: string;
      readonly block: number;
    }
  | {
      readonly type: "RunReduce";
      readonly task: number;
      readonly attempt: AttemptId;
      /** For each map task, the worker holding its output, or null while it is being re-run. */
      readonly mapOutputs: readonly (string | null)[];
    }
  | {
      readonly type: "Kill";
      readonly attempt: AttemptId;
      /**
       * Another attempt of the task won; the master gave this one up (it counted the worker
       * failed); or the job completed without needing it (a map re-run after every reduce task
       * had fetched its input).
       */
      readonly reason: KillReason;
    }
  | { readonly type: "MapDone"; readonly task: number; readonly attempt: AttemptId }
  | {
      readonly type: "ReduceDone";
      readonly task: number;
      readonly attempt: AttemptId;
      readonly committed: boolean;
    }
  | {
      readonly type: "Fetch";
      readonly reduceAttempt: AttemptId;
      readonly partition: number;
      readonly mapTasks: readonly number[];
    }
  | {
      readonly type: "Partitions";
      readonly reduceAttempt: AttemptId;
      /** The partition of each requested map output this worker holds (frozen, shared). */
      readonly outputs: readonly FetchedOutput[];
      /** The requested map tasks whose output this worker does not hold (any more). */
      readonly missing: readonly number[];
    }
  | {
      readonly type: "Ping";
      readonly sentMs: number;
      readonly mapOutputs: readonly (string | null)[];
    }
  | {
      readonly type: "Pong";
      readonly sentMs: number;
      readonly running: readonly AttemptId[];
      readonly holding: readonly HeldMapOutput[];
      readonly finished: readonly FinishedReduce[];
    };
