/**
 * Check Jepsen-style histories for linearizability, as Knossos or Porcupine would:
 *
 *   npx tsx shared/check/main.ts linearizability --model <register|cas-register|kv> FILE...
 *
 * One verdict per file (with a witness when not linearizable); --json for one JSON object per
 * file. Exit 0 when every file is linearizable, 1 when any is not (or is undecided: the search
 * ran out of steps, Porcupine's "Unknown"), 2 for bad input: a malformed line is reported with
 * its file and line number, and nothing is checked.
 */

import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { choice, EXIT_OK, EXIT_USAGE, EXIT_VIOLATION, integer } from "../cli.js";
import { HistoryFormatError, parseJepsenHistory } from "./jepsen.js";
import {
  type CheckedOp,
  casRegisterModel,
  checkLinearizable,
  kvModel,
  type Model,
  registerModel,
  SearchLimitExceeded,
  type Verdict,
} from "./linearizability.js";

const MODELS: Record<string, Model<unknown>> = {
  register: registerModel,
  "cas-register": casRegisterModel,
  kv: kvModel as Model<unknown>,
};

function describe(op: CheckedOp): string {
  const value = (v: unknown) => (v === null || v === undefined ? "nil" : JSON.stringify(v));
  const key = op.key === "" ? "" : ` ${op.key}`;
  const isRead = op.f === "read" || op.f === "get";
  const result = op.outcome !== "ok" ? ` (${op.outcome})` : isRead ? ` → ${value(op.output)}` : "";
  return `process ${op.process} ${op.f}${key}${isRead ? "" : ` ${value(op.input)}`}${result}`;
}

function verdictText(file: string, ops: number, verdict: Verdict): string {
  if (verdict.linearizable) return `${file}: linearizable (${ops} operations)`;
  const w = verdict.witness;
  if (w === undefined) return `${file}: NOT linearizable`;
  return `${file}: NOT linearizable${w.key === "" ? "" : ` (key ${w.key})`}: no order explains ${describe(w.op)}; the longest order found places ${w.longestPrefix.length} operation(s)${w.longestPrefix.length > 0 ? `, ending with ${describe(w.longestPrefix.at(-1) as CheckedOp)}` : ""}, and leaves the state at ${w.states.join(" or ")}`;
}

export function runChecker(
  argv: readonly string[],
  write: (s: string) => void,
  writeErr: (s: string) => void,
): number {
  let exitCode = EXIT_OK;
  const program = new Command("check").exitOverride().configureOutput({
    writeOut: write,
    writeErr,
    outputError: (text) => writeErr(text.endsWith("\n") ? text : `${text}\n`),
  });
  program
    .command("linearizability")
    .description("check Jepsen-style EDN histories for linearizability")
    .addOption(
      new Option("--model <model>", `the object's model (${choice(Object.keys(MODELS)).range})`)
        .argParser(choice(Object.keys(MODELS)).parse)
        .makeOptionMandatory(),
    )
    .option("--json", "one JSON object per file", false)
    .addOption(
      new Option(
        "--max-steps <count>",
        `give up on a history after this many search steps, as undecided (${integer(1, 1_000_000_000).range})`,
      )
        .argParser(integer(1, 1_000_000_000).parse)
        .default(10_000_000),
    )
    .argument("<files...>", "history files: one EDN map per line, or Jepsen console log lines")
    .action((files: string[], options: { model: string; json: boolean; maxSteps: number }) => {
      const parsed: { file: string; ops: CheckedOp[] }[] = [];
      for (const file of files) {
        let text: string;
        try {
          text = readFileSync(file, "utf8");
        } catch {
          throw new UsageProblem(`cannot read ${file}`);
        }
        try {
          parsed.push({ file, ops: parseJepsenHistory(text) });
        } catch (error) {
          if (error instanceof HistoryFormatError)
            throw new UsageProblem(`${file}:${error.line}: ${error.message}`);
          throw error;
        }
      }
      const model = MODELS[options.model] as Model<unknown>;
      for (const { file, ops } of parsed) {
        let verdict: Verdict;
        try {
          verdict = checkLinearizable(model, ops, options.maxSteps);
        } catch (error) {
          if (!(error instanceof SearchLimitExceeded)) throw error;
          // Not shown linearizable, so not a pass; not shown otherwise either (Porcupine's Unknown).
          exitCode = EXIT_VIOLATION;
          write(
            options.json
              ? `${JSON.stringify({ file, model: options.model, operations: ops.length, linearizable: null, undecided: error.message })}\n`
              : `${file}: undecided (${ops.length} operations): ${error.message}\n`,
          );
          continue;
        }
        if (!verdict.linearizable) exitCode = EXIT_VIOLATION;
        write(
          options.json
            ? `${JSON.stringify({ file, model: options.model, operations: ops.length, linearizable: verdict.linearizable, ...(verdict.witness ? { witness: { key: verdict.witness.key, op: verdict.witness.op, longestPrefix: verdict.witness.longestPrefix.map((o) => o.id), states: verdict.witness.states } } : {}) }, (_k, v) => (v === Number.POSITIVE_INFINITY ? null : v))}\n`
            : `${verdictText(file, ops.length, verdict)}\n`,
        );
      }
    });
  try {
    program.parse(argv as string[], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (error instanceof UsageProblem) {
      writeErr(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  return exitCode;
}

class UsageProblem extends Error {}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = runChecker(
    process.argv.slice(2),
    (s) => process.stdout.write(s),
    (s) => process.stderr.write(s),
  );
}
