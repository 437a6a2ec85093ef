import type { Embedder } from '../../../src/classifiers/embedder.js';
import { RecentEmbeddings } from '../../../src/signals/recent-embeddings.js';

/** An embedder that counts the texts it really embeds. */
function countingEmbedder(): Embedder & { seen: string[] } {
  const seen: string[] = [];
  return {
    dimensions: 2,
    seen,
    embed: (texts) => {
      seen.push(...texts);
      return Promise.resolve(texts.map((text) => Float32Array.of(text.length, 1)));
    },
  };
}

describe('RecentEmbeddings', () => {
  it('embeds a text once however many stages of a request ask for it', async () => {
    const inner = countingEmbedder();
    const shared = new RecentEmbeddings(inner);
    const first = await shared.embed(['what is two plus two']);
    const again = await shared.embed(['what is two plus two', 'another']);
    expect(inner.seen).toEqual(['what is two plus two', 'another']);
    expect(again[0]).toBe(first[0]);
  });

  it('forgets the oldest texts beyond its window', async () => {
    const inner = countingEmbedder();
    const shared = new RecentEmbeddings(inner);
    for (let i = 0; i < 70; i++) await shared.embed([`text ${i}`]);
    await shared.embed(['text 0', 'text 69']);
    expect(inner.seen.filter((text) => text === 'text 0')).toHaveLength(2);
    expect(inner.seen.filter((text) => text === 'text 69')).toHaveLength(1);
  });
});

describe('RecentEmbeddings with batches', () => {
  it('answers a batch larger than its window', async () => {
    const shared = new RecentEmbeddings(countingEmbedder());
    const texts = Array.from({ length: 300 }, (_, i) => `t${'x'.repeat(i)}`);
    const vectors = await shared.embed(texts);
    expect(vectors.map((vector) => vector[0])).toEqual(texts.map((text) => text.length));
  });
});
