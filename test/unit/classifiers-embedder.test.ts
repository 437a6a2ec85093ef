import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUNDLED_EMBEDDER_DIR } from '../../src/classifiers/bundled-models.js';
import { cosineSimilarity } from '../../src/classifiers/embedder.js';
import { WordVectorEmbedder } from '../../src/classifiers/word-vector-embedder.js';

interface Pair {
  a: string;
  b: string;
  label: 'paraphrase' | 'near_miss' | 'unrelated';
}

const pairsPath = fileURLToPath(new URL('../../training/data/embedder-pairs.jsonl', import.meta.url));
const pairs = readFileSync(pairsPath, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Pair);

describe('bundled word-vector embedder', () => {
  let embedder: WordVectorEmbedder;
  beforeAll(async () => {
    embedder = await WordVectorEmbedder.load(BUNDLED_EMBEDDER_DIR);
  });

  async function similarity(a: string, b: string): Promise<number> {
    const [va, vb] = await embedder.embed([a, b]);
    return cosineSimilarity(va!, vb!);
  }

  it('returns unit vectors of the advertised size', async () => {
    const [v] = await embedder.embed(['What is the capital of France?']);
    expect(v).toHaveLength(embedder.dimensions);
    expect(cosineSimilarity(v!, v!)).toBeCloseTo(1, 5);
  });

  it('keeps a paraphrase closer than a near-miss that changes the entity', async () => {
    const paraphrase = await similarity('capital of France', 'capital city of France');
    const nearMiss = await similarity('capital of France', 'capital of Germany');
    expect(paraphrase).toBeGreaterThan(0.85);
    expect(nearMiss).toBeLessThan(0.75);
    expect(paraphrase - nearMiss).toBeGreaterThan(0.15);
  });

  it('pushes apart prompts that differ only in a number', async () => {
    const same = await similarity('Convert 100 degrees Fahrenheit to Celsius.', 'What is 100 Fahrenheit in Celsius?');
    const other = await similarity('Convert 100 degrees Fahrenheit to Celsius.', 'Convert 35 degrees Fahrenheit to Celsius.');
    expect(same).toBeGreaterThan(other);
  });

  it('separates the dev set: paraphrases above near-misses above unrelated pairs on average', async () => {
    const means = new Map<string, number>();
    for (const label of ['paraphrase', 'near_miss', 'unrelated'] as const) {
      const rows = pairs.filter((p) => p.label === label);
      const sims = await Promise.all(rows.map((p) => similarity(p.a, p.b)));
      means.set(label, sims.reduce((s, x) => s + x, 0) / sims.length);
    }
    expect(pairs.length).toBeGreaterThanOrEqual(100);
    expect(means.get('paraphrase')!).toBeGreaterThan(means.get('near_miss')! + 0.1);
    expect(means.get('near_miss')!).toBeGreaterThan(means.get('unrelated')! + 0.3);
  });

  it('embeds a text without words as the zero vector', async () => {
    const [v] = await embedder.embed(['?!']);
    expect(Array.from(v!).every((x) => x === 0)).toBe(true);
  });
});
