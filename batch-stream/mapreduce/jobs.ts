/**
 * The jobs of the mapreduce scenario: the book's log analysis as a MapReduce workflow (DDIA
 * ch. 10, "MapReduce Job Execution" and "MapReduce workflows"). Job 1 counts requests per URL;
 * job 2 reads job 1's committed output and keeps the top N, the question of the book's Unix
 * pipeline (`sort | uniq -c | sort -r -n | head -n 5`) spread over a cluster.
 */

import { Random } from "../../shared/random.js";
import type { Job, Value } from "./job.js";

export const LOG_PATH = "/logs/access.log";

/** `records` requests: a client address and a path, paths Zipf-distributed over `urls` pages. */
export function generateRequests(seed: number, records: number, urls = 200): string[] {
  const random = new Random(seed).fork("input");
  return Array.from(
    { length: records },
    () => `198.51.100.${random.int(1, 254)} /articles/${random.zipf(urls, 1)}`,
  );
}

const sum = (values: readonly Value[]) => values.reduce<number>((s, v) => s + Number(v), 0);

export function urlCountJob(output: string, reducers: number, combiner = true): Job {
  return {
    name: "count-per-url",
    inputs: [
      {
        path: LOG_PATH,
        map: (line, context) => context.emit(line.slice(line.indexOf(" ") + 1), 1),
      },
    ],
    output,
    reducers,
    ...(combiner ? { combine: (_key: string, values: readonly Value[]) => [sum(values)] } : {}),
    reduce: (key, records, emit) => emit(`${key}\t${sum(records.map((r) => r.value))}`),
  };
}

/** "count\turl" values, most requests first, ties by URL; the first n. */
function topOf(values: readonly Value[], n: number): string[] {
  return values
    .map((v) => String(v))
    .sort((a, b) => {
      const [ca, ua] = a.split("\t") as [string, string];
      const [cb, ub] = b.split("\t") as [string, string];
      return Number(cb) - Number(ca) || (ua < ub ? -1 : ua > ub ? 1 : 0);
    })
    .slice(0, n);
}

/**
 * Top n by count, from job 1's output folder. One reducer sees every candidate; the combiner
 * keeps each mapper's own top n, so the reducer gets n per map task instead of every URL.
 */
export function topJob(input: string, output: string, n: number): Job {
  return {
    name: "top-urls",
    inputs: [
      {
        path: input,
        map: (line, context) => {
          const [url, count] = line.split("\t") as [string, string];
          context.emit("top", `${count}\t${url}`);
        },
      },
    ],
    output,
    reducers: 1,
    combine: (_key, values) => topOf(values, n),
    reduce: (_key, records, emit) => {
      for (const v of topOf(
        records.map((r) => r.value),
        n,
      )) {
        const [count, url] = v.split("\t") as [string, string];
        emit(`${url}\t${count}`);
      }
    },
  };
}

/** The same answers computed directly in memory, to check the jobs against. */
export function countDirectly(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const url = line.slice(line.indexOf(" ") + 1);
    counts.set(url, (counts.get(url) ?? 0) + 1);
  }
  return counts;
}

export function topDirectly(lines: readonly string[], n: number): string[] {
  return topOf(
    [...countDirectly(lines)].map(([url, count]) => `${count}\t${url}`),
    n,
  ).map((v) => {
    const [count, url] = v.split("\t") as [string, string];
    return `${url}\t${count}`;
  });
}
