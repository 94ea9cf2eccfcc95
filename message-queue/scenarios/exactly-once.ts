/**
 * A read-process-write pipeline that crashes in the middle: without transactions its output has
 * duplicates; with Kafka-style transactions (outputs and input offsets committed atomically, the
 * restarted instance fencing the old one), a read_committed consumer sees each result exactly once
 * (DDIA ch. 11, "Fault Tolerance").
 */

import { integer, option, type Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import type { Trace } from "../../shared/trace.js";
import { messagesOption } from "../options.js";
import { REF } from "../refs.js";
import { shortList } from "../text.js";
import {
  ProducerFenced,
  readCommitted,
  readUncommitted,
  TransactionCoordinator,
} from "../transactions.js";

const transform = (value: string) => value.toUpperCase();

export interface PipelineRun {
  input: string[];
  output: string[];
  /** Where the crash struck: after writing this many outputs of the batch it was in. */
  crash: { batch: number; afterWrites: number };
  fencedZombie: boolean;
}

/** How the pipeline writes its outputs and commits its progress: plainly, or in transactions. */
interface Writer {
  write(value: string): void;
  commit(nextOffset: number): void;
  /** The process died here; its replacement takes over. */
  crashed(batchIndex: number, written: number, restartOffset: number): void;
  output(): string[];
}

function plainWriter(coordinator: TransactionCoordinator, trace: Trace | undefined): Writer {
  // Write each output, then commit the input offset after the batch: at-least-once.
  const output: string[] = [];
  return {
    write: (value) => output.push(value),
    commit: (next) => {
      coordinator.committedOffset = next;
    },
    crashed: (batchIndex, written, restartOffset) =>
      trace?.note(
        `The pipeline crashes in batch ${batchIndex + 1} after writing ${written} output(s), before committing its input offset; it restarts from offset ${restartOffset}.`,
        { level: "summary" },
      ),
    output: () => output,
  };
}

function transactionalWriter(
  coordinator: TransactionCoordinator,
  trace: Trace | undefined,
  onFenced: () => void,
): Writer {
  let session = coordinator.initTransactions("pipeline-1");
  return {
    write: (value) => coordinator.send("pipeline-1", session.epoch, value),
    commit: (next) => {
      coordinator.sendOffsetsToTransaction("pipeline-1", session.epoch, next);
      coordinator.commit("pipeline-1", session.epoch);
    },
    crashed: (batchIndex, written) => {
      const zombieEpoch = session.epoch;
      session = coordinator.initTransactions("pipeline-1");
      trace?.note(
        `The pipeline crashes in batch ${batchIndex + 1} after writing ${written} output(s) in an open transaction. Its replacement calls initTransactions: the epoch goes to ${session.epoch}${session.aborted ? ", and the coordinator writes an ABORT marker for the open transaction" : ""}.`,
        { level: "summary", ref: REF.exactlyOnce },
      );
      try {
        // The old instance was only paused, not dead: it wakes and tries to commit.
        coordinator.commit("pipeline-1", zombieEpoch);
      } catch (error) {
        if (!(error instanceof ProducerFenced)) throw error;
        onFenced();
        trace?.note(
          `The old instance wakes up and tries to commit with epoch ${zombieEpoch}: fenced, its commit is refused.`,
          {
            ref: REF.exactlyOnce,
          },
        );
      }
    },
    output: () => {
      const data = readUncommitted(coordinator.output).length;
      trace?.note(
        `The output partition holds ${data} data records and ${coordinator.output.length - data} markers; read_uncommitted would see ${data} results, read_committed ${readCommitted(coordinator.output).length}.`,
      );
      return readCommitted(coordinator.output);
    },
  };
}

/**
 * Process `messages` inputs in batches; crash once, in batch `crash.batch`, after `afterWrites`
 * of its outputs were written (before its commit), then restart and finish.
 */
export function runPipeline(
  options: { seed: number; messages: number; batch: number; transactional: boolean },
  trace?: Trace,
): PipelineRun {
  const random = new Random(options.seed).fork("pipeline");
  const input = Array.from({ length: options.messages }, (_, i) => `m${i + 1}`);
  const batches = Math.ceil(input.length / options.batch);
  const crashBatch = random.int(0, batches - 1);
  const crashBatchLength = Math.min(options.batch, input.length - crashBatch * options.batch);
  const crash = { batch: crashBatch, afterWrites: random.int(0, crashBatchLength) };
  const coordinator = new TransactionCoordinator();
  let fencedZombie = false;
  const writer = options.transactional
    ? transactionalWriter(coordinator, trace, () => {
        fencedZombie = true;
      })
    : plainWriter(coordinator, trace);

  let crashed = false;
  // The guard only stops a stuck loop: every pass but the crashing one commits a batch.
  const passes = 10 + 2 * input.length;
  for (let guard = 0; coordinator.committedOffset < input.length && guard < passes; guard++) {
    const start = coordinator.committedOffset;
    const batch = input.slice(start, start + options.batch);
    const batchIndex = Math.floor(start / options.batch);
    const crashHere = !crashed && batchIndex === crash.batch;
    let written = 0;
    for (const value of batch) {
      if (crashHere && written === crash.afterWrites) break;
      writer.write(transform(value));
      written++;
    }
    if (crashHere) {
      crashed = true;
      writer.crashed(batchIndex, written, start);
      continue;
    }
    writer.commit(start + batch.length);
  }
  return { input, output: writer.output(), crash, fencedZombie };
}

export function exactlyOnceHolds(run: PipelineRun): boolean {
  return JSON.stringify(run.output) === JSON.stringify(run.input.map(transform));
}

export const exactlyOnce: Scenario<{ messages: number; batch: number }> = {
  name: "exactly-once",
  summary:
    "a read-process-write pipeline crashes mid-batch: duplicates without transactions, none with them",
  options: [
    messagesOption(20),
    option(
      "--batch <count>",
      "inputs processed per transaction (or per offset commit)",
      integer(1, 1_000),
      4,
    ),
  ],
  run: ({ trace, seed }, options) => {
    trace.section(
      "Without transactions: write the outputs, then commit the input offset",
      REF.exactlyOnce,
    );
    const plain = runPipeline({ ...options, seed, transactional: false }, trace);
    const dupes = plain.output.length - new Set(plain.output).size;
    trace.note(`Output: ${shortList(plain.output, 40, " ")}`);
    trace.section("With transactions: outputs and input offset commit together", REF.exactlyOnce);
    const txn = runPipeline({ ...options, seed, transactional: true }, trace);
    trace.note(`read_committed output: ${shortList(txn.output, 40, " ")}`);
    trace.table(
      "The same crash, both pipelines",
      ["pipeline", "outputs seen", "duplicates", "exactly the input, transformed once"],
      [
        [
          "offsets committed after writing",
          plain.output.length,
          dupes,
          exactlyOnceHolds(plain) ? "yes" : "no",
        ],
        [
          "transactional, read_committed",
          txn.output.length,
          txn.output.length - new Set(txn.output).size,
          exactlyOnceHolds(txn) ? "yes" : "no",
        ],
      ],
    );
    trace.check(
      "without transactions, the output is the input transformed exactly once",
      exactlyOnceHolds(plain),
      {
        expected: false,
        detail: `${dupes} duplicate(s)`,
      },
    );
    trace.check(
      "with transactions, a read_committed consumer sees the input transformed exactly once",
      exactlyOnceHolds(txn),
      { ref: REF.exactlyOnce },
    );
    trace.check("the restarted pipeline fenced the old instance out", txn.fencedZombie);
  },
};
