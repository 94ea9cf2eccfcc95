/**
 * Change data capture, DDIA ch. 11, "Databases and Streams": a database whose every write goes to
 * its replication log, and derived systems (a full-text search index and a cache) that follow the
 * log as consumers, so that they apply the same writes in the same order as the database ("Change
 * Data Capture": "the search index and any other derived data systems are just consumers of the
 * change stream"). And the alternative the book warns against, dual writes ("Keeping Systems in
 * Sync", figure 11-4): the application writes the database and then the index itself, and two
 * clients racing leave them permanently different.
 *
 * State: the table (key → text), its log of changes with their log sequence numbers (the offsets
 * of the log), the index (word → keys, plus each key's indexed text so that an update can remove
 * its old words) and the cache (key → text).
 * Left out: transactions spanning several rows, the schema, and the format of a real WAL or binlog
 * (Debezium decodes PostgreSQL's logical replication or MySQL's binlog into such change events).
 */

import { Log } from "./log.js";

/** A change event as CDC emits it: the full new row, or null when the row was deleted. */
export interface Change {
  readonly key: string;
  readonly value: string | null;
}

export class Database {
  private readonly rows = new Map<string, string>();
  readonly log = new Log<Change>();

  set(key: string, value: string): number {
    this.rows.set(key, value);
    return this.log.append({ key, value });
  }

  delete(key: string): number {
    this.rows.delete(key);
    return this.log.append({ key, value: null });
  }

  get(key: string): string | undefined {
    return this.rows.get(key);
  }

  /**
   * A consistent snapshot and the log position it corresponds to ("Initial snapshot": "the
   * snapshot of the database must correspond to a known position or offset in the change log").
   * Here the snapshot is taken between two writes, so the position is the log's end.
   */
  snapshot(): { rows: Map<string, string>; offset: number } {
    return { rows: new Map(this.rows), offset: this.log.endOffset };
  }

  entries(): [string, string][] {
    return byKey(this.rows);
  }
}

/** A derived system: something a change can be applied to, idempotently. */
export interface Derived {
  applyChange(change: Change): void;
  /** Its content as rows, to compare with the database. */
  entries(): [string, string][];
}

export class Cache implements Derived {
  private readonly rows = new Map<string, string>();

  applyChange(change: Change): void {
    if (change.value === null) this.rows.delete(change.key);
    else this.rows.set(change.key, change.value);
  }

  entries(): [string, string][] {
    return byKey(this.rows);
  }
}

/** A full-text index: word → keys whose text has it. */
export class SearchIndex implements Derived {
  private readonly postings = new Map<string, Set<string>>();
  private readonly documents = new Map<string, string>();

  applyChange(change: Change): void {
    // Setting a row to the text it has is a no-op, so applying a change twice is harmless.
    const old = this.documents.get(change.key);
    if (old !== undefined)
      for (const word of words(old)) {
        const keys = this.postings.get(word);
        keys?.delete(change.key);
        if (keys?.size === 0) this.postings.delete(word);
      }
    if (change.value === null) {
      this.documents.delete(change.key);
      return;
    }
    this.documents.set(change.key, change.value);
    for (const word of words(change.value)) {
      let keys = this.postings.get(word);
      if (keys === undefined) {
        keys = new Set();
        this.postings.set(word, keys);
      }
      keys.add(change.key);
    }
  }

  search(word: string): string[] {
    return [...(this.postings.get(word) ?? [])].sort();
  }

  entries(): [string, string][] {
    return byKey(this.documents);
  }

  /** The postings, to compare with an index built from scratch. */
  postingList(): string[] {
    return [...this.postings].map(([word, keys]) => `${word}:${[...keys].sort().join(",")}`).sort();
  }
}

/** A table's rows in key order, to compare one system with another. */
function byKey(rows: ReadonlyMap<string, string>): [string, string][] {
  return [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function words(text: string): string[] {
  return [...new Set(text.toLowerCase().split(/\s+/).filter(Boolean))];
}

/** Rows that differ between two systems: "k2: db 'red shoes', index 'blue hat'". */
export function rowDifferences(
  a: readonly [string, string][],
  b: readonly [string, string][],
  names: [string, string],
): string[] {
  const left = new Map(a);
  const right = new Map(b);
  const keys = [...new Set([...left.keys(), ...right.keys()])].sort();
  const show = (v: string | undefined) => (v === undefined ? "(absent)" : `'${v}'`);
  return keys
    .filter((k) => left.get(k) !== right.get(k))
    .map((k) => `${k}: ${names[0]} ${show(left.get(k))}, ${names[1]} ${show(right.get(k))}`);
}
