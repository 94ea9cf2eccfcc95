/**
 * A property graph in memory, with a small traversal API (DDIA ch. 2, "Property Graphs"): every
 * vertex and edge has a label and a map of properties; any vertex may connect to any other, and
 * edges are indexed both ways, so a traversal can follow them forwards or backwards.
 *
 * `emigrants` answers the book's question, "people who emigrated from the United States to
 * Europe", the way its Cypher query (Example 2-4) reads: from each person, follow BORN_IN and then
 * WITHIN zero or more times, and see whether that reaches the United States; likewise LIVES_IN to
 * Europe. `graphToSql` stores the same graph in the two tables of Example 2-2, and `EMIGRANTS_SQL`
 * is the recursive common table expression of Example 2-5, which walks the other way.
 */

import type { Random } from "../shared/random.js";
import type { Sql } from "./sql.js";

export type Properties = Record<string, string | number>;

export interface Vertex {
  id: number;
  label: string;
  properties: Properties;
}

export interface Edge {
  id: number;
  tail: number;
  head: number;
  label: string;
  properties: Properties;
}

export class PropertyGraph {
  readonly vertices = new Map<number, Vertex>();
  readonly edges: Edge[] = [];
  /** Edges followed by traversals so far. */
  edgesFollowed = 0;
  private readonly outgoing = new Map<number, Edge[]>();
  private readonly incoming = new Map<number, Edge[]>();

  addVertex(label: string, properties: Properties): Vertex {
    const vertex = { id: this.vertices.size + 1, label, properties };
    this.vertices.set(vertex.id, vertex);
    return vertex;
  }

  addEdge(tail: Vertex, head: Vertex, label: string, properties: Properties = {}): Edge {
    const edge = { id: this.edges.length + 1, tail: tail.id, head: head.id, label, properties };
    this.edges.push(edge);
    this.outgoing.set(tail.id, [...(this.outgoing.get(tail.id) ?? []), edge]);
    this.incoming.set(head.id, [...(this.incoming.get(head.id) ?? []), edge]);
    return edge;
  }

  named(name: string): Vertex | undefined {
    for (const v of this.vertices.values()) if (v.properties.name === name) return v;
    return undefined;
  }

  /** The heads of `vertex`'s outgoing edges labelled `label`. */
  out(vertex: Vertex, label: string): Vertex[] {
    return this.follow(this.outgoing.get(vertex.id), label, (e) => e.head);
  }

  /** The tails of `vertex`'s incoming edges labelled `label`. */
  in(vertex: Vertex, label: string): Vertex[] {
    return this.follow(this.incoming.get(vertex.id), label, (e) => e.tail);
  }

  /** `vertex` and everything reachable from it over `label` edges: Cypher's -[:LABEL*0..]->. */
  reachable(vertex: Vertex, label: string): Set<number> {
    const seen = new Set([vertex.id]);
    const frontier = [vertex];
    for (let next = frontier.pop(); next !== undefined; next = frontier.pop()) {
      for (const v of this.out(next, label)) {
        if (!seen.has(v.id)) {
          seen.add(v.id);
          frontier.push(v);
        }
      }
    }
    return seen;
  }

  private follow(edges: Edge[] | undefined, label: string, end: (e: Edge) => number): Vertex[] {
    const out: Vertex[] = [];
    for (const edge of edges ?? []) {
      if (edge.label !== label) continue;
      this.edgesFollowed++;
      const v = this.vertices.get(end(edge));
      if (v !== undefined) out.push(v);
    }
    return out;
  }
}

/**
 * The book's Figure 2-5: Lucy from Idaho and Alain from Beaune, married and living in London.
 */
export function bookGraph(): PropertyGraph {
  const g = new PropertyGraph();
  const place = (name: string, type: string) => g.addVertex("Location", { name, type });
  const northAmerica = place("North America", "continent");
  const usa = place("United States", "country");
  const idaho = place("Idaho", "state");
  const europe = place("Europe", "continent");
  const france = place("France", "country");
  const bourgogne = place("Bourgogne", "region");
  const beaune = place("Beaune", "city");
  const uk = place("United Kingdom", "country");
  const england = place("England", "country");
  const london = place("London", "city");
  g.addEdge(usa, northAmerica, "within");
  g.addEdge(idaho, usa, "within");
  g.addEdge(france, europe, "within");
  g.addEdge(bourgogne, france, "within");
  g.addEdge(beaune, bourgogne, "within");
  g.addEdge(uk, europe, "within");
  g.addEdge(england, uk, "within");
  g.addEdge(london, england, "within");
  const lucy = g.addVertex("Person", { name: "Lucy" });
  const alain = g.addVertex("Person", { name: "Alain" });
  g.addEdge(lucy, idaho, "born_in");
  g.addEdge(lucy, london, "lives_in");
  g.addEdge(alain, beaune, "born_in");
  g.addEdge(alain, london, "lives_in");
  g.addEdge(lucy, alain, "married");
  return g;
}

