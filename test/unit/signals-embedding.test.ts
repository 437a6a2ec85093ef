import { aggregateSimilarity, embeddingSignalPlugin, type EmbeddingRule } from '../../src/signals/embedding.js';
import { loadedModelCount } from '../../src/signals/model-cache.js';
import type { RequestView } from '../../src/signals/signal.js';
import { isClosable } from '../../src/signals/closable-extractor.js';

function view(text: string): RequestView {
  return { lastUserText: text, messages: [{ role: 'user', text }], headers: new Map() };
}

const rule = (extra: Partial<EmbeddingRule> = {}): EmbeddingRule => ({
  name: 'geography',
  threshold: 0.6,
  candidates: ['What is the capital of France?', 'Which river flows through Cairo?'],
  ...extra,
});

describe('aggregateSimilarity', () => {
  it('max and any take the best candidate, mean the average', () => {
    expect(aggregateSimilarity([0.2, 0.8], 'max')).toBe(0.8);
    expect(aggregateSimilarity([0.2, 0.8], 'any')).toBe(0.8);
    expect(aggregateSimilarity([0.2, 0.8], 'mean')).toBeCloseTo(0.5);
  });
});

describe('embedding signal', () => {
  it('matches a paraphrase of a candidate and reports the similarity as confidence', async () => {
    const extractor = await embeddingSignalPlugin.create([rule()], { configDir: '.' });
    const [hit] = await extractor.extract(view('what is the capital city of France'), new AbortController().signal);
    expect(hit).toEqual(expect.objectContaining({ type: 'embedding', name: 'geography', matched: true }));
    expect(hit!.confidence).toBeGreaterThanOrEqual(0.6);
    expect(hit!.value).toBe(hit!.confidence);
    const [miss] = await extractor.extract(view('Write a haiku about autumn leaves'), new AbortController().signal);
    expect(miss!.matched).toBe(false);
    if (isClosable(extractor)) await extractor.close();
  });

  it('mean aggregation is stricter than max for a prompt close to one candidate only', async () => {
    const extractor = await embeddingSignalPlugin.create([rule({ name: 'max' }), rule({ name: 'mean', aggregation_method: 'mean' })], { configDir: '.' });
    const [max, mean] = await extractor.extract(view('what is the capital city of France'), new AbortController().signal);
    expect(max!.value!).toBeGreaterThan(mean!.value!);
    if (isClosable(extractor)) await extractor.close();
  });

  it('loads the embedder once and drops it when the last extractor closes', async () => {
    const before = loadedModelCount();
    const first = await embeddingSignalPlugin.create([rule()], { configDir: '.' });
    const second = await embeddingSignalPlugin.create([rule()], { configDir: '.' });
    expect(loadedModelCount()).toBe(before + 1);
    if (isClosable(first)) await first.close();
    expect(loadedModelCount()).toBe(before + 1);
    if (isClosable(second)) await second.close();
    expect(loadedModelCount()).toBe(before);
  });

  it('releases the other rules\' embedders when one rule\'s model folder is broken', async () => {
    const before = loadedModelCount();
    await expect(
      embeddingSignalPlugin.create([rule(), rule({ name: 'broken', model_path: 'no-such-dir' })], { configDir: '/tmp' }),
    ).rejects.toThrow('embedding rule "broken"');
    expect(loadedModelCount()).toBe(before);
  });

  it('names the folder and the missing file when model_path is broken', async () => {
    await expect(embeddingSignalPlugin.create([rule({ model_path: 'no-such-dir' })], { configDir: '/tmp' })).rejects.toThrow(
      'embedding rule "geography": model folder /tmp/no-such-dir does not exist',
    );
  });
});
