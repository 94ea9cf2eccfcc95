/**
 * Running one MapReduce job on a simulated cluster: a master and N workers on the kernel's
 * network, over a distributed filesystem that outlives the job (so a workflow's next job reads
 * the committed output of the one before it). Faults: a straggler (one slow machine), worker
 * crashes (each followed by a restart with an empty local disk), message loss and duplication.
 */

import { planFaults } from "../../shared/faults.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import { LATENCY_MS_MAX, LATENCY_MS_MIN, RESTART_MS, STRAGGLER_SLOWDOWN } from "./costs.js";
import type { Dfs } from "./dfs.js";
import type { Job } from "./job.js";
import { type Attempt, Master } from "./master.js";
import type { AttemptId, MapReduceMessage } from "./messages.js";
import { type CommitVariant, type EngineCounters, Worker } from "./worker.js";

export interface JobRunOptions {
  seed: number;
  workers: readonly string[];
  variant: CommitVariant;
  speculative: boolean;
  /** The slow worker, if any. */
  straggler?: string;
  /**
   * Scripted crashes: the first halfway through a reduce task's output, the second halfway
   * through a map task, and so on alternately, each on a worker not crashed before (never the
   * straggler), restarting RESTART_MS later.
   */
  crashes: number;
  /** Crashes at random times in [0, randomCrashWindowMs), for property tests over seeds. */
  randomCrashes?: number;
  randomCrashWindowMs?: number;
  loss: number;
  duplicate: number;
  /** Simulated time after which an unfinished job is given up. */
  limitMs?: number;
}

export interface CrashRecord {
  readonly worker: string;
  readonly atMs: number;
  /** The attempt it cut in half, for a scripted crash. */
  readonly attempt?: AttemptId;
}

export interface JobRun {
  readonly job: Job;
  readonly completed: boolean;
  readonly endMs: number;
  readonly attempts: readonly Attempt[];
  readonly mapTasks: number;
  /** The committed output files, in name order, and their content joined. */
  readonly outputFiles: readonly string[];
  readonly output: string;
  readonly counters: EngineCounters;
  /** Records each reduce task took in (from its first attempt to have them all). */
  readonly reducerLoads: readonly number[];
  readonly crashes: readonly CrashRecord[];
}

export function runJob(trace: Trace, dfs: Dfs, job: Job, options: JobRunOptions): JobRun {
  const sim = new Simulation({ seed: options.seed, trace, maxEvents: 20_000_000 });
  const net = new Network<MapReduceMessage>(sim, {
    loss: options.loss,
    duplicate: options.duplicate,
    latencyMsMin: LATENCY_MS_MIN,
    latencyMsMax: LATENCY_MS_MAX,
  });
  dfs.deleteFolder(job.output);
  const counters: EngineCounters = {
    mapInputRecords: 0,
    mapOutputRecords: 0,
    combinedRecords: 0,
    shuffledRecords: 0,
  };
  const reducerLoads = new Map<number, number>();
  const crashes: CrashRecord[] = [];
  const crashedOnce = new Set<string>();
  let scripted = 0;
  const crash = (worker: string, attempt?: AttemptId) => {
    const node = net.node(worker);
    if (node.crashed) return;
    crashes.push({ worker, atMs: sim.now, ...(attempt !== undefined ? { attempt } : {}) });
    node.crash();
    sim.schedule(RESTART_MS, () => node.recover());
  };
  const onWorkStarted = (worker: string, attempt: AttemptId, durationMs: number) => {
    if (scripted >= options.crashes || worker === options.straggler || crashedOnce.has(worker))
      return;
    // Alternate: a reduce task (or a map-only job's task) first, then a map task.
    const wantReduce = scripted % 2 === 0;
    const isReduce = attempt.startsWith("r") || job.reducers === 0;
    if (wantReduce !== isReduce && job.reducers > 0) return;
    scripted++;
    crashedOnce.add(worker);
    sim.schedule(durationMs / 2, () => crash(worker, attempt));
  };
  const master = net.add(
    new Master("master", net, {
      job,
      dfs,
      workers: options.workers,
      speculative: options.speculative,
    }),
  );
  for (const id of options.workers)
    net.add(
      new Worker(id, net, {
        job,
        dfs,
        variant: options.variant,
        slowdown: id === options.straggler ? STRAGGLER_SLOWDOWN : 1,
        counters,
        onWorkStarted,
        reducerLoads,
      }),
    );
  if ((options.randomCrashes ?? 0) > 0) {
    const plan = planFaults(sim.random.fork("faults"), {
      nodes: options.workers,
      crashes: options.randomCrashes ?? 0,
      partitions: 0,
      startMs: 0,
      endMs: options.randomCrashWindowMs ?? 1_000,
      durationMsMin: RESTART_MS / 2,
      durationMsMax: RESTART_MS,
    });
    for (const f of plan)
      if (f.kind === "crash") {
        sim.at(f.atMs, () => {
          const node = net.node(f.node);
          if (node.crashed) return;
          crashes.push({ worker: f.node, atMs: sim.now });
          node.crash();
        });
        sim.at(f.recoverAtMs, () => net.node(f.node).recover());
      }
  }
  const completed = sim.runUntil(() => master.phase === "done", options.limitMs ?? 600_000);
  const outputFiles = dfs
    .list(job.output)
    .filter((p) => !p.slice(job.output.length + 1).includes("/"));
  // The job commit, as Hadoop's FileOutputCommitter does it: drop the attempts' leftovers.
  if (completed) {
    dfs.deleteFolder(`${job.output}/_temporary`);
    dfs.put(`${job.output}/_SUCCESS`, []);
  }
  return {
    job,
    completed,
    endMs: master.doneMs ?? sim.now,
    attempts: master.attempts.map((a) => ({ ...a })),
    mapTasks: master.mapTasks.length,
    outputFiles,
    output: dfs.concat(outputFiles),
    counters,
    reducerLoads: Array.from({ length: job.reducers }, (_, r) => reducerLoads.get(r) ?? 0),
    crashes,
  };
}