/** People born somewhere within `from` who live somewhere within `to`, sorted by name. */
export function emigrants(g: PropertyGraph, from: string, to: string): string[] {
  const fromVertex = g.named(from);
  const toVertex = g.named(to);
  if (fromVertex === undefined || toVertex === undefined) return [];
  const reaches = (person: Vertex, edge: string, target: Vertex) =>
    g.out(person, edge).some((place) => g.reachable(place, "within").has(target.id));
  const out: string[] = [];
  for (const v of g.vertices.values()) {
    if (
      v.label === "Person" &&
      reaches(v, "born_in", fromVertex) &&
      reaches(v, "lives_in", toVertex)
    ) {
      out.push(String(v.properties.name));
    }
  }
  return out.sort();
}

/**
 * Example 2-2's schema, column for column: one table of vertices, one of edges, properties as
 * JSON. A vertex's label (Location, Person) lives only in the graph in memory, as in the book,
 * whose vertices table has no label column.
 */
export const GRAPH_SCHEMA = [
  `CREATE TABLE vertices (
     vertex_id  INTEGER PRIMARY KEY,
     properties JSON)`,
  `CREATE TABLE edges (
     edge_id     INTEGER PRIMARY KEY,
     tail_vertex INTEGER REFERENCES vertices (vertex_id),
     head_vertex INTEGER REFERENCES vertices (vertex_id),
     label       TEXT,
     properties  JSON)`,
  "CREATE INDEX edges_tails ON edges (tail_vertex)",
  "CREATE INDEX edges_heads ON edges (head_vertex)",
];

export function createGraphTables(sql: Sql): void {
  for (const statement of GRAPH_SCHEMA) sql.run(statement);
}

/** Insert every vertex and edge not yet in the tables (by id), in one transaction. */
export function graphToSql(sql: Sql, g: PropertyGraph): void {
  sql.bulk(() =>
    sql.transaction(() => {
      for (const v of g.vertices.values()) {
        sql.run("INSERT OR IGNORE INTO vertices VALUES (?, ?)", [
          v.id,
          JSON.stringify(v.properties),
        ]);
      }
      for (const e of g.edges) {
        sql.run("INSERT OR IGNORE INTO edges VALUES (?, ?, ?, ?, ?)", [
          e.id,
          e.tail,
          e.head,
          e.label,
          JSON.stringify(e.properties),
        ]);
      }
    }),
  );
}

/** Example 2-5, in SQLite's dialect (the same ->> operator as PostgreSQL). */
export const EMIGRANTS_SQL = `WITH RECURSIVE
  -- in_from is the set of vertex IDs of all locations within the first place
  in_from(vertex_id) AS (
    SELECT vertex_id FROM vertices WHERE properties->>'name' = :from
    UNION
    SELECT edges.tail_vertex FROM edges
      JOIN in_from ON edges.head_vertex = in_from.vertex_id
      WHERE edges.label = 'within'
  ),
  -- in_to is the set of vertex IDs of all locations within the second place
  in_to(vertex_id) AS (
    SELECT vertex_id FROM vertices WHERE properties->>'name' = :to
    UNION
    SELECT edges.tail_vertex FROM edges
      JOIN in_to ON edges.head_vertex = in_to.vertex_id
      WHERE edges.label = 'within'
  ),
  -- born_in_from is the set of vertex IDs of all people born in the first place
  born_in_from(vertex_id) AS (
    SELECT edges.tail_vertex FROM edges
      JOIN in_from ON edges.head_vertex = in_from.vertex_id
      WHERE edges.label = 'born_in'
  ),
  -- lives_in_to is the set of vertex IDs of all people living in the second place
  lives_in_to(vertex_id) AS (
    SELECT edges.tail_vertex FROM edges
      JOIN in_to ON edges.head_vertex = in_to.vertex_id
      WHERE edges.label = 'lives_in'
  )
SELECT DISTINCT vertices.properties->>'name' AS name
FROM vertices
JOIN born_in_from ON vertices.vertex_id = born_in_from.vertex_id
JOIN lives_in_to ON vertices.vertex_id = lives_in_to.vertex_id
ORDER BY name`;

export function emigrantsSql(sql: Sql, from: string, to: string): string[] {
  return sql.all(EMIGRANTS_SQL, { ":from": from, ":to": to }).map((r) => String(r.name));
}

const PEOPLE = ["Mia", "Noah", "Ines", "Kofi", "Yuki", "Omar", "Lena", "Ravi", "Sofia", "Tomas"];

/** Add `count` people with random birthplaces and homes among the graph's locations. */
export function addRandomPeople(g: PropertyGraph, random: Random, count: number): void {
  const places = [...g.vertices.values()].filter((v) => v.label === "Location");
  for (let i = 0; i < count; i++) {
    const person = g.addVertex("Person", { name: `${random.pick(PEOPLE)} ${i + 1}` });
    g.addEdge(person, random.pick(places), "born_in");
    g.addEdge(person, random.pick(places), "lives_in");
  }
}

/** A random forest of `within` edges over `places` locations, and `people` people placed in it. */
export function randomGraph(random: Random, places: number, people: number): PropertyGraph {
  const g = new PropertyGraph();
  const locations: Vertex[] = [];
  for (let i = 0; i < places; i++) {
    const place = g.addVertex("Location", { name: `place ${i}`, type: "region" });
    // Each place lies within at most one earlier place, so the hierarchy has no cycles.
    if (i > 0 && random.chance(0.8)) g.addEdge(place, random.pick(locations), "within");
    locations.push(place);
  }
  addRandomPeople(g, random, people);
  return g;
}
