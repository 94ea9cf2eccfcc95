/**
 * What every concept's main.ts shares: commander subcommands (one per scenario, plus the tour
 * when no subcommand is given), the common options, validated parsers, the renderer choice and
 * the exit codes of ARCHITECTURE.md:
 *   0  the run completed as the scenario expects (a broken variant showing its anomaly included)
 *   1  an invariant that should hold was violated
 *   2  usage error: one line `error: ...` on stderr, no stack trace
 */

import { once } from "node:events";
import { accessSync, constants, existsSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { supportsColor } from "chalk";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { FaultFlags } from "./faults.js";
import type { DiagramRun } from "./render/diagram/model.js";
import type { DiagramPrinter } from "./render/diagram/terminal.js";
import { renderJson } from "./render/json.js";
import { TextRenderer, type Verbosity } from "./render/text.js";
import { Trace, type TraceEvent } from "./trace.js";
import { plural } from "./words.js";

export const EXIT_OK = 0;
export const EXIT_VIOLATION = 1;
export const EXIT_USAGE = 2;

export const DEFAULT_SEED = 1;

export interface CommonOptions {
  seed: number;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
}

/** A parser for an option value, with the range that `--help` shows. */
export interface Parser<T> {
  parse: (value: string) => T;
  range: string;
}

/**
 * The error a scenario's own parser throws for a bad value: commander prints it as the one-line
 * usage error, so scenarios need not import commander.
 */
export function invalidValue(message: string): Error {
  return new InvalidArgumentError(message);
}

/** Integers in [min, max]. Rejects "1.5", "1e3", "0x10", " 3" and the empty string. */
export function integer(min: number, max: number): Parser<number> {
  return {
    range: `integer ${min} to ${max}`,
    parse: (value) => {
      if (!/^-?\d+$/.test(value))
        throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
      }
      return n;
    },
  };
}

/** Finite decimals in [min, max]. */
export function decimal(min: number, max: number): Parser<number> {
  return {
    range: `number ${min} to ${max}`,
    parse: (value) => {
      if (!/^-?(\d+\.?\d*|\.\d+)$/.test(value))
        throw new InvalidArgumentError(`must be a number from ${min} to ${max}`);
      const n = Number(value);
      if (!Number.isFinite(n) || n < min || n > max)
        throw new InvalidArgumentError(`must be a number from ${min} to ${max}`);
      return n;
    },
  };
}

export const probability: Parser<number> = {
  range: "probability 0 to 1",
  parse: (value) => {
    try {
      return decimal(0, 1).parse(value);
    } catch {
      throw new InvalidArgumentError("must be a probability from 0 to 1");
    }
  },
};

/** Any non-empty text, such as a file path. */
export const text: Parser<string> = {
  range: "a non-empty string",
  parse: (value) => {
    if (value.trim() === "") throw new InvalidArgumentError("must not be empty");
    return value;
  },
};

/**
 * A file the run will write: its folder must exist and be writable, and the path must not be a
 * folder. Checked when the flag is read, so that a bad path is refused in one line before the run
 * starts rather than failing after it.
 */
export const writableFile: Parser<string> = {
  range: "a path to a file in a writable folder",
  parse: (value) => {
    text.parse(value);
    if (existsSync(value) && statSync(value).isDirectory())
      throw new InvalidArgumentError(`${value} is a folder, not a file`);
    const folder = dirname(value);
    try {
      accessSync(folder, constants.W_OK);
    } catch {
      throw new InvalidArgumentError(
        existsSync(folder) ? `cannot write in ${folder}` : `there is no folder ${folder}`,
      );
    }
    if (existsSync(value)) {
      try {
        accessSync(value, constants.W_OK);
      } catch {
        throw new InvalidArgumentError(`cannot write ${value}`);
      }
    }
    return value;
  },
};

