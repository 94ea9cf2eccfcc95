/**
 * `npm run pictures`: draw every README picture again (tests/pictures/pictures.ts), by running each
 * concept's command line as a reader would, and say which files changed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { commandOf, PICTURES, type Picture } from "./pictures.js";

const root = join(import.meta.dirname, "..", "..");

/** Run the picture's command, writing the SVG to `path`; returns the command's stderr. */
export function drawPicture(picture: Picture, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", `${picture.concept}/main.ts`, ...picture.args, "--svg", path],
    { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
  );
  if (result.status !== 0) {
    throw new Error(`${commandOf(picture)} exited with ${result.status}:\n${result.stderr}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const picture of PICTURES) {
    const path = join(root, picture.concept, picture.file);
    const before = existsSync(path) ? readFileSync(path) : undefined;
    drawPicture(picture, path);
    const changed = before === undefined || !before.equals(readFileSync(path));
    process.stdout.write(`${changed ? "wrote" : "unchanged"} ${picture.concept}/${picture.file}\n`);
  }
}
