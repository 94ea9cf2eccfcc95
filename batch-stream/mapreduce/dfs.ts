/**
 * A simulated distributed filesystem (DDIA ch. 10, "MapReduce and Distributed Filesystems": HDFS,
 * GFS): files of text lines cut into blocks, each block replicated on several workers, and the one
 * operation output commit relies on, an atomic rename that fails when the target already exists
 * (HDFS's rename does; the MapReduce paper relies on "the atomic rename operation provided by the
 * underlying file system" so that the final file holds the output of one execution only).
 *
 * Simplifications, stated: the NameNode and the DataNodes are not simulated as nodes; reads and
 * writes take no simulated time and never fail (a worker's crash does not lose DFS data, which has
 * other replicas). What the simulation keeps is where each block's replicas are, so that the
 * master can run a map task near its data, and which writes reached which file.
 */

export interface Block {
  readonly index: number;
  readonly lines: readonly string[];
  /** Workers holding a replica. */
  readonly replicas: readonly string[];
}

interface DfsFile {
  lines: string[];
  /** Who wrote the file (its first block replica goes there, as HDFS places it). */
  writer: string;
  blocks?: Block[];
}

export class Dfs {
  private readonly files = new Map<string, DfsFile>();

  constructor(
    /** Lines per block (HDFS cuts by bytes, 128 MB by default; lines keep the story readable). */
    readonly blockLines: number,
    /** The workers that store replicas, and how many replicas each block gets. */
    readonly datanodes: readonly string[],
    readonly replication = 3,
  ) {}

  exists(path: string): boolean {
    return this.files.has(path);
  }

  /** Write a whole file at once (input data loaded into the cluster), replacing any old one. */
  put(path: string, lines: readonly string[], writer = ""): void {
    this.files.set(path, { lines: [...lines], writer });
  }

  /** Append lines (creating the file if need be). */
  append(path: string, lines: readonly string[], writer: string): void {
    const file = this.files.get(path);
    if (file === undefined) this.files.set(path, { lines: [...lines], writer });
    else {
      for (const line of lines) file.lines.push(line);
      file.blocks = undefined;
    }
  }

  /** Atomic rename: false, and nothing changes, when `to` exists or `from` does not. */
  rename(from: string, to: string): boolean {
    const file = this.files.get(from);
    if (file === undefined || this.files.has(to)) return false;
    this.files.delete(from);
    this.files.set(to, file);
    return true;
  }

  delete(path: string): void {
    this.files.delete(path);
  }

  /** Delete every file under a folder. */
  deleteFolder(folder: string): void {
    for (const path of this.list(folder)) this.files.delete(path);
  }

  /** Paths under a folder (or the path itself if it is a file), sorted. */
  list(folder: string): string[] {
    if (this.files.has(folder)) return [folder];
    const prefix = folder.endsWith("/") ? folder : `${folder}/`;
    return [...this.files.keys()].filter((p) => p.startsWith(prefix)).sort();
  }

  /** A job's input: a file, or the `part-*` files directly in a folder (a previous job's output). */
  inputFiles(path: string): string[] {
    if (this.files.has(path)) return [path];
    const prefix = path.endsWith("/") ? path : `${path}/`;
    return this.list(path).filter((p) => {
      const rest = p.slice(prefix.length);
      return !rest.includes("/") && rest.startsWith("part-");
    });
  }

  read(path: string): readonly string[] {
    return this.files.get(path)?.lines ?? [];
  }

  /**
   * The blocks of a file. Replicas are placed when first asked: the first on the writer (if it is
   * a datanode), as HDFS places it, the others on the next datanodes round the list (HDFS puts
   * them on another rack; there are no racks here).
   */
  blocks(path: string): readonly Block[] {
    const file = this.files.get(path);
    if (file === undefined) return [];
    if (file.blocks !== undefined) return file.blocks;
    const blocks: Block[] = [];
    const count = Math.max(1, Math.ceil(file.lines.length / this.blockLines));
    const nodes = this.datanodes;
    const copies = Math.min(this.replication, nodes.length);
    const writerAt = nodes.indexOf(file.writer);
    for (let index = 0; index < count; index++) {
      const first = writerAt >= 0 ? writerAt : index % nodes.length;
      const replicas = Array.from(
        { length: copies },
        (_, i) => nodes[(first + i) % nodes.length] as string,
      );
      blocks.push({
        index,
        lines: file.lines.slice(index * this.blockLines, (index + 1) * this.blockLines),
        replicas,
      });
    }
    file.blocks = blocks;
    return blocks;
  }

  /** Every file's content as one string, for comparing two runs byte for byte. */
  concat(paths: readonly string[]): string {
    return paths.map((p) => `${this.read(p).join("\n")}\n`).join("");
  }
}
