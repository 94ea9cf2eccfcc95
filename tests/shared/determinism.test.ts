/**
 * Simulations take time and randomness only from the simulation (ARCHITECTURE.md), and the
 * layers import only downwards. Both rules are checked on the source text of every file.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const CONCEPTS = [
  "data-modeling",
  "sharding",
  "replication",
  "batch-stream",
  "eventual-consistency",
  "distributed-transactions",
  "message-queue",
];

function sourceFiles(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(sourceFiles(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

const FORBIDDEN: [RegExp, string][] = [
  [/\bMath\.random\s*\(/, "Math.random"],
  [/\bDate\.now\s*\(/, "Date.now"],
  [/\bperformance\.now\s*\(/, "performance.now"],
  [/\bnew Date\s*\(\s*\)/, "new Date() (the current time)"],
  [/\b(setTimeout|setInterval|setImmediate)\s*\(/, "real timers"],
  [/\bcrypto\.(randomUUID|getRandomValues|randomBytes)\s*\(/, "crypto randomness"],
  [/\bprocess\.hrtime\b/, "process.hrtime"],
];

/** The forbidden uses in one file's text, ignoring comment lines. */
function forbiddenUses(text: string): string[] {
  const found: string[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed.startsWith("//") || trimmed.startsWith("*") || trimmed.startsWith("/*")) continue;
    for (const [pattern, what] of FORBIDDEN) if (pattern.test(line)) found.push(what);
  }
  return found;
}

/**
 * Commands that work on real files rather than simulations (batch-stream's `top-urls` over a real
 * log): they may read the real clock, for a progress bar, and are not simulations.
 */
const REAL_FILE_TOOLS = join(root, "batch-stream", "tools");

const simulationFiles = ["shared", ...CONCEPTS]
  .flatMap((dir) => sourceFiles(join(root, dir)))
  .filter((file) => !file.startsWith(`${REAL_FILE_TOOLS}/`));

describe("determinism", () => {
  it("finds the simulation sources it is meant to scan", () => {
    expect(simulationFiles.length).toBeGreaterThan(20);
  });

  it("no simulation code reads real time, real randomness or real timers", () => {
    const offenders = simulationFiles
      .map((file) => ({
        file: relative(root, file),
        uses: forbiddenUses(readFileSync(file, "utf8")),
      }))
      .filter((o) => o.uses.length > 0);
    expect(offenders).toEqual([]);
  });

  it("would catch each forbidden use (the scanner's broken-variant test)", () => {
    expect(forbiddenUses("const x = Math.random();")).toEqual(["Math.random"]);
    expect(forbiddenUses("const t = Date.now();")).toEqual(["Date.now"]);
    expect(forbiddenUses("const t = performance.now();")).toEqual(["performance.now"]);
    expect(forbiddenUses("const d = new Date();")).toEqual(["new Date() (the current time)"]);
    expect(forbiddenUses("setTimeout(() => {}, 5);")).toEqual(["real timers"]);
    expect(forbiddenUses("const id = crypto.randomUUID();")).toEqual(["crypto randomness"]);
    expect(forbiddenUses("// Date.now() in a comment is fine")).toEqual([]);
    expect(forbiddenUses("const d = new Date(ms);")).toEqual([]);
  });
});

describe("layers", () => {
  const importsOf = (file: string) =>
    [...readFileSync(file, "utf8").matchAll(/from\s+"([^"]+)"/g)]
      .map((m) => m[1] as string)
      .filter((s) => s.startsWith("."));

  it("shared/ never imports from a concept folder", () => {
    const bad = sourceFiles(join(root, "shared")).flatMap((file) =>
      importsOf(file)
        .filter((spec) => CONCEPTS.some((c) => spec.includes(`/${c}/`)))
        .map((spec) => `${relative(root, file)} imports ${spec}`),
    );
    expect(bad).toEqual([]);
  });

  it("concept folders do not import each other", () => {
    const bad = CONCEPTS.flatMap((concept) =>
      sourceFiles(join(root, concept)).flatMap((file) =>
        importsOf(file)
          .filter((spec) =>
            CONCEPTS.some((other) => other !== concept && spec.includes(`/${other}/`)),
          )
          .map((spec) => `${relative(root, file)} imports ${spec}`),
      ),
    );
    expect(bad).toEqual([]);
  });

  it("algorithms never print or touch chalk and commander", () => {
    const bad = CONCEPTS.flatMap((concept) => sourceFiles(join(root, concept)))
      .filter((file) => !file.endsWith("main.ts"))
      .filter((file) =>
        /console\.|from "chalk"|from "commander"|process\.stdout/.test(readFileSync(file, "utf8")),
      )
      .map((file) => relative(root, file));
    expect(bad).toEqual([]);
  });
});
