import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Embedder } from './embedder.js';
import { assertModelFolder } from './model-folder.js';
import { fnv1a, tokenize } from './text-features.js';

/** config.json of a word-vector embedder folder, as written by training/build_embedder.py. */
interface WordVectorConfig {
  readonly vocab_size: number;
  readonly word_dimensions: number;
  readonly lexical_dimensions: number;
  readonly dimensions: number;
  readonly alpha: number;
  readonly unknown_word_weight: number;
  readonly digit_boost: number;
  readonly lexical_feature_prefix: string;
  readonly common_component: readonly number[];
  readonly files: { vocab: string; vectors: string; scales: string; weights: string; lexical_weights: string };
}

const HAS_DIGIT = /\p{N}/u;

/**
 * Sentence embedder over compacted GloVe word vectors (see models/embedder/MODEL_CARD.md).
 * The vector joins a semantic channel (SIF-weighted word-vector mean without the corpus common
 * component) and a lexical channel (signed feature hashing of rare words), each L2-normalised, so
 * cosine = alpha·cos(semantic) + (1−alpha)·cos(lexical): paraphrases stay close while a changed name
 * or number pulls two prompts apart.
 */
export class WordVectorEmbedder implements Embedder {
  readonly dimensions: number;

  private constructor(
    private readonly config: WordVectorConfig,
    private readonly index: ReadonlyMap<string, number>,
    private readonly vectors: Int8Array,
    private readonly scales: Float32Array,
    private readonly weights: Float32Array,
    private readonly lexicalWeights: Float32Array,
    private readonly common: Float32Array,
  ) {
    this.dimensions = config.dimensions;
  }

  /** Loads a model folder; throws naming the folder and file when one is missing. */
  static async load(dir: string): Promise<WordVectorEmbedder> {
    assertModelFolder(dir, 'word-vector-embedder');
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as WordVectorConfig;
    const { files } = config;
    const [vocabText, vectorBytes, scaleBytes, weightBytes, lexicalBytes] = await Promise.all([
      readFile(join(dir, files.vocab), 'utf8'),
      readFile(join(dir, files.vectors)),
      readFile(join(dir, files.scales)),
      readFile(join(dir, files.weights)),
      readFile(join(dir, files.lexical_weights)),
    ]);
    const words = vocabText.split('\n', config.vocab_size);
    const index = new Map<string, number>();
    words.forEach((w, i) => index.set(w, i));
    const n = config.vocab_size;
    const vectors = new Int8Array(vectorBytes.buffer, vectorBytes.byteOffset, vectorBytes.byteLength);
    if (words.length !== n || vectors.length !== n * config.word_dimensions) {
      throw new Error(`model folder ${dir}: vocabulary and vectors disagree with config.json vocab_size ${n}`);
    }
    return new WordVectorEmbedder(
      config,
      index,
      vectors,
      float32s(scaleBytes, n, join(dir, files.scales)),
      float32s(weightBytes, n, join(dir, files.weights)),
      float32s(lexicalBytes, n, join(dir, files.lexical_weights)),
      Float32Array.from(config.common_component),
    );
  }

  /** Embeds each text; a text without words yields the zero vector. */
  embed(texts: readonly string[]): Promise<Float32Array[]> {
    return Promise.resolve(texts.map((t) => this.embedOne(t)));
  }

  /** Synchronous form of `embed` for one text (the work is pure CPU, tens of microseconds). */
  embedOne(text: string): Float32Array {
    const { word_dimensions: wd, lexical_dimensions: ld, alpha } = this.config;
    const tokens = tokenize(text);
    const semantic = new Float64Array(wd);
    const lexical = new Float64Array(ld);
    for (const token of tokens) {
      const row = this.index.get(token);
      let lexicalWeight = this.config.unknown_word_weight;
      if (row !== undefined) {
        const w = this.weights[row]! * this.scales[row]!;
        const base = row * wd;
        for (let j = 0; j < wd; j++) semantic[j]! += w * this.vectors[base + j]!;
        lexicalWeight = this.lexicalWeights[row]!;
      }
      if (HAS_DIGIT.test(token)) lexicalWeight = Math.max(lexicalWeight, 1) * this.config.digit_boost;
      const hash = fnv1a(this.config.lexical_feature_prefix + token);
      lexical[hash % ld]! += hash & 0x80000000 ? -lexicalWeight : lexicalWeight;
    }
    let projection = 0;
    for (let j = 0; j < wd; j++) projection += semantic[j]! * this.common[j]!;
    for (let j = 0; j < wd; j++) semantic[j]! -= projection * this.common[j]!;

    const out = new Float32Array(this.dimensions);
    writeScaled(out, 0, semantic, Math.sqrt(alpha));
    writeScaled(out, wd, lexical, Math.sqrt(1 - alpha));
    normalizeInPlace(out);
    return out;
  }
}

function float32s(bytes: Buffer, expected: number, path: string): Float32Array {
  if (bytes.byteLength !== expected * 4) throw new Error(`${path}: expected ${expected} float32 values`);
  // Copy: a Buffer's offset into the shared pool need not be 4-byte aligned.
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Writes `part` normalised to length `share` into `out` at `offset` (nothing for a zero part). */
function writeScaled(out: Float32Array, offset: number, part: Float64Array, share: number): void {
  let norm = 0;
  for (const v of part) norm += v * v;
  if (norm === 0) return;
  const scale = share / Math.sqrt(norm);
  for (let j = 0; j < part.length; j++) out[offset + j] = part[j]! * scale;
}

function normalizeInPlace(v: Float32Array): void {
  let norm = 0;
  for (const x of v) norm += x * x;
  if (norm === 0) return;
  const inv = 1 / Math.sqrt(norm);
  for (let j = 0; j < v.length; j++) v[j]! *= inv;
}