export function choice<T extends string>(values: readonly T[]): Parser<T> {
  return {
    range: `one of ${values.join(", ")}`,
    parse: (value) => {
      if (!(values as readonly string[]).includes(value)) {
        throw new InvalidArgumentError(`must be one of ${values.join(", ")}`);
      }
      return value as T;
    },
  };
}

/** A scenario option: `--nodes <count>` with its parser and default. */
export interface OptionSpec {
  flags: string;
  description: string;
  parser?: Parser<unknown>;
  default?: unknown;
}

export function option<T>(
  flags: string,
  description: string,
  parser: Parser<T>,
  defaultValue: T,
): OptionSpec {
  return { flags, description, parser, default: defaultValue };
}

export function flag(flags: string, description: string): OptionSpec {
  return { flags, description };
}

/** The fault flags every networked scenario takes; `what` names the nodes that crash. */
export function faultOptions(defaults: FaultFlags, what = "node"): OptionSpec[] {
  return [
    ...networkFaultOptions(defaults),
    option(
      "--crash <count>",
      `${what} crashes (each followed by a restart) during the run`,
      integer(0, 20),
      defaults.crash,
    ),
    option(
      "--partition <count>",
      "network partitions (each healed later) during the run",
      integer(0, 20),
      defaults.partition,
    ),
  ];
}

/** `--loss` and `--duplicate` alone, for scenarios that script their own crashes and partitions. */
export function networkFaultOptions(
  defaults: Pick<FaultFlags, "loss" | "duplicate">,
): OptionSpec[] {
  return [
    option("--loss <p>", "probability that a message is lost", probability, defaults.loss),
    option(
      "--duplicate <p>",
      "probability that a message is delivered twice",
      probability,
      defaults.duplicate,
    ),
  ];
}

/**
 * What a scenario gets to run with: the seed of the run and the trace to narrate into. The trace
 * records message events only when they will be shown (`--verbose`, `--json`), so a simulation
 * passes it to its Simulation as it is.
 */
export interface ScenarioContext {
  trace: Trace;
  seed: number;
}

export interface Scenario<O = Record<string, unknown>> {
  name: string;
  summary: string;
  options?: OptionSpec[];
  /**
   * Whether the scenario's runs send messages over the simulated network (shared/network.ts), so
   * that the pictures of a run (`--diagram`, `--svg`, `--html`, `--mermaid`, `--shiviz`) have
   * something to draw; only such scenarios take those flags.
   */
  networked?: boolean;
  /** May be async: scenarios that load an engine (sql.js compiles WebAssembly) await it. */
  run: (context: ScenarioContext, options: O & CommonOptions) => void | Promise<void>;
  /**
   * Checks that span several flags (`--min-insync` at most `--replication-factor`), or that need
   * the outside world (a server to connect to): a message, or undefined. Run before anything is
   * printed, so a refusal is the one line on stderr and nothing on stdout.
   */
  validate?: (options: O) => string | undefined | Promise<string | undefined>;
}

/**
 * A command that works on real files rather than a simulation (batch-stream's `top-urls` over a
 * web server log). It has no seed and no trace: it writes its own output through `io` and returns
 * its exit code. It takes `--json` and `--no-color` like a scenario, and its own options, parsed
 * and validated the same way; it throws `UsageError` for input it cannot use (a missing file).
 */
export interface Tool<O = Record<string, unknown>> {
  name: string;
  summary: string;
  options?: OptionSpec[];
  /** What `--json` does for this tool, for `--help` (default: the result as NDJSON). */
  jsonDescription?: string;
  validate?: (options: O) => string | undefined | Promise<string | undefined>;
  run: (options: O & ToolOptions, io: Io) => number | Promise<number>;
}

export interface ToolOptions {
  json: boolean;
  color: boolean;
}

