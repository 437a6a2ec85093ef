import type { ModelRef } from '../decisions/decision.js';
import type { ModelTarget } from '../config/runtime-config.js';
import type { Feedback } from './feedback.js';
import type { SelectionState, StateUpdate } from './selection-state.js';
import type { LatencyWindows } from './latency-windows.js';
import type { Looper } from './looper/looper.js';

/** One candidate of a decision as a selector sees it. */
export interface SelectionCandidate {
  readonly ref: ModelRef;
  readonly target: ModelTarget;
  /** Price per 1M tokens (prompt + completion) over the dearest candidate's: 0..1, 0 when unpriced. */
  readonly relativeCost: number;
}

/** What a selector reads from one request. */
export interface SelectionRequest {
  readonly decision: string;
  /** Category for category-scoped state: the matched domain signal, else the decision name. */
  readonly category: string;
  /** `x-authz-user-id` header, else the body's `user` field; for personalised bandits. */
  readonly userId: string | undefined;
  /** The text selection reads (the last user message). */
  readonly text: string;
  /** The request text's embedding, present when the selector asked for one (`needsEmbedding`). */
  readonly embedding: Float32Array | undefined;
  /** Uniform [0, 1); injectable so tests and simulations are repeatable. */
  readonly random: () => number;
}

/** A selector's answer: which candidate, and why in a few words (it goes into a header). */
export interface Selection {
  readonly index: number;
  readonly reason: string;
}

/** A compiled selector of one decision. Synchronous: selection must stay far under a millisecond. */
export interface Selector {
  /** The request embedding is computed (through the shared embedder) only for selectors that read it. */
  readonly needsEmbedding: boolean;
  /** Folder of the embedder whose vector the selector reads; the bundled word-vector embedder when absent. */
  readonly embedderDir?: string;
  /** Set by multi-model strategies (Athena's loopers), which call candidates themselves. */
  readonly looper?: Looper;
  select(request: SelectionRequest, candidates: readonly SelectionCandidate[]): Selection;
}

/** What a selection algorithm may use while its selector is built. */
export interface SelectorBuildContext {
  readonly decision: string;
  readonly candidates: readonly SelectionCandidate[];
  readonly state: SelectionState;
  readonly latency: LatencyWindows;
  /** Embeds texts (model descriptions) once at build time, with the embedder requests use. */
  readonly embed: (texts: readonly string[]) => Promise<Float32Array[]>;
  /** The decision's `algorithm.on_error` (else `model_selection.on_error`). */
  readonly onError: 'skip' | 'fail';
  /** Folder of the config file, for relative paths. */
  readonly configDir: string;
  /** `model_selection.ml`: where trained selector files are and the embedding size they expect. */
  readonly ml: { readonly modelsPath: string | undefined; readonly embeddingDim: number | undefined };
  /** The selector of another algorithm with the same decision (hybrid blends them). */
  readonly component: (type: string, parameters: Readonly<Record<string, unknown>>) => Promise<ScoringSelector>;
}

/** A selector that can also report a score per candidate (higher is better), for blending. */
export interface ScoringSelector extends Selector {
  scores(request: SelectionRequest, candidates: readonly SelectionCandidate[]): readonly number[];
}

/** A parameter accepted for Athena compatibility that does not act here; reported as a warning. */
export interface InertParameter {
  readonly name: string;
  readonly reason: string;
}

/**
 * A selection algorithm: one file plus one line in `selection/registry.ts`. `parameterSchema`
 * is the JSON Schema of its `<type>: {...}` block (no defaults: `defaults` are applied by the
 * compiler so it can tell what the author wrote). `globalKey` is where `model_selection` holds its
 * global defaults (Athena's keys: `elo`, `router_dc`, `ml.knn`…).
 */
export interface SelectionAlgorithm<Parameters = Record<string, unknown>> {
  readonly type: string;
  /** Other spellings (Athena's CLI and runtime disagree: `thompson` is the CLI's `rl_driven`). */
  readonly aliases: readonly string[];
  readonly parameterSchema: Readonly<Record<string, unknown>>;
  readonly defaults: Readonly<Parameters>;
  readonly globalKey: readonly string[] | undefined;
  /** Parameters written in the config that have no effect (cascade-only knobs); each becomes a warning. */
  inertParameters?(written: Readonly<Record<string, unknown>>): readonly InertParameter[];
  /** Builds the selector; a thrown message becomes a diagnostic at the decision's `algorithm`. */
  create(parameters: Parameters, context: SelectorBuildContext): Selector | Promise<Selector>;
  /**
   * The state changes one piece of feedback makes for this algorithm (learning algorithms only).
   * Feedback updates every learning algorithm's state, with the decision's parameters when it uses
   * the algorithm and the global ones otherwise, so switching algorithms keeps what was learned.
   */
  learn?(parameters: Parameters, feedback: Feedback, relativeCost: (model: string) => number): readonly StateUpdate[];
}
