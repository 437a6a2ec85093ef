import { BUNDLED_EMBEDDER_DIR, BUNDLED_ENCODER_DIR } from '../classifiers/bundled-models.js';

/** A bundled embedder a trained selector can read its prompt vector from. */
export interface SelectorEmbedder {
  readonly dir: string;
  readonly description: string;
}

/**
 * The embedders by the name a selector file records (`embedder`; files without one read the word
 * vectors). Both are leased through the model cache, so a request text the signals already embedded
 * with the same model is not embedded again.
 */
export const SELECTOR_EMBEDDERS: Readonly<Record<string, SelectorEmbedder>> = {
  embedder: { dir: BUNDLED_EMBEDDER_DIR, description: 'the bundled word-vector embedder (models/embedder)' },
  'use-lite': { dir: BUNDLED_ENCODER_DIR, description: 'the Universal Sentence Encoder Lite (models/use-lite), the vector the domain signal reads' },
};

/** The embedder a selector file names; the word-vector embedder for files written before the field. */
export function selectorEmbedder(name: string | undefined): SelectorEmbedder {
  const embedder = SELECTOR_EMBEDDERS[name ?? 'embedder'];
  if (embedder === undefined) throw new Error(`unknown selector embedder "${name}" (known: ${Object.keys(SELECTOR_EMBEDDERS).join(', ')})`);
  return embedder;
}

const NUMBER = /\d+(?:[.,]\d+)*/g;
const DECIMAL = /\d\.\d/g;
const SENTENCE_END = /[.?!](?:\s|$)/g;
const RATE_WORDS = /\b(?:each|per|every|times|twice|thrice|double|triple)\b/gi;
const FRACTION_WORDS = /\b(?:half|third|quarter|fifth|fraction)\b|\d\/\d/gi;
const PERCENT = /%|\bpercent/gi;

/** How many shape features follow the embedding. */
const SHAPE_FEATURES = 10;
/** Shape features are few against hundreds of embedding values; this weight keeps them heard by distance- and margin-based learners. */
const SHAPE_WEIGHT = 3;

/** Length of the feature vector for an embedding of `dimensions`. */
export function featureLength(dimensions: number): number {
  return dimensions + SHAPE_FEATURES;
}

function count(text: string, pattern: RegExp): number {
  let n = 0;
  for (const _ of text.matchAll(pattern)) n += 1;
  return n;
}

/**
 * The features trained selectors read: the prompt's embedding (shared with the signals) and shape
 * features the normalised embedding cannot carry, which say much about how hard a problem is
 * (how long, how many numbers and how large, rates, fractions, percentages, decimals, sentences).
 * Each is log-scaled and divided to stay near 0..1 like the embedding's values. Written into
 * `into` when given (a selector's own buffer, so routing allocates no feature vector).
 */
export function selectorFeatures(embedding: Float32Array, text: string, into: Float32Array = new Float32Array(featureLength(embedding.length))): Float32Array {
  into.set(embedding);
  let numbers = 0;
  let large = 0;
  let largest = 0;
  const distinct = new Set<number>();
  for (const match of text.matchAll(NUMBER)) {
    const value = Number(match[0].replaceAll(',', ''));
    numbers += 1;
    distinct.add(value);
    if (value >= 100) large += 1;
    if (Number.isFinite(value)) largest = Math.max(largest, value);
  }
  const at = embedding.length;
  into[at] = (Math.log1p(text.length) / 8) * SHAPE_WEIGHT;
  into[at + 1] = (Math.log1p(numbers) / 3) * SHAPE_WEIGHT;
  into[at + 2] = (Math.log1p(distinct.size) / 3) * SHAPE_WEIGHT;
  into[at + 3] = (Math.log1p(largest) / 10) * SHAPE_WEIGHT;
  into[at + 4] = (large / 5) * SHAPE_WEIGHT;
  into[at + 5] = (Math.log1p(count(text, SENTENCE_END)) / 3) * SHAPE_WEIGHT;
  into[at + 6] = (Math.min(count(text, PERCENT), 3) / 3) * SHAPE_WEIGHT;
  into[at + 7] = (Math.min(count(text, FRACTION_WORDS), 3) / 3) * SHAPE_WEIGHT;
  into[at + 8] = (Math.min(count(text, DECIMAL), 3) / 3) * SHAPE_WEIGHT;
  into[at + 9] = (Math.min(count(text, RATE_WORDS), 5) / 5) * SHAPE_WEIGHT;
  return into;
}
