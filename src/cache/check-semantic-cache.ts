import type { ConfigProblem } from '../config/config-problem.js';
import type { SemanticCacheDocument } from './compile-semantic-cache.js';

const SECTION = 'semantic_cache';

function ignored(path: readonly (string | number)[], reason: string): ConfigProblem {
  return { path: [SECTION, ...path], at: 'key', severity: 'warning', code: 'SY_CFG_UNSUPPORTED', message: `${[SECTION, ...path].join('.')} is ignored: ${reason}` };
}

/**
 * Warnings for `semantic_cache` keys that are valid but have no effect in this config, each at
 * its key: Redis settings under the memory backend, the parts of an address that `redis.url`
 * replaces, and nested `hnsw` values that Athena's flat `hnsw_*` keys override. `written` is the
 * section as the file has it (before defaults), so only keys the user wrote are reported.
 */
export function unsupportedSemanticCacheFields(section: SemanticCacheDocument, written: Readonly<Record<string, unknown>>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const redis = (written['redis'] ?? {}) as Readonly<Record<string, unknown>>;
  if (section.backend_type !== 'redis') {
    for (const key of Object.keys(redis)) problems.push(ignored(['redis', key], `backend_type is "${section.backend_type}", so no Redis is used`));
  } else if (redis['url'] !== undefined) {
    for (const key of ['address', 'password', 'db'].filter((name) => redis[name] !== undefined)) problems.push(ignored(['redis', key], 'redis.url is set and gives the whole address'));
  }
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
