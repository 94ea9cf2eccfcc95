/**
 * Consumer groups (DDIA ch. 11, "Consumer offsets"; Kafka's group coordinator): the partitions
 * of a topic are shared among the live members of a group, each partition owned by exactly one
 * member; every membership change starts a new generation with a new assignment; members commit
 * the offset they have processed up to, and a new owner resumes from the last commit.
 *
 * Assignors, as Kafka's built-in ones do it for one topic:
 * - range: members sorted by id; each gets a contiguous run of floor(P/C) partitions, and the
 *   first P mod C members one more (RangeAssignor);
 * - round-robin: partitions dealt to the sorted members in turn (RoundRobinAssignor).
 */

export type Assignor = "range" | "roundrobin";

export function assign(
  assignor: Assignor,
  members: readonly string[],
  partitions: number,
): Map<string, number[]> {
  const sorted = [...members].sort();
  const out = new Map<string, number[]>(sorted.map((m) => [m, []]));
  if (sorted.length === 0) return out;
  if (assignor === "range") {
    const per = Math.floor(partitions / sorted.length);
    const extra = partitions % sorted.length;
    sorted.forEach((member, i) => {
      const start = i * per + Math.min(i, extra);
      const count = per + (i < extra ? 1 : 0);
      out.set(
        member,
        Array.from({ length: count }, (_, k) => start + k),
      );
    });
  } else {
    for (let p = 0; p < partitions; p++) out.get(sorted[p % sorted.length] as string)?.push(p);
  }
  return out;
}

export type CommitResult = "ok" | "UNKNOWN_MEMBER_ID" | "ILLEGAL_GENERATION";

export class GroupCoordinator {
  generation = 0;
  private members: string[] = [];
  private assignment = new Map<string, number[]>();
  readonly committed = new Map<number, number>();
  /** Every generation's assignment, for the narration and the ownership check. */
  readonly history: { generation: number; members: string[]; assignment: Map<string, number[]> }[] =
    [];

  constructor(
    readonly partitions: number,
    readonly assignor: Assignor,
  ) {}

  join(member: string): void {
    if (!this.members.includes(member)) this.rebalance([...this.members, member]);
  }

  /** A member leaves the group, cleanly or because its session timed out. */
  leave(member: string): void {
    if (this.members.includes(member)) this.rebalance(this.members.filter((m) => m !== member));
  }

  partitionsOf(member: string): number[] {
    return this.assignment.get(member) ?? [];
  }

  get liveMembers(): readonly string[] {
    return this.members;
  }

  /** Where a new owner starts: the committed offset, or the beginning. */
  position(partition: number): number {
    return this.committed.get(partition) ?? 0;
  }

  /**
   * The classic group protocol's OffsetCommit fencing (Kafka's GroupCoordinator.handleCommitOffsets):
   * a member that is no longer in the group gets UNKNOWN_MEMBER_ID, a member of an older
   * generation ILLEGAL_GENERATION. The coordinator does not check which partitions the member
   * owns: the generation is the fence, since a new assignment always comes with a new generation.
   */
  commit(member: string, generation: number, partition: number, offset: number): CommitResult {
    if (!this.members.includes(member)) return "UNKNOWN_MEMBER_ID";
    if (generation !== this.generation) return "ILLEGAL_GENERATION";
    this.committed.set(partition, offset);
    return "ok";
  }

  private rebalance(members: string[]): void {
    this.generation++;
    this.members = members;
    this.assignment = assign(this.assignor, members, this.partitions);
    this.history.push({
      generation: this.generation,
      members: [...members],
      assignment: new Map(this.assignment),
    });
  }
}

/** Every partition has exactly one owner, and that owner is a live member. */
export function exactlyOneOwner(
  assignment: Map<string, number[]>,
  members: readonly string[],
  partitions: number,
): boolean {
  if (members.length === 0) return true;
  const owners = new Map<number, string[]>();
  for (const [member, owned] of assignment)
    for (const p of owned) owners.set(p, [...(owners.get(p) ?? []), member]);
  for (let p = 0; p < partitions; p++) {
    const list = owners.get(p) ?? [];
    if (list.length !== 1 || !members.includes(list[0] as string)) return false;
  }
  return true;
}
