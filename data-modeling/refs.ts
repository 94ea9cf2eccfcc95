/**
 * Where each idea is in the book (first-edition section titles). Normal forms are not in DDIA;
 * the book only says why normalizing matters ("Removing such duplication is the key idea behind
 * normalization in databases", in Many-to-One and Many-to-Many Relationships), so those
 * references name Codd's papers, where the normal forms were defined.
 */
export const REF = {
  relationalVsDocument: "DDIA ch. 2, Relational Model Versus Document Model",
  objectRelational: "DDIA ch. 2, The Object-Relational Mismatch",
  manyToOne: "DDIA ch. 2, Many-to-One and Many-to-Many Relationships",
  documentsToday: "DDIA ch. 2, Relational Versus Document Databases Today",
  locality: "DDIA ch. 2, Data locality for queries",
  schemaFlexibility: "DDIA ch. 2, Schema flexibility in the document model",
  convergence: "DDIA ch. 2, Convergence of document and relational databases",
  propertyGraphs: "DDIA ch. 2, Property Graphs",
  cypher: "DDIA ch. 2, The Cypher Query Language",
  graphInSql: "DDIA ch. 2, Graph Queries in SQL",
  fanOut: "DDIA ch. 1, Describing Load (Twitter's home timelines)",
  multiObject: "DDIA ch. 7, Single-Object and Multi-Object Operations",
  normalForms:
    "not in DDIA: E. F. Codd, Further Normalization of the Data Base Relational Model (1971), for 1NF to 3NF",
  bcnf: "not in DDIA: E. F. Codd, Recent Investigations in Relational Data Base Systems (1974), for Boyce-Codd normal form",
} as const;
