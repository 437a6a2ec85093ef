/**
 * Precision and recall of the PII detector per entity type on ../shared/data/presidio-pii.
 *   npx tsx training/pii/evaluate-presidio.ts [path/to/synth_dataset_v2.json]
 * A prediction is a true positive when it overlaps a gold span of the same type. Types the
 * detector does not support are ignored; predictions of a type the data never labels (URL) are
 * scored against the data's DOMAIN_NAME spans.
 */
import { readFileSync } from 'node:fs';
import { detectPii, PII_TYPES } from '../../src/signals/pii/pii-detector.js';

interface Row {
  readonly full_text: string;
  readonly spans: readonly { readonly entity_type: string; readonly start_position: number; readonly end_position: number }[];
}

const GOLD_ALIAS: Readonly<Record<string, string>> = { DOMAIN_NAME: 'URL' };
const path = process.argv[2] ?? new URL('../../../shared/data/presidio-pii/synth_dataset_v2.json', import.meta.url).pathname;
const rows = JSON.parse(readFileSync(path, 'utf8')) as Row[];
const counts = new Map(PII_TYPES.map((t) => [t, { tp: 0, fp: 0, fn: 0 }]));
for (const row of rows) {
  const gold = row.spans.map((s) => ({ type: GOLD_ALIAS[s.entity_type] ?? s.entity_type, start: s.start_position, end: s.end_position })).filter((s) => counts.has(s.type));
  const predicted = detectPii(row.full_text);
  const overlaps = (a: { type: string; start: number; end: number }, b: { type: string; start: number; end: number }) => a.type === b.type && a.start < b.end && b.start < a.end;
  for (const p of predicted) counts.get(p.type)![predicted.length && gold.some((g) => overlaps(g, p)) ? 'tp' : 'fp']++;
  for (const g of gold) if (!predicted.some((p) => overlaps(g, p))) counts.get(g.type)!.fn++;
}
const report: Record<string, unknown> = {};
for (const [type, c] of counts) {
  report[type] = {
    precision: c.tp + c.fp === 0 ? null : +(c.tp / (c.tp + c.fp)).toFixed(4),
    recall: c.tp + c.fn === 0 ? null : +(c.tp / (c.tp + c.fn)).toFixed(4),
    gold: c.tp + c.fn,
    predicted: c.tp + c.fp,
  };
}
console.log(JSON.stringify({ rows: rows.length, byType: report }, null, 1));
