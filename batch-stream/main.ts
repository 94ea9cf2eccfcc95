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
import { type Concept, main } from "../shared/cli.js";
import { generateLog } from "./tools/generate-log.js";
import { topUrls } from "./tools/top-urls.js";
import { window } from "./tools/window.js";

const folder = "batch-stream";
const description =
  "Batch and stream processing: the Unix pipeline, MapReduce and its joins, event-time windows, stream joins, change data capture, event sourcing and exactly-once (DDIA chapters 10 and 11).";
const tools = [topUrls, generateLog, window];
const isMain = import.meta.url === `file://${process.argv[1]}`;

/**
 * A command line that starts with a tool's name (`main.ts top-urls --input FILE`) needs none of
 * the simulations, so the scenarios (and the shared modules behind them) are not loaded for it:
 * that is part of the start-up the top-urls benchmark times. Anything else (the tour, a
 * scenario, `--help`, an importer such as a test) gets the whole concept.
 */
const invokedTool = isMain ? tools.find((t) => t.name === process.argv[2]) : undefined;

async function everything(): Promise<Concept> {
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