export interface Concept {
  /** The folder name, used in the replay command: `npx tsx <folder>/main.ts`. */
  folder: string;
  description: string;
  // biome-ignore lint/suspicious/noExplicitAny: scenarios have different option types
  scenarios: Scenario<any>[];
  /** Scenario names the tour runs, in order, with their default options. */
  tour: string[];
  // biome-ignore lint/suspicious/noExplicitAny: tools have different option types
  tools?: Tool<any>[];
}

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  isTTY: boolean;
  /** The terminal's width in columns, when stdout is a terminal (the --diagram fits it). */
  columns?: number;
  /** Whether stderr is a terminal (a tool draws its progress bar there only then). */
  stderrIsTTY?: boolean;
  /**
   * Resolves once at most `queuedBytesMax` bytes written to stdout are still waiting for a slow
   * reader (a pipe), so that a tool streaming a large output keeps its memory bounded. Absent
   * where output is not queued (tests collecting it in memory).
   */
  stdoutDrained?: (queuedBytesMax: number) => Promise<void>;
}

export function processIo(): Io {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    ...(process.stdout.isTTY === true && process.stdout.columns > 0
      ? { columns: process.stdout.columns }
      : {}),
    stderrIsTTY: process.stderr.isTTY === true,
    stdoutDrained: async (queuedBytesMax) => {
      if (process.stdout.writableLength > queuedBytesMax) await once(process.stdout, "drain");
    },
  };
}

function colorLevel(options: CommonOptions, io: Io): 0 | 1 | 2 | 3 {
  if (!options.color || options.json) return 0;
  const force = io.env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === "0" || force === "false") return 0;
    if (force === "2" || force === "3") return Number(force) as 2 | 3;
    return 1;
  }
  if (io.env.NO_COLOR) return 0;
  if (!io.isTTY) return 0;
  return supportsColor ? supportsColor.level : 1;
}

function addCommonOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--seed <int>", `seed of the run (${integer(0, 2 ** 32 - 1).range})`)
        .default(DEFAULT_SEED)
        .argParser(integer(0, 2 ** 32 - 1).parse),
    )
    .option("--json", "print the trace as NDJSON, one event per line", false)
    .addOption(
      new Option("--quiet", "print only headings, summaries, tables and checks")
        .default(false)
        .conflicts("verbose"),
    )
    .option("--verbose", "also print every message sent, delivered and dropped", false)
    .option("--no-color", "never colour the output (NO_COLOR and FORCE_COLOR are honoured too)");
}

/** Simulated milliseconds from the start of the run: `--from` and `--to`. */
export const simulatedMs: Parser<number> = {
  range: "simulated ms, 0 or more",
  parse: (value) => {
    if (!/^(\d+\.?\d*|\.\d+)$/.test(value))
      throw new InvalidArgumentError("must be a number of simulated milliseconds, 0 or more");
    const n = Number(value);
    if (!Number.isFinite(n))
      throw new InvalidArgumentError("must be a number of simulated milliseconds, 0 or more");
    return n;
  },
};

/** Widths below this leave no room for two node columns and a margin. */
export const DIAGRAM_WIDTH_MIN = 30;
export const DIAGRAM_WIDTH_MAX = 1000;
/** The diagram's width when stdout is not a terminal (a pipe, a file, a test). */
export const DIAGRAM_WIDTH_DEFAULT = 100;

/** The pictures of a run (shared/render/diagram), as the flags of a networked scenario ask. */
export interface PictureOptions {
  diagram: boolean;
  from?: number;
  to?: number;
  width?: number;
  svg?: string;
  html?: string;
  mermaid?: string;
  shiviz?: string;
}

const PICTURE_FILES = ["svg", "html", "mermaid", "shiviz"] as const;

