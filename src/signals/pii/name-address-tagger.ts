import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUNDLED_PII_DIR } from '../../classifiers/bundled-models.js';
import { SequenceTagger, type TaggedSpan, type TaggerWeights } from './sequence-tagger.js';
import { parseWordClusters } from './tagger-features.js';

/** Tag name in the model → Presidio entity type. */
const ENTITY_TYPES: Readonly<Record<string, string>> = { PER: 'PERSON', ADDR: 'STREET_ADDRESS' };

function modelFile(name: string): string {
  return path.join(BUNDLED_PII_DIR, name);
}

let tagger: SequenceTagger | undefined;
let last: { text: string; spans: TaggedSpan[] } | undefined;

/**
 * Loads the bundled tagger once per process. Config compilation calls it (through the PII
 * signal and plug-in), so the synchronous file read never lands on a request.
 */
export function loadNameAddressTagger(): SequenceTagger {
  tagger ??= new SequenceTagger(JSON.parse(readFileSync(modelFile('tagger.json'), 'utf8')) as TaggerWeights, parseWordClusters(readFileSync(modelFile('word-clusters.txt'), 'utf8')));
  return tagger;
}

/**
 * PERSON and STREET_ADDRESS spans of a text from the bundled tagger. The last text's result is
 * kept, because both recognizers ask about the same text in turn.
 */
export function nameAndAddressSpans(text: string): readonly TaggedSpan[] {
  if (last?.text === text) return last.spans;
  const spans = loadNameAddressTagger().tag(text).map((s) => ({ ...s, type: ENTITY_TYPES[s.type] ?? s.type }));
  last = { text, spans };
  return spans;
}
