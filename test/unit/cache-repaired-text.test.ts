import { cacheKeyOf } from '../../src/cache/cache-key.js';
import { DEFAULT_SIMILARITY_THRESHOLD } from '../../src/cache/default-threshold.js';
import { promptFacts } from '../../src/cache/prompt-facts.js';
import { SemanticCache } from '../../src/cache/semantic-cache.js';
import type { SemanticCacheSettings } from '../../src/config/runtime-config.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';

describe('repaired text (what the cache embeds)', () => {
  it('cuts the speech repair and keeps the corrected question', () => {
    expect(promptFacts('What is, uh no, who is the king of France?').repaired).toBe('who is the king of France?');
    expect(promptFacts('How many times did plague occur in Paris no sorry Venice?').repaired).toBe('How many times did plague occur in Venice?');
    expect(promptFacts('When was the um treaty signed?').repaired).toBe('When was the treaty signed?');
  });

  it("is the original text, untouched, when there is nothing to cut (so the signals' vector is reused)", () => {
    for (const text of ["What's the capital of France?", '  Sort a list, please.  ', 'No, I do not want that.']) expect(promptFacts(text).repaired).toBe(text);
  });

  it('stays linear on a huge prompt with a repair', () => {
    const tail = 'word '.repeat(200_000);
    const start = performance.now();
    const facts = promptFacts(`What is, uh no, who is the king? ${tail}`);
    expect(facts.repaired).toBe(`who is the king? ${tail}`.trim());
    // Generous for a loaded machine; a quadratic rebuild takes minutes.
    expect(performance.now() - start).toBeLessThan(5000);
  });
});

const SETTINGS: SemanticCacheSettings = {
  enabled: true,
  backendType: 'memory',
  similarityThreshold: DEFAULT_SIMILARITY_THRESHOLD,
  ttlSeconds: 60,
  maxEntries: 100,
  evictionPolicy: 'fifo',
  coalesceTimeoutMs: 1000,
  redis: { url: 'redis://127.0.0.1:1/0', keyPrefix: 'unused:' },
  hnsw: { m: 16, efConstruction: 100, efSearch: 32 },
};
const POLICY = { similarityThreshold: DEFAULT_SIMILARITY_THRESHOLD, ttlSeconds: 60 };

describe('SemanticCache with a speech repair', () => {
  let cache: SemanticCache;
  beforeEach(async () => {
    cache = await SemanticCache.create({ settings: SETTINGS, logger: createSilentLogger(), count: () => undefined });
  });
  afterEach(() => cache.close());
  const lookup = (content: string) =>
    cache.lookup({ key: cacheKeyOf({ messages: [{ role: 'user', content }] }, 'm')!, policy: POLICY, waitMs: 0, signal: new AbortController().signal });

  // Raw, the disfluent message is 0.63 from the original (a miss at 0.7); repaired, 0.96.
  it.each([
    ['Who wrote Hamlet?', 'How much did Macbeth cost no I mean who wrote Hamlet?'],
    ['Who is the king of Spain?', 'What is, uh no, who is the king of Spain?'],
    // Found only against the cached prompt (aligned-repair.ts); the guard refused it before ("entity").
    ['What territory was ceded to France?', 'What territory was ceded to Spain ugh should say France?'],
  ])('serves %j to its disfluent rewrite at the default threshold', async (original, disfluent) => {
    const first = await lookup(original);
    expect(first.kind).toBe('miss');
    if (first.kind === 'miss') first.ticket.complete({ model: 'up', content: 'the answer' });
    expect((await lookup(disfluent)).kind).toBe('hit');
  });
});
