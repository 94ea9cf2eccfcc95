/**
 * Functional dependencies and normal forms, as database textbooks define them (Codd's 1NF-3NF,
 * Boyce-Codd normal form). DDIA gives the reason ("Removing such duplication is the key idea
 * behind normalization", ch. 2); this file gives the algorithms:
 *
 * - closure of a set of attributes under FDs, candidate keys, prime attributes;
 * - the FDs that hold on a projection (exhaustive over subsets: fine for the handful of
 *   attributes a teaching example has, exponential in general);
 * - which FDs break 2NF, 3NF or BCNF in a relation;
 * - the chase test for a lossless join, and the test for dependency preservation.
 *
 * Attribute sets are sorted string arrays, so they print and compare simply.
 */

export type Attrs = readonly string[];

export interface Dependency {
  lhs: Attrs;
  rhs: Attrs;
}

export const fd = (lhs: string, rhs: string): Dependency => ({
  lhs: lhs
    .split(",")
    .map((a) => a.trim())
    .sort(),
  rhs: rhs
    .split(",")
    .map((a) => a.trim())
    .sort(),
});

export function show(dependency: Dependency): string {
  return `${dependency.lhs.join(", ")} → ${dependency.rhs.join(", ")}`;
}

const sorted = (attrs: Iterable<string>) => [...new Set(attrs)].sort();
const subsetOf = (a: Attrs, b: Attrs) => a.every((x) => b.includes(x));

/** Every attribute that `attrs` determines under `fds`. */
export function closure(attrs: Attrs, fds: readonly Dependency[]): string[] {
  const result = new Set(attrs);
  let grew = true;
  while (grew) {
    grew = false;
    for (const { lhs, rhs } of fds) {
      if (lhs.every((a) => result.has(a)) && rhs.some((a) => !result.has(a))) {
        for (const a of rhs) result.add(a);
        grew = true;
      }
    }
  }
  return sorted(result);
}

export function isSuperkey(attrs: Attrs, relation: Attrs, fds: readonly Dependency[]): boolean {
  return subsetOf(relation, closure(attrs, fds));
}

/** All subsets of `attrs`, smallest first. */
function subsets(attrs: Attrs): string[][] {
  const out: string[][] = [];
  for (let mask = 0; mask < 1 << attrs.length; mask++) {
    out.push(attrs.filter((_, i) => mask & (1 << i)));
  }
  return out.sort((a, b) => a.length - b.length || a.join().localeCompare(b.join()));
}

/** The minimal superkeys of the relation. */
export function candidateKeys(relation: Attrs, fds: readonly Dependency[]): string[][] {
  const keys: string[][] = [];
  for (const candidate of subsets(sorted(relation))) {
    if (keys.some((k) => subsetOf(k, candidate))) continue;
    if (isSuperkey(candidate, relation, fds)) keys.push(candidate);
  }
  return keys;
}

/**
 * The non-trivial FDs with a single attribute on the right that hold on a projection of the
 * relation: for each subset X of `attrs`, X → A for every A in closure(X) ∩ attrs outside X.
 * Only minimal left sides are kept.
 */
export function project(fds: readonly Dependency[], attrs: Attrs): Dependency[] {
  const out: Dependency[] = [];
  for (const lhs of subsets(sorted(attrs))) {
    if (lhs.length === 0) continue;
    for (const a of closure(lhs, fds)) {
      if (!attrs.includes(a) || lhs.includes(a)) continue;
      if (out.some((d) => d.rhs[0] === a && subsetOf(d.lhs, lhs))) continue;
      out.push({ lhs, rhs: [a] });
    }
  }
  return out;
}

export interface Violation {
  form: "2NF" | "3NF" | "BCNF";
  dependency: Dependency;
  why: string;
}

/**
 * The dependencies of `relation` (projected from `fds`) that break each normal form:
 * - 2NF: a non-prime attribute depends on part of a candidate key (a partial dependency);
 * - 3NF: a non-prime attribute depends on something that is not a superkey (transitively);
 * - BCNF: any non-trivial dependency whose left side is not a superkey.
 * A dependency that breaks 2NF also breaks 3NF and BCNF; each is listed under the lowest form
 * it breaks.
 */
