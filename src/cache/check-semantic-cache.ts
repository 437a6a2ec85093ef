import type { ConfigProblem } from '../config/config-problem.js';
import type { SemanticCacheDocument } from './compile-semantic-cache.js';

const SECTION = 'semantic_cache';

function ignored(path: readonly (string | number)[], reason: string, section = SECTION): ConfigProblem {
  return { path: [section, ...path], at: 'key', severity: 'warning', code: 'SY_CFG_UNSUPPORTED', message: `${[section, ...path].join('.')} is ignored: ${reason}` };
}

/**
 * Warnings for the written keys of a section's `redis` block that have no effect: all of them
 * when the section's backend is not Redis, the parts of an address when `redis.url` gives it whole.
 */
export function unusedRedisFields(section: string, backendKey: string, backend: string, redis: Readonly<Record<string, unknown>>): ConfigProblem[] {
  if (backend !== 'redis') return Object.keys(redis).map((key) => ignored(['redis', key], `${backendKey} is "${backend}", so no Redis is used`, section));
  if (redis['url'] === undefined) return [];
  return ['address', 'password', 'db'].filter((name) => redis[name] !== undefined).map((key) => ignored(['redis', key], 'redis.url is set and gives the whole address', section));
}

/**
 * Warnings for `semantic_cache` keys that are valid but have no effect in this config, each at
 * its key: Redis settings under the memory backend, the parts of an address that `redis.url`
 * replaces, and nested `hnsw` values that Athena's flat `hnsw_*` keys override. `written` is the
 * section as the file has it (before defaults), so only keys the user wrote are reported.
 */
export function unsupportedSemanticCacheFields(section: SemanticCacheDocument, written: Readonly<Record<string, unknown>>): ConfigProblem[] {
  const problems = unusedRedisFields(SECTION, 'backend_type', section.backend_type, (written['redis'] ?? {}) as Readonly<Record<string, unknown>>);
  const hnsw = (written['hnsw'] ?? {}) as Readonly<Record<string, unknown>>;
  const flat: readonly (readonly [string, string])[] = [
    ['m', 'hnsw_m'],
    ['ef_construction', 'hnsw_ef_construction'],
    ['ef_search', 'hnsw_ef_search'],
  ];
  for (const [nested, athenaKey] of flat) {
    if (hnsw[nested] !== undefined && written[athenaKey] !== undefined) problems.push(ignored(['hnsw', nested], `${SECTION}.${athenaKey} is set and wins`));
  }
  return problems;
}
