import { DURATION_PATTERN } from '../config/duration.js';
import { LOOPER_STRATEGIES } from './looper/registry.js';
import { SELECTION_ALGORITHMS, selectionTypeNames } from './registry.js';

/** Keys of a decision's `algorithm` block that are not parameter blocks. */
export const ALGORITHM_SETTING_KEYS = ['type', 'on_error'] as const;

const ON_ERROR = { enum: ['skip', 'fail'] } as const;

/**
 * Schema of a decision's `algorithm: {type, on_error, <type>: {...}}`. Every algorithm's parameter
 * block is allowed under its canonical name and its aliases; which block fits which type is checked
 * when the selection compiles, so a mismatch gets its own message.
 */
export function algorithmSchema(): Record<string, unknown> {
  const blocks: Record<string, unknown> = {};
  const strategies = [...SELECTION_ALGORITHMS, ...LOOPER_STRATEGIES];
  for (const algorithm of strategies) {
    for (const name of [algorithm.type, ...algorithm.aliases]) blocks[name] = algorithm.parameterSchema;
  }
  const looperNames = LOOPER_STRATEGIES.flatMap((strategy) => [strategy.type, ...strategy.aliases]);
  return {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: { type: { enum: [...selectionTypeNames(), ...looperNames] }, on_error: ON_ERROR, ...blocks },
  };
}

/**
 * Schema of the top-level `model_selection` section: global defaults per algorithm (under
 * Athena's keys: `elo`, `router_dc`, `ml.knn`…), the default method, and where learned state lives.
 */
export function modelSelectionSchema(): Record<string, unknown> {
  const top: Record<string, unknown> = {};
  const ml: Record<string, unknown> = {
    models_path: { type: 'string', minLength: 1 },
    embedding_dim: { type: 'integer', minimum: 1 },
  };
  for (const algorithm of SELECTION_ALGORITHMS) {
    const key = algorithm.globalKey;
    if (key === undefined) continue;
    if (key.length === 2 && key[0] === 'ml') ml[key[1]!] = algorithm.parameterSchema;
    else top[key[0]!] = algorithm.parameterSchema;
  }
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      enabled: { type: 'boolean', default: true },
      method: { enum: selectionTypeNames(), default: 'static' },
      on_error: { ...ON_ERROR, default: 'skip' },
      store: { enum: ['memory', 'redis'], default: 'memory' },
      redis: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          url: { type: 'string', minLength: 1, default: 'redis://127.0.0.1:6379/0' },
          key_prefix: { type: 'string', default: 'switchyard:selection:' },
          sync_interval: { type: 'string', pattern: DURATION_PATTERN, default: '1s' },
        },
      },
      api: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          token: { type: 'string', minLength: 16 },
          require_token: { enum: ['auto', 'always', 'never'], default: 'auto' },
        },
      },
      ...top,
      ml: { type: 'object', additionalProperties: false, default: {}, properties: ml },
    },
  };
}
