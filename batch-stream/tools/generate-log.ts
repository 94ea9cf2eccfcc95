/**
 * `generate-log --lines N --output FILE [--seed S]`: a web server access log in the combined log
 * format, for `top-urls` and the Unix pipeline to read (DDIA ch. 10, "Simple Log Analysis").
 * Deterministic: the same seed and line count give the same bytes. Paths follow a Zipf
 * distribution (batch-stream/unix/generate.ts states the exponent and the number of paths); lines
 * average about 176 bytes, so 10,000,000 lines are about 1.76 GB, written in 16 MiB chunks.
 */

import { closeSync, openSync, writeSync } from "node:fs";
import { integer, option, type Tool, writableFile } from "../../shared/cli.js";
import { pluralThousands, thousands } from "../../shared/words.js";
import {
  DISTINCT_PATHS,
  generateLog as generate,
  MAX_LINES,
  ZIPF_EXPONENT,
} from "../unix/generate.js";

interface Options {
  lines: number | false;
  output: string | false;
  seed: number;
}

export const generateLog: Tool<Options> = {
  name: "generate-log",
  summary: `write a deterministic web server log in the combined log format (paths Zipf-distributed over ${thousands(DISTINCT_PATHS)} paths, exponent ${ZIPF_EXPONENT})`,
  options: [
    option(
      "--lines <count>",
      "lines to write (required)",
      integer(0, MAX_LINES),
      false as number | false,
    ),
    option(
      "--output <file>",
      "the file to write (required)",
      writableFile,
      false as string | false,
    ),
    option("--seed <int>", "seed of the log", integer(0, 2 ** 32 - 1), 1),
  ],
  validate: (options) => {
    if (options.lines === false) return "generate-log needs --lines <count>";
    if (options.output === false) return "generate-log needs --output <file>";
    return undefined;
  },
  run: (options, io) => {
    const lines = options.lines as number;
    const path = options.output as string;
    const fd = openSync(path, "w");
    let bytes = 0;
    try {
      generate(lines, options.seed, (chunk) => {
        let at = 0;
        while (at < chunk.length) at += writeSync(fd, chunk, at, chunk.length - at);
        bytes += chunk.length;
      });
    } finally {
      closeSync(fd);
    }
    const summary = { lines, bytes, seed: options.seed, path };
    if (options.json)
      io.stdout(
        `${JSON.stringify({ kind: "table", title: `generated ${path}`, columns: ["lines", "bytes", "seed"], rows: [[lines, bytes, options.seed]] })}\n`,
      );
    else
      io.stdout(
        `wrote ${pluralThousands(summary.lines, "line")} (${thousands(summary.bytes)} bytes) to ${path}, seed ${summary.seed}\n`,
      );
    return 0;
  },
};
