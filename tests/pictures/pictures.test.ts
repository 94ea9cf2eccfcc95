/**
 * The README pictures are current: each is drawn again, by its concept's command line, into a
 * temporary folder and compared byte for byte with the committed file. A change to a scenario or
 * to the SVG renderer that moves a picture fails here until `npm run pictures` redraws them.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { Concept } from "../../shared/cli.js";
import { root, runInProcess } from "../shared/fixtures/cli.js";
import { suiteDir } from "../shared/fixtures/temp.js";
import { commandOf, PICTURES, type Picture } from "./pictures.js";

async function conceptOf(folder: string): Promise<Concept> {
  const module = (await import(join(root, folder, "main.ts"))) as Record<string, unknown>;
  const concept = Object.values(module).find(
    (value): value is Concept =>
      typeof value === "object" && value !== null && (value as Concept).folder === folder,
  );
  if (concept === undefined) throw new Error(`${folder}/main.ts exports no concept`);
  return concept;
}

/**
 * Whether the picture at `committed` (by default the one in the concept's folder) is what its
 * command draws now; the reason when it is not.
 */
async function staleness(
  picture: Picture,
  dir: string,
  committed = join(root, picture.concept, picture.file),
): Promise<string | undefined> {
  if (!existsSync(committed)) return `${picture.concept}/${picture.file} is missing`;
  const fresh = join(dir, `${picture.concept}-${picture.file.replaceAll("/", "-")}`);
  const run = await runInProcess(await conceptOf(picture.concept), [
    ...picture.args,
    "--svg",
    fresh,
  ]);
  if (run.code !== 0) return `${commandOf(picture)} exited with ${run.code}: ${run.stderr}`;
  if (!readFileSync(committed).equals(readFileSync(fresh)))
    return `${picture.concept}/${picture.file} is not what \`${commandOf(picture)}\` draws now`;
  return undefined;
}

describe("the README pictures", () => {
  const dir = suiteDir("pictures");

  test.each(PICTURES.map((p) => [`${p.concept}/${p.file}`, p] as const))(
    "%s is current",
    async (_name, picture) => {
      const problem = await staleness(picture, dir);
      expect(problem, `${problem}: run npm run pictures`).toBeUndefined();
    },
    60_000,
  );

  test("a stale picture is caught (a broken variant: the committed file with one comment added)", async () => {
    const picture = PICTURES[0] as Picture;
    const stale = join(dir, "stale.svg");
    const committed = readFileSync(join(root, picture.concept, picture.file), "utf8");
    writeFileSync(stale, committed.replace("</svg>", "<!-- --></svg>"));
    expect(await staleness(picture, dir, stale)).toMatch(/ is not what `npx tsx .*` draws now$/);
  }, 60_000);

  test("every concept with a network has a picture, and every README shows its own", () => {
    const concepts = new Set(PICTURES.map((p) => p.concept));
    for (const concept of [
      "replication",
      "message-queue",
      "sharding",
      "eventual-consistency",
      "distributed-transactions",
    ]) {
      expect(concepts.has(concept), concept).toBe(true);
    }
    for (const picture of PICTURES) {
      const readme = join(root, picture.concept, "README.md");
      if (!existsSync(readme)) continue;
      const text = readFileSync(readme, "utf8");
      expect(text, `${picture.concept}/README.md`).toContain(`](${picture.file})`);
      expect(text, `${picture.concept}/README.md`).toContain(commandOf(picture));
    }
  });
});
