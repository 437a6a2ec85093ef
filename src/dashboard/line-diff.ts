/** One line of a diff: kept, removed from the old text, or added in the new one. */
export interface DiffLine {
  readonly op: ' ' | '-' | '+';
  readonly text: string;
  /** 1-based line in the new text (kept and added lines) or the old one (removed lines). */
  readonly line: number;
}

/** Largest texts (in lines) diffed line by line; beyond it the whole text is shown as replaced. */
const MAX_DIFF_LINES = 4000;

/**
 * A line diff of two texts (longest common subsequence), for the config page's "what will
 * change" view. Common head and tail lines are matched first so an edit of a long config
 * costs little; the table stays within {@link MAX_DIFF_LINES} squared cells.
 */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const oldMiddle = a.slice(head, a.length - tail);
  const newMiddle = b.slice(head, b.length - tail);
  const out: DiffLine[] = a.slice(0, head).map((text, i) => ({ op: ' ', text, line: i + 1 }));
  if (oldMiddle.length > MAX_DIFF_LINES || newMiddle.length > MAX_DIFF_LINES) {
    out.push(...oldMiddle.map((text, i) => ({ op: '-' as const, text, line: head + i + 1 })));
    out.push(...newMiddle.map((text, i) => ({ op: '+' as const, text, line: head + i + 1 })));
  } else {
    const n = oldMiddle.length;
    const m = newMiddle.length;
    const common = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        common[i]![j] = oldMiddle[i] === newMiddle[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && oldMiddle[i] === newMiddle[j]) {
        out.push({ op: ' ', text: newMiddle[j]!, line: head + j + 1 });
        i++;
        j++;
      } else if (i < n && (j === m || common[i + 1]![j]! >= common[i]![j + 1]!)) {
        out.push({ op: '-', text: oldMiddle[i]!, line: head + i + 1 });
        i++;
      } else {
        out.push({ op: '+', text: newMiddle[j]!, line: head + j + 1 });
        j++;
      }
    }
  }
  out.push(...b.slice(b.length - tail).map((text, i) => ({ op: ' ' as const, text, line: b.length - tail + i + 1 })));
  return out;
}
