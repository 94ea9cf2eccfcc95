/**
 * Check Jepsen-style histories for linearizability, as Knossos or Porcupine would:
 *
 *   npx tsx shared/check/main.ts linearizability --model <register|cas-register|kv>
 *     [--independent] [--knossos] FILE...
 *
 * One verdict per file (with a witness when not linearizable); --json for one JSON object per
 * file. Exit 0 when every file is linearizable, 1 when any is not (or is undecided: the search
 * ran out of steps, Porcupine's "Unknown"), 2 for bad input: a malformed line, an operation the
 * model does not accept, or a history with no operations is reported with its file and line
 * number, and nothing is checked.
 *
 * Two readings of a history differ between Jepsen's tools, and the default is Porcupine's:
 *
 * - an :ok read of nil means the register held nil, its value before any write; Knossos reads it
 *   as "the value was not recorded", which matches anything;
 * - a :fail compare-and-set happened and found another value, so it constrains the order; Knossos
 *   drops every :fail operation before the search.
 *
 * --knossos reads histories as Knossos does.
 *
 *   npx tsx shared/check/main.ts consistency [--json] [--independent] [--require MODEL] FILE...
 *
 * Classifies register histories (unique values per key) against linearizable, sequential,
 * causal, PRAM and the four session guarantees (see consistency.ts). Exit 0 when every file was
 * classified, 2 for bad input, and with --require 1 when some file violates that model or leaves
 * it undecided.
 *
 *   npx tsx shared/check/main.ts isolation [--json] [--model MODEL] FILE...
 *
 * Finds isolation anomalies (G0, G1a, G1b, G1c, G-single, G2-item and Elle's others) in Elle's
 * list-append and rw-register histories, each explained in one sentence (see isolation.ts). Exit 0
 * when every file satisfies the model (serializable by default), 1 when one does not, 2 for bad
 * input.
 */

import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { choice, EXIT_OK, EXIT_USAGE, EXIT_VIOLATION, integer, oneLineError } from "../cli.js";
import {
  type Classification,
  ConsistencyInputError,
  classify,
  DEFAULT_MAX_STEPS,
  MODEL_NAMES,
} from "./consistency.js";
import { ednString } from "./edn.js";
import {
  checkIsolation,
  MODEL_NAMES as ISOLATION_MODELS,
  type IsolationHistory,
  type ModelName as IsolationModel,
  isolationJson,
  isolationText,
  parseIsolationHistory,
} from "./isolation.js";
import { HistoryFormatError, parseJepsenHistory } from "./jepsen.js";
import {
  acceptedOperations,
  type CheckedOp,
  checkLinearizable,
  knossosReading,
  MODELS_BY_NAME,
  type Model,
  registerModel,
  SearchLimitExceeded,
  type Verdict,
} from "./linearizability.js";

function describe(model: Model<unknown>, op: CheckedOp): string {
  const key = op.key === "" ? "" : ` ${op.key}`;
  const isRead = model.operations[op.f]?.read === true;
  const result =
    op.outcome !== "ok" ? ` (${op.outcome})` : isRead ? ` → ${ednString(op.output)}` : "";
  return `process ${op.process} ${op.f}${key}${isRead ? "" : ` ${ednString(op.input)}`}${result}`;
}

function verdictText(model: Model<unknown>, file: string, ops: number, verdict: Verdict): string {
  if (verdict.linearizable) return `${file}: linearizable (${ops} operations)`;
  const w = verdict.witness;
  if (w === undefined) return `${file}: NOT linearizable`;
  const last = w.longestPrefix.at(-1);
  // The witness is where the deepest partial order got stuck: another order may get stuck elsewhere,
  // so the sentence names that order, not the one operation, as what cannot be explained.
  const n = w.longestPrefix.length;
  const placed = `${n} operation${n === 1 ? "" : "s"}`;
  return `${file}: NOT linearizable${w.key === "" ? "" : ` (key ${w.key})`}: no order explains all the operations; the longest partial order found places ${placed}${last ? `, ending with ${describe(model, last)}` : ""} (state ${w.states.join(" or ")}), and nothing can follow it before ${describe(model, w.op)} returns`;
}

