import { BUNDLED_EMBEDDER_DIR } from '../classifiers/bundled-models.js';
import type { Embedder } from '../classifiers/embedder.js';
import type { ModelLease } from '../signals/model-cache.js';
import type { Feedback } from './feedback.js';
import type { LatencyWindows } from './latency-windows.js';
import type { LooperSettings } from './looper/looper.js';
import type { SelectionAlgorithm, SelectionCandidate, Selector } from './selection-algorithm.js';
import type { SelectionState, StateUpdate } from './selection-state.js';
import type { StateLease, StoreFailureListener } from './state-lease.js';

/** A learning algorithm's parameters as one decision's feedback applies them. */
export interface Learner {
  readonly algorithm: SelectionAlgorithm;
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** The compiled selection of one decision. */
export interface DecisionSelection {
  readonly decision: string;
  /** Canonical algorithm name (`rl_driven` for `thompson`). */
  readonly algorithm: string;
  readonly onError: 'skip' | 'fail';
  readonly selector: Selector;
  readonly candidates: readonly SelectionCandidate[];
  readonly learners: readonly Learner[];
  /** The selector reads time per output token, so the sidecar must see this decision's response bodies. */
  readonly tokenTiming: boolean;
}

/** Settings of the feedback and state HTTP API. */
export interface SelectionApiSettings {
  readonly token: string | undefined;
  readonly requireToken: 'auto' | 'always' | 'never';
}

/**
 * The model selection of one compiled config: a selector per decision, the learned state (shared
 * with other config versions through a lease), the latency windows the response path feeds, and
 * the embedder of request texts (the signals' own, so a text is embedded once per request).
 */
export class ModelSelection {
  constructor(
    private readonly decisions: ReadonlyMap<string, DecisionSelection>,
    private readonly lease: StateLease,
    /** Leased embedders by folder, for the selectors that read a request embedding. */
    private readonly embedders: ReadonlyMap<string, ModelLease<Embedder>>,
    readonly api: SelectionApiSettings,
    /** `model_selection.elo.initial_rating`: ratings are stored as offsets from it. */
    readonly ratingBase: number,
    /** The top-level `looper` section's settings, for every looper call. */
    readonly looper: LooperSettings,
  ) {}

  forDecision(name: string): DecisionSelection | undefined {
    return this.decisions.get(name);
  }

  get state(): SelectionState {
    return this.lease.state;
  }

  get latency(): LatencyWindows {
    return this.lease.latency;
  }

  /** The embedding a selector reads (`embedderDir`, else the bundled word-vector embedder); undefined when none was leased. */
  async embed(text: string, embedderDir: string = BUNDLED_EMBEDDER_DIR): Promise<Float32Array | undefined> {
    const embedder = this.embedders.get(embedderDir);
    if (embedder === undefined) return undefined;
    return (await embedder.model.embed([text]))[0];
  }

  /** Every state change a piece of feedback makes (for all learning algorithms), applied together. */
  async learn(feedback: Feedback): Promise<readonly StateUpdate[]> {
    const decision = this.decisions.get(feedback.decision);
    if (decision === undefined) throw new Error(`feedback for unknown decision "${feedback.decision}" reached the state`);
    const costs = new Map(decision.candidates.map((candidate) => [candidate.target.name, candidate.relativeCost]));
    const updates = decision.learners.flatMap(({ algorithm, parameters }) => algorithm.learn?.(parameters, feedback, (model) => costs.get(model) ?? 0) ?? []);
    await this.lease.state.apply(updates);
    return updates;
  }

  onStoreFailure(listener: StoreFailureListener): () => void {
    return this.lease.onFailure(listener);
  }

  async close(): Promise<void> {
    for (const embedder of this.embedders.values()) embedder.release();
    await this.lease.release();
  }
}
