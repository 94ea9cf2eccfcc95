/**
 * Data modeling (DDIA chapter 2, "Data Models and Query Languages"): the relational model on a
 * real SQLite engine, the document model, and a property graph, asked the same questions.
 *
 *   npx tsx data-modeling/main.ts              the tour
 *   npx tsx data-modeling/main.ts <scenario>   one scenario; --help lists them and their flags
 */
import { type Concept, main } from "../shared/cli.js";
import { denormalization } from "./scenarios/denormalization.js";
import { graph } from "./scenarios/graph.js";
import { normalization } from "./scenarios/normalization.js";
import { resume } from "./scenarios/resume.js";
import { schemaFlexibility } from "./scenarios/schema-flexibility.js";

export const dataModeling: Concept = {
  folder: "data-modeling",
  description: "Relational, document and graph models side by side, on SQLite (DDIA chapter 2).",
  scenarios: [resume, normalization, denormalization, graph, schemaFlexibility],
  tour: ["resume", "graph"],
};

if (import.meta.url === `file://${process.argv[1]}`) main(dataModeling);
