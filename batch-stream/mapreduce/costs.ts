/**
 * Simulated costs of the engine. Task time is proportional to the records a task handles, so a
 * slow machine's task is visibly late (a straggler) and a big partition visibly slow (skew).
 */

/** Mapping one input record (reading it from a local replica included). */
export const MAP_MS_PER_RECORD = 1;
/** Extra for a record read from another machine's replica (the map task was not data-local). */
export const REMOTE_READ_MS_PER_RECORD = 0.5;
/** Loading one line of side data into a mapper's in-memory hash table. */
export const SIDE_LOAD_MS_PER_RECORD = 0.2;
/** Merging and reducing one fetched record, and writing its output. */
export const REDUCE_MS_PER_RECORD = 1;
/** A reduce (or map-only) task writes its output in this many steps, so a crash can cut it. */
export const WRITE_STEPS = 4;
/** The master pings every worker this often, and counts one silent this long as failed. */
export const PING_MS = 50;
export const DEAD_AFTER_MS = 250;
/** A reducer asks again for a map output it has not received after this long. */
export const FETCH_RETRY_MS = 100;
/** Network latency bounds between any two machines. */
export const LATENCY_MS_MIN = 1;
export const LATENCY_MS_MAX = 10;
/** A task running this many times longer than the mean finished task of its kind gets a backup. */
export const SLOW_TASK_FACTOR = 1.5;
/** How much slower the straggler machine is (the paper's bad disk read at 1 MB/s, not 30). */
export const STRAGGLER_SLOWDOWN = 6;
/** How long a crashed worker stays down before it restarts, with an empty local disk. */
export const RESTART_MS = 400;
