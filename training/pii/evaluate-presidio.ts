/**
 * Precision and recall of the PII detector per entity type on ../shared/data/presidio-pii.
 *   npx tsx training/pii/evaluate-presidio.ts [threshold]
 * Reported for the held-out templates (never trained on, see presidio-data.ts), the training
 * templates and all rows, at the signal's default threshold unless one is given. A prediction is
 * a true positive when it overlaps a gold span of the same type. Types the detector does not
 * support are ignored; URL predictions are scored against the data's DOMAIN_NAME spans.
 */
import { DEFAULT_PII_THRESHOLD } from '../../src/signals/pii.js';
import { detectPii, PII_TYPES } from '../../src/signals/pii/pii-detector.js';
import { heldOutTemplates, loadPresidioRows, type PresidioRow } from './presidio-data.js';

interface Span {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

const GOLD_ALIAS: Readonly<Record<string, string>> = { DOMAIN_NAME: 'URL' };
const overlaps = (a: Span, b: Span) => a.type === b.type && a.start < b.end && b.start < a.end;

/** Per-type precision, recall and counts over some rows. */
export function scorePresidio(rows: readonly PresidioRow[], threshold: number): Record<string, unknown> {
  // Precision counts predictions and recall counts gold spans, so one prediction covering two gold parts is not double-counted.
  const counts = new Map(PII_TYPES.map((t) => [t, { tp: 0, fp: 0, found: 0, fn: 0 }]));
  for (const row of rows) {
    const gold = row.spans.map((s) => ({ type: GOLD_ALIAS[s.entity_type] ?? s.entity_type, start: s.start_position, end: s.end_position })).filter((s) => counts.has(s.type));
    const predicted = detectPii(row.full_text, threshold);
    for (const p of predicted) counts.get(p.type)![gold.some((g) => overlaps(g, p)) ? 'tp' : 'fp']++;
    for (const g of gold) counts.get(g.type)![predicted.some((p) => overlaps(g, p)) ? 'found' : 'fn']++;
  }
  const ratio = (n: number, d: number) => (d === 0 ? null : +(n / d).toFixed(3));
  return Object.fromEntries(
    [...counts].map(([type, c]) => [type, { precision: ratio(c.tp, c.tp + c.fp), recall: ratio(c.found, c.found + c.fn), gold: c.found + c.fn, predicted: c.tp + c.fp }]),
  );
}

const threshold = process.argv[2] === undefined ? DEFAULT_PII_THRESHOLD : Number(process.argv[2]);
const rows = loadPresidioRows();
const heldOut = heldOutTemplates(rows);
const heldOutRows = rows.filter((r) => heldOut.has(r.template_id));
console.log(
  JSON.stringify(
    {
      threshold,
      heldOutTemplates: { templates: heldOut.size, rows: heldOutRows.length, byType: scorePresidio(heldOutRows, threshold) },
      trainingTemplates: { rows: rows.length - heldOutRows.length, byType: scorePresidio(rows.filter((r) => !heldOut.has(r.template_id)), threshold) },
      allRows: { rows: rows.length, byType: scorePresidio(rows, threshold) },
    },
    null,
    1,
  ),
);