/** An operation in --json output: its values as EDN text, since EDN has more types than JSON. */
function opJson(op: CheckedOp) {
  return {
    id: op.id,
    process: op.process,
    f: op.f,
    ...(op.key === "" ? {} : { key: op.key }),
    input: ednString(op.input),
    output: ednString(op.output),
    outcome: op.outcome,
  };
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
    outputError: (text) => writeErr(oneLineError(text)),
  });
  const models = Object.entries(MODELS_BY_NAME)
    .map(([name, model]) => `  ${name.padEnd(13)} ${acceptedOperations(model)}`)
    .join("\n");
  program
    .command("linearizability")
    .description("check Jepsen-style EDN histories for linearizability")
    .addOption(
      new Option(
        "--model <model>",
        `the object's model (${choice(Object.keys(MODELS_BY_NAME)).range})`,
      )
        .argParser(choice(Object.keys(MODELS_BY_NAME)).parse)
        .makeOptionMandatory(),
    )
    .option(
      "--independent",
      "Jepsen's multi-key form: each :value is a [key value] tuple, and each key is checked as its own object",
      false,
    )
    .option(
      "--knossos",
      "read histories as Knossos does: an :ok read of nil matches any value, and :fail operations are dropped",
      false,
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
    .argument(
      "<files...>",
      "history files: EDN maps (one per line, or in one vector), or Jepsen console log lines",
    )
    .addHelpText(
      "after",
      `
Models and the operations they accept:
${models}

Values are compared by content, as EDN defines equality: [1 2] equals (1 2), 1 is neither "1"
nor 1.0, and maps and sets are equal whatever their order. A register never written holds nil.

Readings (where Jepsen's tools differ; the default is Porcupine's):
  an :ok read of nil       the register held nil (--knossos: the value was not recorded,
                           so it matches anything)
  a :fail compare-and-set  it happened and found another value (--knossos: dropped, as
                           every :fail operation is)`,
    )
    .action((files: string[], options: CheckOptions) => {
      const baseModel = MODELS_BY_NAME[options.model] as Model<unknown>;
      const model = options.knossos ? knossosReading(baseModel) : baseModel;
      const parsed = files.map((file) => ({
        file,
        ops: readHistory(file, { model, independent: options.independent }),
      }));
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
            ? `${JSON.stringify({ file, model: options.model, operations: ops.length, linearizable: verdict.linearizable, ...(verdict.witness ? { witness: { key: verdict.witness.key, op: opJson(verdict.witness.op), longestPrefix: verdict.witness.longestPrefix.map((o) => o.id), states: verdict.witness.states } } : {}) })}\n`
            : `${verdictText(model, file, ops.length, verdict)}\n`,
        );
      }
    });
  program
    .command("consistency")
    .description(
      "classify register histories: linearizable, sequential, causal, PRAM and the session guarantees",
    )
    .option(
      "--independent",
      "Jepsen's multi-key form: each :value is a [key value] tuple, each key a register",
      false,
    )
    .option("--json", "one JSON object per file", false)
    .addOption(
      new Option(
        "--require <model>",
        `exit 1 when some file violates this model, or leaves it undecided (${choice([...MODEL_NAMES]).range})`,
      ).argParser(choice([...MODEL_NAMES]).parse),
    )
    .addOption(
      new Option(
        "--max-steps <count>",
        `search steps per model and file before a model is reported undecided (${integer(1, 1_000_000_000).range})`,
      )
        .argParser(integer(1, 1_000_000_000).parse)
        .default(DEFAULT_MAX_STEPS),
    )
    .argument(
      "<files...>",
      "history files: :read and :write on registers (:key k for several, or --independent), each value written once per key",
    )
    .addHelpText(
      "after",
      `
Models (definitions and citations in shared/check/README.md):
  linearizable         one legal order of all operations that respects real time
  sequential           one legal order of all operations that respects each process's order
  causal               per process, a legal order of every write and its own operations
                       that respects causality (program order and reads-from)
  pram                 the same, respecting only each process's order

Session guarantees (Terry et al. 1994), judged within one session: a guarantee is violated when
a read of process p returns nil, or a value older than a write w that p must already see, where
p must already see w when:
  read-your-writes     p wrote w before the read
  monotonic-reads      p read w before the read
  monotonic-writes     another process q wrote w, then wrote a value p read before the read
  writes-follow-reads  another process q read w, then wrote a value p read before the read
Otherwise it has "no witness within one session", which is weaker than holding: Terry et al.
assume one write order that every server applies, and sessions that are each fine alone can
disagree on it. In --json, true means no witness within one session (older, and the reasons,
in shared/check/README.md).

An :info write counts if some read returned its value; :fail writes and :fail or :info reads
are dropped. A model the search cannot decide within --max-steps is reported undecided.`,
    )
    .action((files: string[], options: ConsistencyOptions) => {
      const parsed: { file: string; ops: CheckedOp[] }[] = [];
      for (const file of files)
        parsed.push({
          file,
          ops: readHistory(file, { model: registerModel, independent: options.independent }),
        });
      const results: { file: string; result: Classification }[] = [];
      for (const { file, ops } of parsed) {
        try {
          results.push({ file, result: classify(ops, { maxSteps: options.maxSteps }) });
        } catch (error) {
          if (error instanceof ConsistencyInputError)
            throw new UsageProblem(
              `${file}:${error.op.line ?? error.op.callTime}: ${error.message}`,
            );
          throw error;
        }
      }
      for (const { file, result } of results) {
        if (
          options.require !== undefined &&
          result.models[options.require as keyof Classification["models"]] !== true
        )
          exitCode = EXIT_VIOLATION;
        write(
          options.json
            ? `${JSON.stringify(classificationJson(file, result))}\n`
            : classificationText(file, result),
        );
      }
    });
  program
    .command("isolation")
    .description(
      "check transactional histories (Elle's list-append and rw-register) for isolation anomalies",
    )
    .option("--json", "one JSON object per file", false)
    .addOption(
      new Option(
        "--model <model>",
        `exit 1 when some file violates this model (${choice([...ISOLATION_MODELS]).range})`,
      )
        .argParser(choice([...ISOLATION_MODELS]).parse)
        .default("serializable"),
    )
    .option(
      "--no-wfr",
      "rw-register: do not assume that a transaction's write of a key follows the version it read (Elle's wfr-keys?, which a dirty read can break)",
    )
    .argument(
      "<files...>",
      "history files: :f :txn operations whose :value is [[:append k v] [:r k [..]]] or [[:w k v] [:r k v]]",
    )
    .addHelpText(
      "after",
      `
Anomalies (Elle's names; Adya 1999), each explained in one sentence:
  G0              a cycle of ww edges (write cycle)
  G1a             a read of an aborted (:fail) transaction's write
  G1b             a read of a version its writer later overwrote (intermediate read)
  G1c             a cycle of ww and wr edges, at least one wr (circular information flow)
  G-single        a cycle with exactly one rw edge (read skew is one)
  G-nonadjacent   a cycle with two or more rw edges, no two in a row
  G2-item         a cycle with two or more rw edges, two in a row (write skew is one)
  internal        a read that disagrees with its own transaction's earlier reads and writes
  future-read     a read of a value its own transaction writes only later
  duplicate-elements, incompatible-order, lost-update, cyclic-versions, garbage-read

Models and what they proscribe (shared/check/README.md has the sources):
  read-uncommitted    G0 (and duplicate elements, cyclic versions, garbage reads)
  read-committed      also G1a, G1b, G1c (and incompatible orders, future reads)
  repeatable-read     also every cycle with an rw edge, and lost updates
  snapshot-isolation  also G-single, G-nonadjacent, internal, lost updates
  serializable        all of them

No anomaly found is not a proof: the version order is inferred only where the reads show it.
In rw-register histories a transaction that read v and then wrote v' is taken to have written
v' after v, which a read of an uncommitted version can make false: --no-wfr drops that inference.`,
    )
    .action((files: string[], options: IsolationOptions) => {
      const parsed = files.map((file) => ({ file, history: readIsolationHistory(file) }));
      for (const { file, history } of parsed) {
        const result = checkIsolation(history, undefined, { writesFollowReads: options.wfr });
        if (!result.models[options.model]) exitCode = EXIT_VIOLATION;
        write(
          options.json
            ? `${JSON.stringify(isolationJson(file, result))}\n`
            : isolationText(file, result),
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

/** A history file's operations; bad input becomes a UsageProblem naming the file and line. */
function readHistory(
  file: string,
  options: { model: Model<unknown>; independent: boolean },
): CheckedOp[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UsageProblem(`cannot read ${file}`);
  }
  let ops: CheckedOp[];
  try {
    ops = parseJepsenHistory(text, options);
  } catch (error) {
    if (error instanceof HistoryFormatError)
      throw new UsageProblem(`${file}:${error.line}: ${error.message}`);
    throw error;
  }
  if (ops.length === 0) throw new UsageProblem(`${file}: the history has no operations`);
  return ops;
}

/** A transactional history file; bad input becomes a UsageProblem naming the file and line. */
function readIsolationHistory(file: string): IsolationHistory {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UsageProblem(`cannot read ${file}`);
  }
  let history: IsolationHistory;
  try {
    history = parseIsolationHistory(text);
  } catch (error) {
    if (error instanceof HistoryFormatError)
      throw new UsageProblem(`${file}:${error.line}: ${error.message}`);
    throw error;
  }
  if (history.transactions.length === 0)
    throw new UsageProblem(`${file}: the history has no transactions`);
  return history;
}

function classificationText(file: string, result: Classification): string {
  const memory = MODEL_NAMES.slice(0, 4);
  const session = MODEL_NAMES.slice(4);
  const names = (value: boolean | null, among: readonly string[] = memory) =>
    MODEL_NAMES.filter((m) => among.includes(m) && result.models[m] === value).join(", ");
  // Memory models stronger than the strongest shown to hold, and not decided.
  const above = memory.slice(0, result.strongest ? memory.indexOf(result.strongest) : 4);
  const open = above.filter((m) => result.models[m] === null);
  const strongest =
    result.strongest === null
      ? open.length === 0
        ? "none of linearizable, sequential, causal, PRAM"
        : `none shown (${open.join(", ")} undecided${names(false) === "" ? "" : `; not ${names(false)}`})`
      : `${result.strongest}${open.length === 0 ? "" : ` (${open.join(", ")} undecided)`}`;
  const lines = [
    `${file}: ${result.operations} operations; the strongest model that holds: ${strongest}`,
  ];
  if (names(true) !== "") lines.push(`  holds: ${names(true)}`);
  if (names(false) !== "") lines.push(`  fails: ${names(false)}`);
  if (names(true, session) !== "")
    lines.push(`  no witness within one session: ${names(true, session)}`);
  if (names(false, session) !== "")
    lines.push(`  violated within one session: ${names(false, session)}`);
  for (const u of result.undecided) lines.push(`  undecided: ${u.model}: ${u.reason}`);
  for (const v of result.violations) lines.push(`  not ${v.model}: ${v.message}`);
  return `${lines.join("\n")}\n`;
}

function classificationJson(file: string, result: Classification) {
  return {
    file,
    operations: result.operations,
    models: result.models,
    strongest: result.strongest,
    violations: result.violations.map((v) => ({
      model: v.model,
      ...(v.process === undefined ? {} : { process: v.process }),
      message: v.message,
      ops: v.ops.map(opJson),
    })),
    undecided: result.undecided,
  };
}

interface ConsistencyOptions {
  independent: boolean;
  json: boolean;
  require?: string;
  maxSteps: number;
}

interface IsolationOptions {
  json: boolean;
  model: IsolationModel;
  /** False with --no-wfr. */
  wfr: boolean;
}

interface CheckOptions {
  model: string;
  independent: boolean;
  knossos: boolean;
  json: boolean;
  maxSteps: number;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // A reader that stops early (`| head`) closes the pipe: stop quietly, as the concepts' CLIs do.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  process.exitCode = runChecker(
    process.argv.slice(2),
    (s) => process.stdout.write(s),
    (s) => process.stderr.write(s),
  );
}
