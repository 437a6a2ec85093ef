import { createHash } from 'node:crypto';
import { LocalCacheIndex } from '../../src/cache/local-cache-index.js';
import { createEvictionOrder } from '../../src/cache/eviction-order.js';

const DIMENSIONS = 8;
const HNSW = { m: 8, efConstruction: 50, efSearch: 20 };
const ns = (name: string) => createHash('sha256').update(name).digest('hex');

function unit(seed: number): Float32Array {
  const v = Float32Array.from({ length: DIMENSIONS }, (_, i) => Math.sin(seed * 7.3 + i * 1.7));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function entry(id: string, namespace: string, seed: number, expiresAt = Number.MAX_SAFE_INTEGER) {
  return { id, namespace, query: id, vector: unit(seed), expiresAt, completion: { model: 'm', content: id } };
}

describe('LocalCacheIndex', () => {
  it('finds an entry only within its namespace, with the embedding cosine', () => {
    const index = new LocalCacheIndex({ embeddingDimensions: DIMENSIONS, maxEntries: 10, evictionPolicy: 'fifo', hnsw: HNSW });
    index.insert(entry('a', ns('one'), 1));
    index.insert(entry('b', ns('two'), 1));
    const found = index.candidates(ns('one'), unit(1), 0.5, 0);
    expect(found.map((c) => c.entry.id)).toEqual(['a']);
    expect(found[0]!.similarity).toBeCloseTo(1, 4);
    expect(index.candidates(ns('three'), unit(1), 0.5, 0)).toEqual([]);
  });

  it('evicts at max_entries and reuses the freed graph slots, so it stays searchable after many evictions', () => {
    const index = new LocalCacheIndex({ embeddingDimensions: DIMENSIONS, maxEntries: 4, evictionPolicy: 'fifo', hnsw: HNSW });
    const evicted: string[] = [];
    for (let i = 0; i < 200; i++) evicted.push(...index.insert(entry(`e${i}`, ns('n'), i)).map((e) => e.id));
    expect(index.size).toBe(4);
    expect(evicted).toHaveLength(196);
    expect(evicted.slice(0, 2)).toEqual(['e0', 'e1']);
    for (let i = 196; i < 200; i++) expect(index.candidates(ns('n'), unit(i), 0.99, 0)[0]?.entry.id).toBe(`e${i}`);
    expect(index.candidates(ns('n'), unit(10), 0.999, 0)).toEqual([]);
  });

  it('drops expired entries on lookup and on a sweep, and reports them', () => {
    const expired: string[] = [];
    const index = new LocalCacheIndex({ embeddingDimensions: DIMENSIONS, maxEntries: 10, evictionPolicy: 'fifo', hnsw: HNSW, onExpired: (e) => expired.push(e.id) });
    index.insert(entry('soon', ns('n'), 1, 100));
    index.insert(entry('later', ns('n'), 2, 200));
    expect(index.candidates(ns('n'), unit(1), 0.99, 150)).toEqual([]);
    index.removeExpired(250);
    expect(expired).toEqual(['soon', 'later']);
    expect(index.size).toBe(0);
  });
});

describe('eviction orders', () => {
  it('fifo ignores hits, lru moves a hit to the back, lfu keeps the most used', () => {
    const run = (policy: 'fifo' | 'lru' | 'lfu') => {
      const order = createEvictionOrder(policy);
      [1, 2, 3].forEach((label) => order.added(label));
      order.touched(1);
      order.touched(1);
      order.touched(2);
      return order.victim();
    };
    expect(run('fifo')).toBe(1);
    expect(run('lru')).toBe(3);
    expect(run('lfu')).toBe(3);
    const lfu = createEvictionOrder('lfu');
    [1, 2].forEach((label) => lfu.added(label));
    lfu.touched(2);
    lfu.removed(1);
    expect(lfu.victim()).toBe(2);
  });
});
