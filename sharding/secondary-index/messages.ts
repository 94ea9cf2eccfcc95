/**
 * Secondary indexes on a partitioned database (DDIA ch. 6, "Partitioning and Secondary Indexes"),
 * using the book's example: cars for sale, indexed by color and make.
 *
 *   client ──WriteCar──▶ the car's partition ──WriteOk──▶ client
 *                        └─IndexAdd (async)──▶ the partition owning each term of the global index
 *   client ──QueryLocal──▶ every partition ──QueryResult──▶ client   (scatter/gather)
 *   client ──QueryGlobal──▶ the term's partition ──QueryResult──▶ client
 */

export interface Car {
  readonly id: number;
  readonly color: string;
  readonly make: string;
}

export type IndexMessage =
  | { readonly type: "WriteCar"; readonly requestId: number; readonly car: Car }
  | { readonly type: "WriteOk"; readonly requestId: number }
  | { readonly type: "IndexAdd"; readonly term: string; readonly carId: number }
  | { readonly type: "QueryLocal"; readonly requestId: number; readonly term: string }
  | { readonly type: "QueryGlobal"; readonly requestId: number; readonly term: string }
  | {
      readonly type: "QueryResult";
      readonly requestId: number;
      readonly carIds: readonly number[];
    };
