/**
 * The picture of a run each concept's README shows: one flagship networked run per concept, drawn
 * as an SVG space-time diagram (shared/render/diagram/svg.ts) by the concept's own command line,
 * exactly as a reader would draw it. `npm run pictures` writes them (tests/pictures/update.ts);
 * tests/pictures/pictures.test.ts fails when a committed picture is no longer what its command
 * draws.
 *
 * Each is windowed (--from/--to) or shrunk by flags so that it reads at a glance: a picture with
 * hundreds of arrows teaches nothing.
 */

export interface Picture {
  /** The concept's folder. */
  concept: string;
  /** The file, relative to the concept's folder. */
  file: string;
  /** The scenario and its flags, without --svg. */
  args: string[];
}

export const PICTURES: readonly Picture[] = [
  {
    concept: "replication",
    file: "pictures/failover.svg",
    args: [
      "failover",
      "--seed",
      "1",
      "--loss",
      "0",
      "--duplicate",
      "0",
      "--from",
      "190",
      "--to",
      "300",
    ],
  },
  {
    concept: "distributed-transactions",
    file: "pictures/two-phase-commit.svg",
    args: [
      "two-phase-commit",
      "--seed",
      "1",
      "--transactions",
      "1",
      "--participants",
      "2",
      "--to",
      "60",
    ],
  },
  {
    concept: "eventual-consistency",
    file: "pictures/read-your-writes.svg",
    args: ["read-your-writes", "--seed", "1"],
  },
  {
    concept: "message-queue",
    file: "pictures/replication.svg",
    args: ["replication", "--seed", "1", "--from", "870", "--to", "970"],
  },
  {
    concept: "batch-stream",
    file: "pictures/exactly-once.svg",
    args: ["exactly-once", "--seed", "7", "--records", "16", "--checkpoint-interval", "20"],
  },
  {
    concept: "sharding",
    file: "pictures/secondary-index.svg",
    args: ["secondary-index", "--seed", "1"],
  },
];

/** The command a reader types to draw the picture, from the project's root. */
export function commandOf(picture: Picture): string {
  return [
    "npx tsx",
    `${picture.concept}/main.ts`,
    ...picture.args,
    "--svg",
    `${picture.concept}/${picture.file}`,
  ].join(" ");
}