function addPictureOptions(command: Command): Command {
  const file = (flags: string, description: string) =>
    new Option(flags, `${description} (${writableFile.range})`).argParser(writableFile.parse);
  return command
    .option("--diagram", "draw each run as a space-time diagram in the terminal", false)
    .addOption(
      new Option(
        "--from <ms>",
        `picture only what happens from this simulated time on (${simulatedMs.range})`,
      ).argParser(simulatedMs.parse),
    )
    .addOption(
      new Option(
        "--to <ms>",
        `picture only what happens up to this simulated time (${simulatedMs.range})`,
      ).argParser(simulatedMs.parse),
    )
    .addOption(
      new Option(
        "--width <columns>",
        `width of the --diagram (${integer(DIAGRAM_WIDTH_MIN, DIAGRAM_WIDTH_MAX).range}; default: the terminal's, or ${DIAGRAM_WIDTH_DEFAULT})`,
      ).argParser(integer(DIAGRAM_WIDTH_MIN, DIAGRAM_WIDTH_MAX).parse),
    )
    .addOption(file("--svg <file>", "write the runs as an SVG space-time diagram"))
    .addOption(file("--html <file>", "write the runs as a web page: diagram, trace, time slider"))
    .addOption(file("--mermaid <file>", "write the runs as a Mermaid sequence diagram"))
    .addOption(file("--shiviz <file>", "write the runs as a log for ShiViz"));
}

/** Flags that contradict each other: a message, or undefined. */
function pictureProblem(options: PictureOptions & CommonOptions): string | undefined {
  const files = PICTURE_FILES.filter((f) => options[f] !== undefined);
  if (options.diagram && options.json)
    return "--diagram draws in the terminal and --json prints NDJSON: give one of them (--svg, --html, --mermaid and --shiviz go with either)";
  if (options.from !== undefined && options.to !== undefined && options.from > options.to)
    return `--from ${options.from} is after --to ${options.to}: the window would be empty`;
  for (const bound of ["from", "to"] as const) {
    if (options[bound] !== undefined && !options.diagram && files.length === 0)
      return `--${bound} windows a picture: give it with --diagram, --svg, --html, --mermaid or --shiviz`;
  }
  if (options.width !== undefined && !options.diagram)
    return "--width sets the width of the --diagram: give it with --diagram";
  const paths = files.map((f) => options[f] as string);
  const twice = paths.find((path, i) => paths.indexOf(path) !== i);
  if (twice !== undefined) return `two pictures cannot both be written to ${twice}`;
  return undefined;
}

function wantsPictures(options: Partial<PictureOptions>): boolean {
  return options.diagram === true || PICTURE_FILES.some((f) => options[f] !== undefined);
}

/**
 * Write the picture files a run's flags ask for, after the run, one line on stderr for each, so
 * that stdout stays the trace. Each file is a pure function of the events: the same seed and flags
 * write the same bytes.
 */
async function writePictures(
  events: readonly TraceEvent[],
  options: PictureOptions,
  title: string,
  io: Io,
): Promise<void> {
  // The renderers load only when a picture is asked for: every other run starts sooner.
  const { buildDiagram, windowRuns } = await import("./render/diagram/model.js");
  const runs = windowRuns(buildDiagram(events), options.from, options.to);
  const render: Record<(typeof PICTURE_FILES)[number], () => Promise<string>> = {
    svg: async () => (await import("./render/diagram/svg.js")).renderSvg(runs, { title }),
    html: async () =>
      (await import("./render/diagram/html.js")).renderHtml(runs, events, { title }),
    mermaid: async () => (await import("./render/diagram/mermaid.js")).renderMermaid(runs, {}),
    shiviz: async () => (await import("./render/diagram/shiviz.js")).renderShiviz(runs),
  };
  for (const kind of PICTURE_FILES) {
    const path = options[kind];
    if (path === undefined) continue;
    writeFileSync(path, await render[kind]());
    io.stderr(`wrote ${path}: ${describeRuns(runs)}\n`);
  }
}

function describeRuns(runs: readonly DiagramRun[]): string {
  const messages = runs.reduce((sum, run) => sum + run.messages.length, 0);
  return `${plural(runs.length, "run")}, ${plural(messages, "message")}`;
}

