import type { SelectionAlgorithm } from './selection-algorithm.js';

/** Athena's default: the first modelRef, always. */
export const staticSelection: SelectionAlgorithm<Record<string, never>> = {
  type: 'static',
  aliases: [],
  parameterSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {},
  globalKey: undefined,
  create: () => ({ needsEmbedding: false, select: () => ({ index: 0, reason: 'first modelRef' }) }),
};
