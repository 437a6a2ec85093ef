import { readFile } from 'node:fs/promises';
import { loadConfigText } from '../../src/config/load.js';
import { SEED_CONFIG_PATH } from '../helpers/config-fixture.js';

async function load(section: string) {
  const seed = await readFile(SEED_CONFIG_PATH, 'utf8');
  return loadConfigText(`${seed}\n${section}`, 'config.yaml', { env: {} });
}

describe('semantic_cache section', () => {
  it('is off by default, with Athena defaults and HNSW settings filled in', async () => {
    const { config } = await load('');
    expect(config?.semanticCache).toMatchObject({
      enabled: false,
      backendType: 'memory',
      ttlSeconds: 3600,
      maxEntries: 1000,
      evictionPolicy: 'fifo',
      hnsw: { m: 16, efConstruction: 200, efSearch: 64 },
    });
  });

  it("compiles Athena's keys, flat hnsw_* included, and a redis address", async () => {
    const { config, diagnostics } = await load(
      [
        'semantic_cache:',
        '  enabled: true',
        '  backend_type: redis',
        '  similarity_threshold: 0.9',
        '  ttl_seconds: 60',
        '  max_entries: 5000',
        '  eviction_policy: lru',
        '  hnsw_m: 32',
        '  hnsw_ef_construction: 64',
        '  hnsw: { ef_search: 128 }',
        '  redis: { address: "cache.local:6380", db: 2, password: "p@ss", key_prefix: "sy:" }',
      ].join('\n'),
    );
    expect(diagnostics).toEqual([]);
    expect(config?.semanticCache).toEqual({
      enabled: true,
      backendType: 'redis',
      similarityThreshold: 0.9,
      ttlSeconds: 60,
      maxEntries: 5000,
      evictionPolicy: 'lru',
      coalesceTimeoutMs: 30_000,
      redis: { url: 'redis://:p%40ss@cache.local:6380/2', keyPrefix: 'sy:' },
      hnsw: { m: 32, efConstruction: 64, efSearch: 128 },
    });
  });

  it('rejects out-of-range values and unknown keys with a diagnostic', async () => {
    for (const bad of ['semantic_cache: { similarity_threshold: 1.5 }', 'semantic_cache: { eviction_policy: random }', 'semantic_cache: { max_entries: 0 }', 'semantic_cache: { use_faiss: true }']) {
      const { config, diagnostics } = await load(bad);
      expect(config).toBeUndefined();
      expect(diagnostics.length).toBeGreaterThan(0);
    }
  });

  it('warns at each redis key when the backend is memory, since no Redis is used', async () => {
    const { config, diagnostics } = await load('semantic_cache:\n  enabled: true\n  redis:\n    address: "cache.local:6380"\n    key_prefix: "sy:"\n');
    await config?.close();
    const seedLines = (await readFile(SEED_CONFIG_PATH, 'utf8')).split('\n').length;
    expect(diagnostics.map((d) => `${d.line - seedLines}:${d.col} ${d.severity} ${d.code}`)).toEqual(['4:5 warning SY_CFG_UNSUPPORTED', '5:5 warning SY_CFG_UNSUPPORTED']);
    expect(diagnostics[0]?.message).toBe('semantic_cache.redis.address is ignored: backend_type is "memory", so no Redis is used');
  });
});
