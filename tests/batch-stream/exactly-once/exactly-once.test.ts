/**
 * Exactly-once over seeds (DDIA ch. 11, "Fault Tolerance"): with random task failures at random
 * times, the transactional and idempotent sinks leave the store exactly as a run without faults
 * does, and every completed checkpoint is a consistent cut of the log. The broken variants are
 * caught by the same comparisons: the append sink's store differs on some seeds, by duplicates
 * only; without barrier alignment some checkpoint counts a record its offsets say is unread, and
 * the store after a restart differs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareRows,
  expectedRows,
  inconsistentCheckpoints,
  type JobOptions,
  runJob,
} from "../../../batch-stream/exactly-once/job.js";
import type { SinkKind } from "../../../batch-stream/exactly-once/sink.js";
import { Trace } from "../../../shared/trace.js";

const replay = (o: JobOptions) =>
  `npx tsx batch-stream/main.ts exactly-once --seed ${o.seed} --records ${o.records} --checkpoint-interval ${o.checkpointIntervalMs} --crash ${o.crashes} --sink ${o.sink}${o.alignment ? "" : " --alignment off"}`;

function withAndWithoutFaults(options: JobOptions) {
  const reference = runJob(Trace.silent(), { ...options, crashes: 0 });
  const faulty = runJob(Trace.silent(), options);
  return { reference, faulty, comparison: compareRows(reference.rows, faulty.rows) };
}

const jobOptions = (sink: SinkKind, alignment = true) =>
  fc.record({
    seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    records: fc.integer({ min: 10, max: 300 }),
    checkpointIntervalMs: fc.integer({ min: 20, max: 200 }),
    crashes: fc.integer({ min: 1, max: 3 }),
    sink: fc.constant(sink),
    alignment: fc.constant(alignment),
  });

describe("exactly-once with a correct sink and aligned barriers", () => {
  for (const sink of ["transactional", "idempotent"] as const)
    it(`${sink}: the store after random failures equals the run without faults, and every checkpoint is a consistent cut`, () => {
      let restarts = 0;
      fc.assert(
        fc.property(jobOptions(sink), (options) => {
          const { reference, faulty, comparison } = withAndWithoutFaults(options);
          restarts += faulty.restarts.length;
          const why = `replay: ${replay(options)}`;
          // The reference itself is judged against the log, not trusted.
          expect(compareRows(expectedRows(reference.log), reference.rows).equal, why).toBe(true);
          expect(comparison, why).toMatchObject({ equal: true });
          expect(inconsistentCheckpoints(faulty.log, faulty.checkpoints), why).toEqual([]);
        }),
        { numRuns: 80 },
      );
      // The property is about runs with failures: most of them must have had one.
      expect(restarts).toBeGreaterThan(40);
    });

  it("a failure before any checkpoint completes restarts from the beginning of the log, and the transactional sink still writes each row once", () => {
    // A checkpoint interval longer than the whole input: no checkpoint completes before the failure.
    const options: JobOptions = {
      seed: 5,
      records: 40,
      checkpointIntervalMs: 5_000,
      crashes: 1,
      sink: "transactional",
      alignment: true,
    };
    const { faulty, comparison } = withAndWithoutFaults(options);
    expect(faulty.restarts).toHaveLength(1);
    expect(faulty.restarts[0]).toMatchObject({ checkpointId: undefined, offsets: [0, 0] });
    expect(comparison.equal).toBe(true);
  });
});

describe("the broken variants are caught", () => {
  const seeds = Array.from({ length: 60 }, (_, i) => i + 1);
  const base = { records: 200, checkpointIntervalMs: 100, crashes: 1 };

  it("append: the store differs from the run without faults on some seeds, and always by duplicates only", () => {
    let differing = 0;
    for (const seed of seeds) {
      const options: JobOptions = { seed, ...base, sink: "append", alignment: true };
      const { reference, faulty, comparison: c } = withAndWithoutFaults(options);
      const why = `replay: ${replay(options)}`;
      expect(c.missing, why).toEqual([]);
      expect(c.changed, why).toEqual([]);
      expect(faulty.rows.length - reference.rows.length, why).toBe(c.duplicates);
      if (!c.equal) {
        differing++;
        // Every duplicate is a record read again: at or past the restored offsets...
        const restart = faulty.restarts[0];
        expect(restart, why).toBeDefined();
        for (const id of c.duplicatedIds) {
          const [p, offset] = id.slice(1).split("@").map(Number) as [number, number];
          expect(offset, why).toBeGreaterThanOrEqual(restart?.offsets[p] ?? 0);
          // ...and before where the sources had read to when the job was cancelled.
          expect(offset, why).toBeLessThan(restart?.readUpTo[p] ?? 0);
        }
      }
    }
    expect(differing).toBeGreaterThan(0);
  });

  it("no alignment (Flink's at-least-once mode): some checkpoint is not a consistent cut, and the store differs after a restart", () => {
    let inconsistent = 0;
    let differing = 0;
    let duplicated = 0;
    for (const seed of seeds) {
      const options: JobOptions = { seed, ...base, sink: "transactional", alignment: false };
      const { faulty, comparison } = withAndWithoutFaults(options);
      const why = `replay: ${replay(options)}`;
      if (inconsistentCheckpoints(faulty.log, faulty.checkpoints).length > 0) inconsistent++;
      // Every row in the store beyond one per id is counted as an extra copy, whatever its content.
      expect(comparison.duplicates, why).toBe(
        faulty.rows.length - new Set(faulty.rows.map((r) => r.id)).size,
      );
      if (!comparison.equal) {
        differing++;
        // What differs is totals counted twice: never a row missing.
        expect(comparison.missing, why).toEqual([]);
      }
      // A row the transactional sink committed twice is a record a restored checkpoint had
      // counted past its barrier and still had to read: at or past the restored offsets.
      if (comparison.duplicates > 0) duplicated++;
      for (const id of comparison.duplicatedIds) {
        const [p, offset] = id.slice(1).split("@").map(Number) as [number, number];
        expect(
          faulty.restarts.some((r) => offset >= (r.offsets[p] ?? 0)),
          why,
        ).toBe(true);
      }
    }
    expect(inconsistent).toBeGreaterThan(0);
    expect(differing).toBeGreaterThan(0);
    expect(duplicated).toBeGreaterThan(0);
  });
});

describe("the failures themselves", () => {
  const cases = Array.from({ length: 40 }, (_, i) => ({
    seed: i + 1,
    records: [0, 1, 40, 200][i % 4] ?? 200,
    checkpointIntervalMs: [10, 100, 1000][i % 3] ?? 100,
    crashes: 1 + (i % 10),
    alignment: i % 2 === 0,
  }));

  it("every failure asked for either struck and restarted the job, or did not strike because the input was done first", () => {
    for (const c of cases) {
      const options: JobOptions = { ...c, sink: "transactional" };
      const r = runJob(Trace.silent(), options);
      const why = `replay: ${replay(options)}`;
      expect(r.restarts.length + r.crashesNotStruck, why).toBe(options.crashes);
    }
  });

  it("strike the same tasks at the same times whichever the sink, and the job restarts from the same checkpoints, as the comparison table says", () => {
    const failures = (r: ReturnType<typeof runJob>) =>
      r.restarts.map((x) => [x.failedTask, x.failedAtMs, x.restartedAtMs, x.checkpointId]);
    for (const c of cases) {
      const [first, ...others] = (["transactional", "idempotent", "append"] as const).map((sink) =>
        runJob(Trace.silent(), { ...c, sink }),
      );
      for (const other of others)
        expect(failures(other), `replay: ${replay({ ...c, sink: "append" })}`).toEqual(
          failures(first as ReturnType<typeof runJob>),
        );
    }
  });
});

describe("determinism", () => {
  it("the same seed gives the same run", () => {
    const options: JobOptions = {
      seed: 9,
      records: 120,
      checkpointIntervalMs: 50,
      crashes: 2,
      sink: "idempotent",
      alignment: true,
    };
    const a = runJob(Trace.silent(), options);
    const b = runJob(Trace.silent(), options);
    expect(b.rows).toEqual(a.rows);
    expect(b.restarts).toEqual(a.restarts);
    expect(b.checkpoints.map((c) => c.completedAtMs)).toEqual(
      a.checkpoints.map((c) => c.completedAtMs),
    );
  });
});