export function violations(relation: Attrs, fds: readonly Dependency[]): Violation[] {
  const keys = candidateKeys(relation, fds);
  const prime = new Set(keys.flat());
  const out: Violation[] = [];
  for (const dependency of project(fds, relation)) {
    const a = dependency.rhs[0] as string;
    if (isSuperkey(dependency.lhs, relation, fds)) continue;
    const partOfKey = keys.some(
      (k) => k.length > dependency.lhs.length && subsetOf(dependency.lhs, k),
    );
    if (!prime.has(a) && partOfKey) {
      out.push({
        form: "2NF",
        dependency,
        why: `${a} depends on part of the key (${keys.find((k) => subsetOf(dependency.lhs, k))?.join(", ")})`,
      });
    } else if (!prime.has(a)) {
      out.push({
        form: "3NF",
        dependency,
        why: `${a} depends on ${dependency.lhs.join(", ")}, which is not a key: a transitive dependency`,
      });
    } else {
      out.push({
        form: "BCNF",
        dependency,
        why: `${dependency.lhs.join(", ")} is not a superkey, though ${a} is part of a key`,
      });
    }
  }
  return out;
}

/** The highest normal form (of 1NF, 2NF, 3NF, BCNF) the relation is in; it is assumed to be in 1NF. */
export function normalForm(
  relation: Attrs,
  fds: readonly Dependency[],
): "1NF" | "2NF" | "3NF" | "BCNF" {
  const found = new Set(violations(relation, fds).map((v) => v.form));
  if (found.has("2NF")) return "1NF";
  if (found.has("3NF")) return "2NF";
  if (found.has("BCNF")) return "3NF";
  return "BCNF";
}

/**
 * The chase: is the decomposition of `relation` into `parts` lossless under `fds`? Build a
 * tableau with one row per part, distinguished symbols where the part has the attribute; apply
 * the FDs until nothing changes; lossless exactly when some row becomes all distinguished.
 */
export function isLossless(
  relation: Attrs,
  parts: readonly Attrs[],
  fds: readonly Dependency[],
): boolean {
  const columns = sorted(relation);
  // A cell is "a" (distinguished) or "b<row>" (a unique unknown).
  const rows = parts.map((part, r) => columns.map((c) => (part.includes(c) ? "a" : `b${r}_${c}`)));
  let changed = true;
  while (changed) {
    changed = false;
    for (const { lhs, rhs } of fds) {
      const lhsIndexes = lhs.map((a) => columns.indexOf(a));
      if (lhsIndexes.some((i) => i < 0)) continue;
      for (let i = 0; i < rows.length; i++) {
        for (let j = i + 1; j < rows.length; j++) {
          const ri = rows[i] as string[];
          const rj = rows[j] as string[];
          if (!lhsIndexes.every((k) => ri[k] === rj[k])) continue;
          for (const a of rhs) {
            const k = columns.indexOf(a);
            if (k < 0 || ri[k] === rj[k]) continue;
            // Equate the two symbols everywhere, preferring the distinguished one.
            const keep = ri[k] === "a" || rj[k] === "a" ? "a" : (ri[k] as string);
            const drop = keep === ri[k] ? (rj[k] as string) : (ri[k] as string);
            for (const row of rows) if (row[k] === drop) row[k] = keep;
            changed = true;
          }
        }
      }
    }
  }
  return rows.some((row) => row.every((cell) => cell === "a"));
}

/**
 * The dependencies that no longer follow from the FDs holding within the parts: enforcing each
 * part's own keys cannot prevent a violation of these.
 */
export function lostDependencies(
  parts: readonly Attrs[],
  fds: readonly Dependency[],
): Dependency[] {
  return fds.filter(({ lhs, rhs }) => {
    // Standard test: grow Z from lhs using only what each part can infer from its own attributes.
    let z = sorted(lhs);
    let grew = true;
    while (grew) {
      grew = false;
      for (const part of parts) {
        const inPart = z.filter((a) => part.includes(a));
        const gained = closure(inPart, fds).filter((a) => part.includes(a) && !z.includes(a));
        if (gained.length > 0) {
          z = sorted([...z, ...gained]);
          grew = true;
        }
      }
    }
    return !subsetOf(rhs, z);
  });
}
