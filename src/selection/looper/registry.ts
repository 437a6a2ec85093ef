import type { SelectionAlgorithm } from '../selection-algorithm.js';
import { confidenceLooper } from './confidence-looper.js';
import { ratingsLooper } from './ratings-looper.js';
import { remomLooper } from './remom-looper.js';
import { sequentialLooper } from './sequential-looper.js';

/** Every built multi-model strategy (Athena's loopers); adding one is one file plus one line here. */
// Each strategy types its own parameters; the registry holds them erased, as validated records.
export const LOOPER_STRATEGIES = [confidenceLooper, ratingsLooper, sequentialLooper, remomLooper] as unknown as readonly SelectionAlgorithm[];

/** The strategy a type or alias names. */
export function findLooperStrategy(type: string): SelectionAlgorithm | undefined {
  return LOOPER_STRATEGIES.find((strategy) => strategy.type === type || strategy.aliases.includes(type));
}
