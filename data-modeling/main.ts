/**
 * Data modeling (DDIA chapter 2, "Data Models and Query Languages"): the relational model on a
 * real SQLite engine, the document model, and a property graph, asked the same questions.
 *
 *   npx tsx data-modeling/main.ts              the tour
 *   npx tsx data-modeling/main.ts <scenario>   one scenario; --help lists them and their flags
 *
 * Each scenario's name, summary and flags are here; its code is in scenarios/, loaded only when
 * the scenario runs. A learner starts these scripts dozens of times, and loading one scenario's
 * modules instead of all five's keeps the start quick (`npm run bench -- startup` measures it).
 */
import {
  type Concept,
  flag,
  integer,
  main,
  option,
  type Scenario,
  type ScenarioContext,
} from "../shared/cli.js";
import { profilesOption } from "./options.js";

/** A scenario whose code is imported when it first runs. */
function lazy<O>(
  scenario: Omit<Scenario<O>, "run">,
  load: () => Promise<{ run: (context: ScenarioContext, options: O) => Promise<void> }>,
): Scenario<O> {
  return { ...scenario, run: async (context, options) => (await load()).run(context, options) };
}

const resume = lazy<{ profiles: number }>(
  {
    name: "resume",
    summary:
      "the book's résumé as normalized tables and as one JSON document: locality, joins, renames",
    options: [profilesOption(200)],
  },
  () => import("./scenarios/resume.js"),
);

const normalization = lazy<{ orders: number }>(
  {
    name: "normalization",
    summary:
      "a flat orders table, its update, insert and delete anomalies, and its decomposition into 2NF, 3NF and BCNF",
    options: [
      option(
        "--orders <count>",
        "orders in the flat table (plus one from a one-time customer)",
        integer(1, 1_000),
        6,
      ),
    ],
  },
  () => import("./scenarios/normalization.js"),
);

const denormalization = lazy<{
  products: number;
  reads: number;
  writes: number;
  missedFanOut: boolean;
}>(
  {
    name: "denormalization",
    summary:
      "a read-heavy product page, normalized and materialized: reads saved, writes added, and a missed fan-out",
    options: [
      option("--products <count>", "products in the catalog", integer(1, 10_000), 50),
      // Twenty page views per write by default, as read-heavy as the point needs: each page view
      // is two queries, and a few thousand of them made the scenario slow to start.
      option("--reads <count>", "page views in the workload", integer(0, 100_000), 500),
      option(
        "--writes <count>",
        "writes in the workload (about one in ten a seller rename, the rest reviews)",
        integer(0, 100_000),
        25,
      ),
      flag(
        "--missed-fan-out",
        "broken variant: a seller rename forgets to update one copy of the seller's name",
      ),
    ],
  },
  () => import("./scenarios/denormalization.js"),
);

const graph = lazy<{ people: number }>(
  {
    name: "graph",
    summary:
      "Lucy and Alain as a property graph: a traversal and a recursive SQL query, and new kinds of data without a schema change",
    options: [
      option(
        "--people <count>",
        "random people added beside Lucy and Alain, placed by --seed (at 0, the seed changes nothing)",
        integer(0, 10_000),
        0,
      ),
    ],
  },
  () => import("./scenarios/graph.js"),
);

const schemaFlexibility = lazy<{ users: number }>(
  {
    name: "schema-flexibility",
    summary:
      "splitting a name field: a read-time code path for documents, ALTER TABLE and UPDATE for tables",
    options: [
      option(
        "--users <count>",
        // 8 is the length of NAMES in scenarios/schema-flexibility.ts.
        "users stored before the change; the first 8 are fixed, --seed picks the names of the rest (up to 8, the seed changes nothing)",
        integer(1, 100_000),
        8,
      ),
    ],
  },
  () => import("./scenarios/schema-flexibility.js"),
);

export const dataModeling: Concept = {
  folder: "data-modeling",
  description: "Relational, document and graph models side by side, on SQLite (DDIA chapter 2).",
  scenarios: [resume, normalization, denormalization, graph, schemaFlexibility],
  tour: ["resume", "graph"],
};

if (import.meta.url === `file://${process.argv[1]}`) main(dataModeling);