function addScenarioOptions(command: Command, specs: readonly OptionSpec[]): Command {
  // An option that takes a value and has no default (a tool's `--input <file>`) reads `false`
  // when not given, as a flag does; the value is set rather than declared as its default, so that
  // `--help` does not show "(default: false)" for it.
  const unset: string[] = [];
  for (const spec of specs) {
    const described = spec.parser ? `${spec.description} (${spec.parser.range})` : spec.description;
    const opt = new Option(spec.flags, described);
    if (spec.parser) opt.argParser(spec.parser.parse);
    if (spec.parser !== undefined && (spec.default === undefined || spec.default === false))
      unset.push(opt.attributeName());
    else opt.default(spec.default ?? false);
    command.addOption(opt);
  }
  for (const name of unset) command.setOptionValueWithSource(name, false, "default");
  return command;
}

/** Defaults of a scenario's own options, as the tour runs it. */
function defaultsOf(scenario: Scenario): Record<string, unknown> {
  const probe = addScenarioOptions(new Command(), scenario.options ?? []);
  return probe.opts();
}

/**
 * Run one concept's CLI on `argv` (without the node and script paths). Returns the exit code;
 * never throws for bad input.
 */
export async function runCli(
  concept: Concept,
  argv: readonly string[],
  io: Io = processIo(),
): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command(concept.folder)
    .description(concept.description)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      outputError: (text) => io.stderr(oneLineError(text)),
    })
    .showSuggestionAfterError(true)
    // Options after a scenario name belong to the scenario (`main.ts rebalance --json`).
    .enablePositionalOptions();

  const execute = async (
    names: string[],
    commandOptions: Record<string, unknown>,
    replayArgs: string[],
  ) => {
    const common = commandOptions as unknown as CommonOptions;
    const scenarios = names.map((name) => {
      const scenario = concept.scenarios.find((s) => s.name === name);
      if (scenario === undefined) throw new Error(`tour names unknown scenario ${name}`);
      return scenario;
    });
    // In the tour each scenario gets its own defaults under the common flags; its validate sees
    // exactly what its run will (a tour must not reach a server only a flag asks for).
    const optionsOf = (scenario: Scenario) =>
      names.length === 1 ? commandOptions : { ...defaultsOf(scenario), ...commandOptions };
    const pictures = commandOptions as unknown as PictureOptions;
    if (names.length === 1) {
      const problem = pictureProblem({ ...common, ...pictures });
      if (problem !== undefined) throw new UsageError(problem);
    }
    for (const scenario of scenarios) {
      const problem = await scenario.validate?.(optionsOf(scenario) as never);
      if (problem !== undefined) throw new UsageError(problem);
    }
    const verbosity: Verbosity = common.quiet ? "quiet" : common.verbose ? "verbose" : "normal";
    const trace = new Trace({
      messages: common.verbose || common.json || wantsPictures(pictures),
    });
    const print = (lines: readonly string[]) => {
      if (lines.length > 0) io.stdout(`${lines.join("\n")}\n`);
    };
    let printer: DiagramPrinter | undefined;
    if (common.json) {
      trace.subscribe((event) => io.stdout(`${renderJson(event)}\n`));
    } else if (pictures.diagram === true) {
      const level = colorLevel(common, io);
      const { DiagramPrinter } = await import("./render/diagram/terminal.js");
      printer = new DiagramPrinter({
        renderer: new TextRenderer({ colorLevel: level, verbosity }),
        verbosity,
        colorLevel: level,
        widthColumns: pictures.width ?? io.columns ?? DIAGRAM_WIDTH_DEFAULT,
        ...(pictures.from !== undefined ? { fromMs: pictures.from } : {}),
        ...(pictures.to !== undefined ? { toMs: pictures.to } : {}),
      });
      const diagrams = printer;
      trace.subscribe((event) => print(diagrams.render(event)));
    } else {
      const renderer = new TextRenderer({ colorLevel: colorLevel(common, io), verbosity });
      trace.subscribe((event) => print(renderer.render(event)));
    }
    const replay = ["npx tsx", `${concept.folder}/main.ts`, ...replayArgs].join(" ");
    trace.emit({
      kind: "start",
      scenario: `${concept.folder} ${names.length === 1 ? names[0] : "tour"}`,
      seed: common.seed,
      replay,
    });
    for (const scenario of scenarios) {
      if (names.length > 1) trace.section(`${scenario.name}: ${scenario.summary}`);
      await scenario.run({ trace, seed: common.seed }, optionsOf(scenario) as never);
    }
    const summary = trace.summarize();
    exitCode = summary.ok ? EXIT_OK : EXIT_VIOLATION;
    if (wantsPictures(pictures))
      await writePictures(
        trace.events,
        pictures,
        `${concept.folder} ${names[0]} · seed ${common.seed}`,
        io,
      );
  };

  addCommonOptions(program)
    .argument("[scenario]", "a scenario to run; without one, the tour runs")
    .action((name: string | undefined, options: Record<string, unknown>) => {
      if (name !== undefined) {
        throw new UsageError(
          `unknown scenario '${name}' (choose from: ${concept.scenarios.map((s) => s.name).join(", ")})`,
        );
      }
      return execute(concept.tour, options, withSeed(argv, options.seed as number));
    });

  for (const scenario of concept.scenarios) {
    const command = program.command(scenario.name).description(scenario.summary);
    addScenarioOptions(addCommonOptions(command), scenario.options ?? []);
    if (scenario.networked === true) addPictureOptions(command);
    command.action((options: Record<string, unknown>) => {
      // Common options given before the scenario name (`main.ts --seed 7 rebalance`) count too.
      const merged = { ...options };
      for (const key of Object.keys(program.opts())) {
        if (program.getOptionValueSource(key) === "cli") merged[key] = program.getOptionValue(key);
      }
      return execute([scenario.name], merged, withSeed(argv, merged.seed as number));
    });
  }
  for (const tool of concept.tools ?? []) {
    const command = program
      .command(tool.name)
      .description(tool.summary)
      .option("--json", tool.jsonDescription ?? "print the result as NDJSON", false)
      .option("--no-color", "never colour the output (NO_COLOR and FORCE_COLOR are honoured too)");
    addScenarioOptions(command, tool.options ?? []).action(
      async (options: Record<string, unknown>) => {
        const problem = await tool.validate?.(options as never);
        if (problem !== undefined) throw new UsageError(problem);
        exitCode = await tool.run(options as never, io);
      },
    );
  }
  program.addHelpText(
    "after",
    `\nWithout a scenario, a short tour runs: ${concept.tour.join(", ")}.\nEach scenario takes --help for its own options.`,
  );

  try {
    await program.parseAsync(argv as string[], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; everything else commander rejects is a usage error it printed.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  return exitCode;
}

/**
 * Commander's error text as the one line the CLI promises: its suggestion ("error: unknown option
 * '--vnodes'" then "(Did you mean --nodes?)" on a line of its own) joins the error's line.
 */
export function oneLineError(text: string): string {
  const joined = text.trimEnd().replace(/\n\(Did you mean ([^)\n]*)\)$/, " (did you mean $1)");
  return `${joined}\n`;
}

export class UsageError extends Error {
  override name = "UsageError";
}

function withSeed(argv: readonly string[], seed: number): string[] {
  const hasSeed = argv.some((a) => a === "--seed" || a.startsWith("--seed="));
  return hasSeed ? [...argv] : [...argv, "--seed", String(seed)];
}

/** The body of every main.ts: run the CLI and set the exit code, letting stdout drain. */
export function main(concept: Concept): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  runCli(concept, process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
