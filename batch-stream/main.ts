/**
 * Batch and stream processing (DDIA chapter 10, "Batch Processing", and chapter 11, "Stream
 * Processing"): the Unix pipeline and MapReduce, joins, windows over event time, stream joins,
 * change data capture and event sourcing, and exactly-once output after a crash. Three commands
 * work on real files: `top-urls` and `generate-log` (web server logs) and `window` (an NDJSON
 * event stream).
 *
 *   npx tsx batch-stream/main.ts              the tour
 *   npx tsx batch-stream/main.ts <scenario>   one scenario; --help lists them and their flags
 */
import { type Concept, main, type Tool } from "../shared/cli.js";

const folder = "batch-stream";
const description =
  "Batch and stream processing: the Unix pipeline, MapReduce and its joins, event-time windows, stream joins, change data capture, event sourcing and exactly-once (DDIA chapters 10 and 11).";
const isMain = import.meta.url === `file://${process.argv[1]}`;

/** The tools, each loaded by its name (the key must be the tool's `name`). */
// biome-ignore lint/suspicious/noExplicitAny: tools have different option types
const toolModules: Record<string, () => Promise<Tool<any>>> = {
  "top-urls": async () => (await import("./tools/top-urls.js")).topUrls,
  "generate-log": async () => (await import("./tools/generate-log.js")).generateLog,
  window: async () => (await import("./tools/window.js")).window,
};

/**
 * A command line that starts with a tool's name (`main.ts top-urls --input FILE`) loads that tool
 * alone: none of the simulations, the other tools, or the shared modules behind them. Measured,
 * that is about 0.3 s of CPU less start-up for top-urls, whose benchmark includes start-up.
 * Anything else (the tour, a scenario, `--help`, an importer such as a test) gets everything.
 */
const toolName = isMain ? process.argv[2] : undefined;
const invokedTool =
  toolName !== undefined && Object.hasOwn(toolModules, toolName)
    ? await (toolModules[toolName] as () => Promise<Tool>)()
    : undefined;

async function everything(): Promise<Concept> {
  const tools = await Promise.all(Object.values(toolModules).map((load) => load()));
  const [unix, mapreduce, joins, windows, streamJoins, cdc, exactlyOnce] = await Promise.all([
    import("./scenarios/unix.js"),
    import("./scenarios/mapreduce.js"),
    import("./scenarios/joins.js"),
    import("./scenarios/windows.js"),
    import("./scenarios/stream-joins.js"),
    import("./scenarios/cdc-and-event-sourcing.js"),
    import("./scenarios/exactly-once.js"),
  ]);
  return {
    folder,
    description,
    scenarios: [
      unix.unix,
      mapreduce.mapreduce,
      joins.joins,
      windows.windows,
      streamJoins.streamJoins,
      cdc.cdcAndEventSourcing,
      exactlyOnce.exactlyOnce,
    ],
    tour: ["unix", "mapreduce", "windows", "exactly-once"],
    tools,
  };
}

export const batchStream: Concept =
  invokedTool !== undefined
    ? { folder, description, scenarios: [], tour: [], tools: [invokedTool] }
    : await everything();

if (isMain) main(batchStream);
