/** A line-based unified diff (LCS), enough for the short lists the conformance runner compares. */

type Op = { kind: ' ' | '-' | '+'; line: string; oldIndex: number; newIndex: number };

function operations(before: readonly string[], after: readonly string[]): Op[] {
  const n = before.length;
  const m = after.length;
  // lcs[i][j]: length of the longest common subsequence of before[i..] and after[j..].
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = before[i] === after[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      ops.push({ kind: ' ', line: before[i]!, oldIndex: i++, newIndex: j++ });
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ kind: '-', line: before[i]!, oldIndex: i++, newIndex: j });
    } else {
      ops.push({ kind: '+', line: after[j]!, oldIndex: i, newIndex: j++ });
    }
  }
  return ops;
}

/** The unified diff of two line lists, or '' when they are equal. */
export function unifiedDiff(before: readonly string[], after: readonly string[], beforeName: string, afterName: string, context = 3): string {
  const ops = operations(before, after);
  if (ops.every((op) => op.kind === ' ')) return '';
  const out = [`--- ${beforeName}`, `+++ ${afterName}`];
  let index = 0;
  while (index < ops.length) {
    if (ops[index]!.kind === ' ') {
      index++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change that
    // is at most 2 * context unchanged lines away.
    const start = Math.max(0, index - context);
    let end = index;
    for (let scan = index; scan < ops.length; scan++) {
      if (ops[scan]!.kind !== ' ') end = scan;
      else if (scan - end > 2 * context) break;
    }
    const stop = Math.min(ops.length, end + context + 1);
    const hunk = ops.slice(start, stop);
    const oldCount = hunk.filter((op) => op.kind !== '+').length;
    const newCount = hunk.filter((op) => op.kind !== '-').length;
    const first = hunk[0]!;
    const oldStart = oldCount === 0 ? first.oldIndex : first.oldIndex + 1;
    const newStart = newCount === 0 ? first.newIndex : first.newIndex + 1;
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const op of hunk) out.push(`${op.kind}${op.line}`);
    index = stop;
  }
  return out.join('\n');
}
