import { automixSelection } from './automix.js';
import { eloSelection } from './elo.js';
import { ensembleSelection } from './ensemble.js';
import { hybridSelection } from './hybrid.js';
import { kmeansSelection } from './kmeans.js';
import { knnSelection } from './knn.js';
import { latencyAwareSelection } from './latency-aware.js';
import { mlpSelection } from './mlp.js';
import { rlDrivenSelection } from './rl-driven.js';
import { routerDcSelection } from './router-dc.js';
import type { SelectionAlgorithm } from './selection-algorithm.js';
import { staticSelection } from './static.js';
import { svmSelection } from './svm.js';
import { weightedSelection } from './weighted.js';

/** Every selection algorithm; adding one is one file plus one line here. */
// Each algorithm types its own parameters; the registry holds them erased, as validated records.
export const SELECTION_ALGORITHMS = [
  staticSelection,
  weightedSelection,
  latencyAwareSelection,
  eloSelection,
  rlDrivenSelection,
  routerDcSelection,
  automixSelection,
  hybridSelection,
  knnSelection,
  kmeansSelection,
  svmSelection,
  mlpSelection,
  ensembleSelection,
] as unknown as readonly SelectionAlgorithm[];

/** The algorithm a type or alias names (`thompson` is `rl_driven`). */
export function findSelectionAlgorithm(type: string): SelectionAlgorithm | undefined {
  return SELECTION_ALGORITHMS.find((algorithm) => algorithm.type === type || algorithm.aliases.includes(type));
}

/** Every accepted `algorithm.type` spelling, canonical names first. */
export function selectionTypeNames(): string[] {
  return [...SELECTION_ALGORITHMS.map((algorithm) => algorithm.type), ...SELECTION_ALGORITHMS.flatMap((algorithm) => algorithm.aliases)];
}
