/**
 * Delta debugging (Zeller & Hildebrandt, "Simplifying and Isolating Failure-Inducing Input", 2002):
 * the ddmin algorithm finds a 1-minimal subset of `items` for which `fails` still holds, trying each of
 * n chunks, then the complement of each, and doubling n when none fails. `budget` bounds
 * the number of `fails` calls; when it runs out, the smallest failing subset found so far is returned.
 */
export interface DdminBudget {
  /** Calls of `fails` still allowed; decremented as they are made. */
  tests: number;
}

export function ddmin<T>(items: readonly T[], fails: (subset: readonly T[]) => boolean, budget: DdminBudget): T[] {
  let current = [...items];
  let chunks = 2;
  const test = (subset: readonly T[]): boolean => {
    if (budget.tests <= 0) return false;
    budget.tests--;
    return fails(subset);
  };
  if (current.length > 0 && test([])) return [];
  while (current.length >= 2 && budget.tests > 0) {
    const size = Math.ceil(current.length / chunks);
    const parts: T[][] = [];
    for (let start = 0; start < current.length; start += size) parts.push(current.slice(start, start + size));
    let reduced = false;
    for (const part of parts) {
      if (!test(part)) continue;
      current = part;
      chunks = 2;
      reduced = true;
      break;
    }
    for (let index = 0; !reduced && parts.length > 2 && index < parts.length; index++) {
      const complement = parts.filter((_, other) => other !== index).flat();
      if (!test(complement)) continue;
      current = complement;
      chunks = Math.max(chunks - 1, 2);
      reduced = true;
    }
    if (reduced) continue;
    if (chunks >= current.length) break;
    chunks = Math.min(chunks * 2, current.length);
  }
  return current;
}
