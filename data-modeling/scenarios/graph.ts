/**
 * The book's graph of Lucy and Alain (DDIA ch. 2, Figure 2-5), the question "who emigrated from
 * the United States to Europe?" as a traversal and as Example 2-5's recursive SQL, and a new kind
 * of vertex and edge added without any schema change.
 */

import type { ScenarioContext } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import {
  addRandomPeople,
  bookGraph,
  createGraphTables,
  emigrants,
  emigrantsSql,
  graphToSql,
} from "../graph.js";
import { REF } from "../refs.js";
import { Sql } from "../sql.js";

const CYPHER = `MATCH
  (person) -[:BORN_IN]->  () -[:WITHIN*0..]-> (us:Location {name:'United States'}),
  (person) -[:LIVES_IN]-> () -[:WITHIN*0..]-> (eu:Location {name:'Europe'})
RETURN person.name`;

/** The graph scenario; its name, summary and flags are in data-modeling/main.ts. */
export async function run(
  { trace, seed }: ScenarioContext,
  { people }: { people: number },
): Promise<void> {
  const g = bookGraph();
  addRandomPeople(g, new Random(seed).fork("people"), people);
  trace.section("Lucy and Alain, as a property graph", REF.propertyGraphs);
  trace.note(
    `Lucy from Idaho and Alain from Beaune, married and living in London (Figure 2-5)${people > 0 ? `, and ${people} random people placed by the seed` : ""}: ${g.vertices.size} vertices and ${g.edges.length} edges. Places nest through "within" edges at whatever depth the data needs: a state in a country, a city in a region in a country.${people > 0 ? "" : " The book's graph has no randomness: --seed changes nothing unless --people adds random people."}`,
  );
  trace.note(`The question, in Cypher (Example 2-4):\n${CYPHER}`, { ref: REF.cypher });

  const traversal = emigrants(g, "United States", "Europe");
  trace.query(
    "graph",
    "for each person: does born_in → within* reach 'United States', and lives_in → within* reach 'Europe'?",
    `${traversal.join(", ") || "(nobody)"}, after following ${g.edgesFollowed} edges`,
  );

  trace.section("The same question in SQL", REF.graphInSql);
  trace.note(
    "The graph stored relationally, as in Example 2-2: one table of vertices (an ID and the properties as JSON), one of edges (tail, head, label and properties). A vertex's type, Location or Person, is not a column: Example 2-2 has none.",
  );
  const sql = await Sql.open(trace);
  createGraphTables(sql);
  graphToSql(sql, g);
  trace.note(
    "Example 2-5's recursive common table expression. SQL needs WITH RECURSIVE because the number of within edges to follow is not known in advance; the book's point is the length: 4 lines of Cypher, 29 of SQL.",
  );
  const relational = emigrantsSql(sql, "United States", "Europe");
  trace.check(
    "the traversal and the recursive SQL give the same people",
    JSON.stringify(traversal) === JSON.stringify(relational),
    {
      detail: relational.join(", ") || "(nobody)",
    },
  );
  trace.check(
    "Lucy emigrated from the United States to Europe; Alain did not",
    traversal.includes("Lucy") && !traversal.includes("Alain"),
  );

  trace.section("New kinds of data, no schema change");
  trace.note(
    "The book suggests recording food allergies: a vertex for each allergen and each dish, an edge from a person to an allergen, and from a dish to what it contains. Neither the graph nor its two SQL tables need changing.",
  );
  const schemaChangesBefore = sql.stats.schemaChanges;
  const lucy = g.named("Lucy");
  const alain = g.named("Alain");
  const peanuts = g.addVertex("Allergen", { name: "peanuts" });
  const gluten = g.addVertex("Allergen", { name: "gluten" });
  const satay = g.addVertex("Dish", { name: "chicken satay" });
  const baguette = g.addVertex("Dish", { name: "baguette" });
  g.addVertex("Dish", { name: "salade niçoise" });
  g.addEdge(satay, peanuts, "contains");
  g.addEdge(baguette, gluten, "contains");
  if (lucy !== undefined) g.addEdge(lucy, peanuts, "allergic_to");
  if (alain !== undefined) g.addEdge(alain, gluten, "allergic_to");
  graphToSql(sql, g);
  const ddl = sql.stats.schemaChanges - schemaChangesBefore;
  const avoidGraph =
    lucy === undefined
      ? []
      : g
          .out(lucy, "allergic_to")
          .flatMap((allergen) => g.in(allergen, "contains"))
          .map((d) => String(d.properties.name))
          .sort();
  trace.query(
    "graph",
    "Lucy → allergic_to → allergen ← contains ← dish",
    avoidGraph.join(", ") || "(none)",
  );
  const avoidSql = sql
    .all(
      `SELECT DISTINCT dish.properties->>'name' AS dish
         FROM vertices person
         JOIN edges allergy ON allergy.tail_vertex = person.vertex_id AND allergy.label = 'allergic_to'
         JOIN edges contains ON contains.head_vertex = allergy.head_vertex AND contains.label = 'contains'
         JOIN vertices dish ON dish.vertex_id = contains.tail_vertex
         WHERE person.properties->>'name' = 'Lucy'
         ORDER BY dish`,
    )
    .map((r) => String(r.dish));
  trace.check("no CREATE or ALTER was needed for the new vertex and edge types", ddl === 0, {
    detail: `${g.vertices.size} vertices and ${g.edges.length} edges in the same two tables`,
  });
  trace.check(
    "Lucy should avoid the same dishes, asked of the graph and of SQL",
    JSON.stringify(avoidGraph) === JSON.stringify(avoidSql),
    {
      detail: avoidGraph.join(", ") || "(none)",
    },
  );
  trace.note(
    "That is the graph model's evolvability: any vertex can connect to any other, and a new kind of relationship is just a new edge label.",
    { level: "summary" },
  );
  sql.close();
}
