/**
 * The ONNX port of Universal Sentence Encoder Lite against the TF.js reference it was ported from:
 * token ids and cosine >= 0.999 on 1,000 texts whose TF.js outputs were stored by
 * training/encoder/build-parity-fixture.ts, and live against TF.js (WASM backend) on a sample.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUNDLED_ENCODER_DIR } from '../../src/classifiers/bundled-models.js';
import { cosineSimilarity } from '../../src/classifiers/embedder.js';
import { UseLiteEmbedder } from '../../src/classifiers/use-lite-embedder.js';
import { embedWithTfjs, tfjsTokenize } from '../helpers/tfjs-use-lite.js';

interface ParityRow {
  readonly text: string;
  readonly ids: readonly number[];
  readonly embedding: string;
}

const FIXTURE = fileURLToPath(new URL('../fixtures/encoder/use-lite-parity.jsonl', import.meta.url));
const rows = readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ParityRow);

/** Float16 little-endian (base64) to float32, L2-normalised again. */
function fromFloat16(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const out = new Float32Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) {
    const h = bytes.readUInt16LE(i * 2);
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    const magnitude = exponent === 0 ? mantissa * 2 ** -24 : (1 + mantissa / 1024) * 2 ** (exponent - 15);
    out[i] = h & 0x8000 ? -magnitude : magnitude;
  }
  return normalised(out);
}

function normalised(v: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
  return Float32Array.from(v, (x) => x / Math.sqrt(norm));
}

let encoder: UseLiteEmbedder;
beforeAll(async () => {
  encoder = await UseLiteEmbedder.load(BUNDLED_ENCODER_DIR);
});

describe('Universal Sentence Encoder Lite port (ONNX) vs TF.js', () => {
  test('the fixture holds 1,000 texts, past the 128-token window included', () => {
    expect(rows).toHaveLength(1000);
    expect(rows.filter((r) => r.ids.length > 128).length).toBeGreaterThan(50);
  });

  test('token ids equal the reference tokenizer on every fixture text (first 128 tokens)', () => {
    const mismatches = rows.filter((r) => JSON.stringify(encoder.tokenIds(r.text)) !== JSON.stringify(r.ids.slice(0, 128)));
    expect(mismatches.map((r) => r.text.slice(0, 60))).toEqual([]);
  });

  test('cosine >= 0.999 with the stored TF.js embedding on every fixture text', async () => {
    const cosines: number[] = [];
    for (let i = 0; i < rows.length; i += 100) {
      const part = rows.slice(i, i + 100);
      const vectors = await encoder.embed(part.map((r) => r.text));
      part.forEach((r, k) => cosines.push(cosineSimilarity(fromFloat16(r.embedding), vectors[k]!)));
    }
    expect(Math.min(...cosines)).toBeGreaterThanOrEqual(0.999);
  }, 120_000);

  test('live: TF.js and the port agree on a sample and on texts outside the fixture', async () => {
    const texts = [
      ...rows.filter((_, i) => i % 25 === 0).map((r) => r.text),
      'Who is the author of Pride and Prejudice?',
      'Convert 5 miles to km, then back again',
      'Ceci n’est pas une pipe — 東京 2026 🚀',
    ];
    const [reference, ids, vectors] = await Promise.all([embedWithTfjs(texts), tfjsTokenize(texts), encoder.embed(texts)]);
    texts.forEach((text, i) => {
      expect(encoder.tokenIds(text)).toEqual(ids[i]!.slice(0, 128));
      expect(cosineSimilarity(normalised(reference.embeddings[i]!), vectors[i]!)).toBeGreaterThanOrEqual(0.999);
    });
  }, 120_000);
});
