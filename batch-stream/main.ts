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
import { cdcAndEventSourcing } from "./scenarios/cdc-and-event-sourcing.js";
import { exactlyOnce } from "./scenarios/exactly-once.js";
import { joins } from "./scenarios/joins.js";
import { mapreduce } from "./scenarios/mapreduce.js";
import { streamJoins } from "./scenarios/stream-joins.js";
import { unix } from "./scenarios/unix.js";
import { windows } from "./scenarios/windows.js";
import { generateLog } from "./tools/generate-log.js";
import { topUrls } from "./tools/top-urls.js";
import { window } from "./tools/window.js";

export const batchStream: Concept = {
  folder: "batch-stream",
  description:
    "Batch and stream processing: the Unix pipeline, MapReduce and its joins, event-time windows, stream joins, change data capture, event sourcing and exactly-once (DDIA chapters 10 and 11).",
  scenarios: [unix, mapreduce, joins, windows, streamJoins, cdcAndEventSourcing, exactlyOnce],
  tour: ["unix", "mapreduce", "windows", "exactly-once"],
  tools: [topUrls, generateLog, window],
};

if (import.meta.url === `file://${process.argv[1]}`) main(batchStream);
