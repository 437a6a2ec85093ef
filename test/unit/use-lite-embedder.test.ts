/**
 * The bundled sentence encoder as the signals and the cache use it: one model run per request text
 * whatever the number of consumers, bounded work on huge prompts, and no failure on empty text.
 */
import { cacheKeyOf } from '../../src/cache/cache-key.js';
import { SemanticCache } from '../../src/cache/semantic-cache.js';
import { BUNDLED_ENCODER_DIR } from '../../src/classifiers/bundled-models.js';
import { cosineSimilarity } from '../../src/classifiers/embedder.js';
import { UseLiteEmbedder } from '../../src/classifiers/use-lite-embedder.js';
import type { SemanticCacheSettings } from '../../src/config/runtime-config.js';
import { leaseEmbedder } from '../../src/signals/model-cache.js';
import { createSignalPipeline } from '../../src/signals/pipeline.js';
import type { RecentEmbeddings } from '../../src/signals/recent-embeddings.js';
import type { RequestView, SignalId } from '../../src/signals/signal.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';
import { loadConfigFile } from '../../src/config/load.js';
import { fileURLToPath } from 'node:url';

const SETTINGS: SemanticCacheSettings = {
  enabled: true,
  backendType: 'memory',
  similarityThreshold: 0.7,
  ttlSeconds: 60,
  maxEntries: 100,
  evictionPolicy: 'fifo',
  coalesceTimeoutMs: 1000,
  redis: { url: 'redis://127.0.0.1:1/0', keyPrefix: 'unused:' },
  hnsw: { m: 16, efConstruction: 100, efSearch: 32 },
};

describe('UseLiteEmbedder', () => {
  it('embeds a request once for the embedding signal, the complexity signal and the semantic cache', async () => {
    const signals = {
      embeddings: [{ name: 'proof', threshold: 0.7, candidates: ['Prove that the statement holds for every n.'] }],
      complexity: [{ name: 'level', hard: { candidates: ['Prove the theorem.'] }, easy: { candidates: ['Tell me a joke.'] } }],
    };
    const referenced = new Set<SignalId>(['embedding:proof', 'complexity:level:hard', 'complexity:level:easy', 'complexity:level:medium']);
    const pipeline = await createSignalPipeline(signals, referenced, { configDir: '.' });
    const cache = await SemanticCache.create({ settings: SETTINGS, logger: createSilentLogger(), count: () => undefined });
    const lease = await leaseEmbedder(BUNDLED_ENCODER_DIR);
    try {
      const encoder = (lease.model as RecentEmbeddings).inner as UseLiteEmbedder;
      const text = 'Show that the square root of two is irrational, step by step.';
      const request: RequestView = { lastUserText: text, messages: [{ role: 'user', text }], headers: new Map() };
      const before = encoder.runs;
      const results = await pipeline.evaluate(request, new AbortController().signal);
      const lookup = await cache.lookup({
        key: cacheKeyOf({ messages: [{ role: 'user', content: text }] }, 'm')!,
        policy: { similarityThreshold: 0.7, ttlSeconds: 60 },
        waitMs: 0,
        signal: new AbortController().signal,
      });
      expect(results.get('embedding:proof')?.value).toBeGreaterThan(0);
      expect(lookup.kind).toBe('miss');
      if (lookup.kind === 'miss') lookup.ticket.abandon();
      expect(encoder.runs - before).toBe(1);
    } finally {
      lease.release();
      await cache.close();
      await pipeline.close?.();
    }
  });

  it('embeds each request of examples/default.yaml once for all its consumers (embedding, complexity, domain head, cache)', async () => {
    const config = (await loadConfigFile(fileURLToPath(new URL('../../examples/default.yaml', import.meta.url)), { env: {} })).config!;
    const cache = await SemanticCache.create({ settings: SETTINGS, logger: createSilentLogger(), count: () => undefined });
    const lease = await leaseEmbedder(BUNDLED_ENCODER_DIR);
    try {
      const encoder = (lease.model as RecentEmbeddings).inner as UseLiteEmbedder;
      const prompts = ['Prove that there are infinitely many primes of the form 4k+3.', 'What is a good name for a grey cat?', 'Translate "where is the station" into German.'];
      for (const text of prompts) {
        const before = encoder.runs;
        const signals = await config.signals.evaluate({ lastUserText: text, messages: [{ role: 'user', text }], headers: new Map() }, new AbortController().signal);
        expect(signals.get('domain:math')?.error).toBeUndefined();
        const lookup = await cache.lookup({ key: cacheKeyOf({ messages: [{ role: 'user', content: text }] }, 'm')!, policy: { similarityThreshold: 0.7, ttlSeconds: 60 }, waitMs: 0, signal: new AbortController().signal });
        if (lookup.kind === 'miss') lookup.ticket.abandon();
        expect(encoder.runs - before).toBe(1);
      }
    } finally {
      lease.release();
      await cache.close();
      await config.close();
    }
  });

  it('reads only the head of a huge prompt, so it costs what a short one does', async () => {
    const encoder = await UseLiteEmbedder.load(BUNDLED_ENCODER_DIR);
    const head = 'Explain how photosynthesis works in plants. '.repeat(100);
    const huge = head + 'x'.repeat(2_000_000);
    const noSpaces = 'y'.repeat(2_000_000);
    const start = performance.now();
    const [a, b, c] = await encoder.embed([huge, head, noSpaces]);
    expect(performance.now() - start).toBeLessThan(5000);
    expect(encoder.tokenIds(huge)).toHaveLength(128);
    expect(cosineSimilarity(a!, b!)).toBeGreaterThan(0.999);
    expect(c!.length).toBe(512);
  });

  it('embeds empty and whitespace-only text to a unit vector', async () => {
    const encoder = await UseLiteEmbedder.load(BUNDLED_ENCODER_DIR);
    const [empty, blank] = await encoder.embed(['', '   ']);
    for (const v of [empty!, blank!]) expect(cosineSimilarity(v, v)).toBeCloseTo(1, 4);
  });
});
