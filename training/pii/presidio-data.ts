/**
 * The presidio-research synthetic PII sentences (../shared/data/presidio-pii) and their split by
 * template: whole templates are held out, so evaluation never sees a sentence frame the tagger
 * was trained on.
 */
import { readFileSync } from 'node:fs';

/** A labelled span of a row. */
export interface PresidioSpan {
  readonly entity_type: string;
  readonly entity_value: string;
  readonly start_position: number;
  readonly end_position: number;
}

/** One synthetic sentence. */
export interface PresidioRow {
  readonly full_text: string;
  readonly spans: readonly PresidioSpan[];
  readonly template_id: number;
}

/** Default location of the data set, beside the repository. */
export const PRESIDIO_PATH = new URL('../../../shared/data/presidio-pii/synth_dataset_v2.json', import.meta.url).pathname;

/** Reads the data set. */
export function loadPresidioRows(path = PRESIDIO_PATH): PresidioRow[] {
  return JSON.parse(readFileSync(path, 'utf8')) as PresidioRow[];
}

/** Seeded xorshift32 in [0, 1): training and splitting are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
}

/** Template ids held out from training: a seeded 20% of the distinct templates. */
export function heldOutTemplates(rows: readonly PresidioRow[]): ReadonlySet<number> {
  const ids = [...new Set(rows.map((r) => r.template_id))].sort((a, b) => a - b);
  const random = seededRandom(20240605);
  const keyed = ids.map((id) => ({ id, key: random() }));
  keyed.sort((a, b) => a.key - b.key);
  return new Set(keyed.slice(0, Math.round(ids.length * 0.2)).map((k) => k.id));
}
