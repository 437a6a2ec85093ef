import type { ConfigDocument, DecisionDocument } from '../config/config-document.js';
import type { ConfigPathSegment, ConfigProblem } from '../config/config-problem.js';
import { durationToMs } from '../config/duration.js';
import type { ModelTarget } from '../config/runtime-config.js';
import { BUNDLED_EMBEDDER_DIR } from '../classifiers/bundled-models.js';
import type { Embedder } from '../classifiers/embedder.js';
import { leaseEmbedder, type ModelLease } from '../signals/model-cache.js';
import { ModelSelection, type DecisionSelection, type Learner } from './model-selection.js';
import { findSelectionAlgorithm, SELECTION_ALGORITHMS } from './registry.js';
import type { ScoringSelector, SelectionAlgorithm, SelectionCandidate, Selector, SelectorBuildContext } from './selection-algorithm.js';
import { ALGORITHM_SETTING_KEYS } from './selection-schema.js';
import { compileLooperSection } from './looper/looper-section.js';
import { findLooperStrategy } from './looper/registry.js';
import { leaseSelectionState, type StoreSettings } from './state-lease.js';

type Parameters = Readonly<Record<string, unknown>>;

/** The `model_selection` section after schema defaults. */
export interface ModelSelectionDocument {
  readonly enabled: boolean;
  readonly method: string;
  readonly on_error: 'skip' | 'fail';
  readonly store: 'memory' | 'redis';
  readonly redis: { readonly url: string; readonly key_prefix: string; readonly sync_interval: string };
  readonly api: { readonly token?: string; readonly require_token: 'auto' | 'always' | 'never' };
  readonly ml: Readonly<Record<string, unknown>> & { readonly models_path?: string; readonly embedding_dim?: number };
  readonly [algorithm: string]: unknown;
}

/** A compiled selection, or the problems (errors and warnings) found on the way. */
export interface SelectionCompileResult {
  readonly selection?: ModelSelection;
  readonly problems: readonly ConfigProblem[];
}

const SECTION = 'model_selection';

/** Algorithms that read `modelRefs[].weight` (remom spreads its calls by weight). */
const READS_WEIGHTS: readonly string[] = ['weighted', 'remom'];

function globalPath(algorithm: SelectionAlgorithm): ConfigPathSegment[] {
  return [SECTION, ...(algorithm.globalKey ?? [])];
}

function globalParameters(section: ModelSelectionDocument, algorithm: SelectionAlgorithm): Parameters {
  // Loopers have no global block: without this the whole section (its on_error too) would pass as their parameters.
  if (algorithm.globalKey === undefined) return {};
  let node: unknown = section;
  for (const key of algorithm.globalKey ?? []) node = (node as Record<string, unknown> | undefined)?.[key];
  return (node as Parameters | undefined) ?? {};
}

/** Each priced candidate's price over the dearest one's (prompt + completion per 1M tokens). */
function candidatesOf(decision: DecisionDocument, models: ReadonlyMap<string, ModelTarget>): SelectionCandidate[] {
  const price = (target: ModelTarget): number => (target.pricing === undefined ? 0 : target.pricing.promptPer1M + target.pricing.completionPer1M);
  const targets = decision.modelRefs.map((ref) => models.get(ref.model)!);
  const dearest = Math.max(0, ...targets.map(price));
  return decision.modelRefs.map((ref, i) => ({
    ref: { model: ref.model, useReasoning: ref.use_reasoning, ...(ref.reasoning_effort === undefined ? {} : { reasoningEffort: ref.reasoning_effort }), ...(ref.weight === undefined ? {} : { weight: ref.weight }) },
    target: targets[i]!,
    relativeCost: dearest === 0 ? 0 : price(targets[i]!) / dearest,
  }));
}

/** Warnings for written parameters that do not act. */
function inertWarnings(algorithm: SelectionAlgorithm, written: Parameters, path: readonly ConfigPathSegment[]): ConfigProblem[] {
  return (algorithm.inertParameters?.(written) ?? []).map((inert) => ({
    path: [...path, inert.name],
    at: 'key',
    severity: 'warning',
    code: 'SY_CFG_UNSUPPORTED',
    message: `${algorithm.type}.${inert.name} is accepted but ignored: ${inert.reason}`,
  }));
}

function storeSettings(section: ModelSelectionDocument): StoreSettings {
  return section.store === 'memory'
    ? { kind: 'memory' }
    : { kind: 'redis', url: section.redis.url, keyPrefix: section.redis.key_prefix, syncIntervalMs: durationToMs(section.redis.sync_interval) };
}

interface DecisionPlan {
  readonly index: number;
  readonly decision: DecisionDocument;
  readonly algorithm: SelectionAlgorithm;
  readonly parameters: Parameters;
  readonly onError: 'skip' | 'fail';
  readonly candidates: SelectionCandidate[];
  /** Where a build failure is reported. */
  readonly path: readonly ConfigPathSegment[];
}

/** Reads one decision's `algorithm` block; problems go to `problems`, undefined when it cannot be planned. */
function planDecision(index: number, decision: DecisionDocument, section: ModelSelectionDocument, models: ReadonlyMap<string, ModelTarget>, problems: ConfigProblem[]): DecisionPlan | undefined {
  const base: ConfigPathSegment[] = ['decisions', index];
  const block = decision.algorithm as (Parameters & { type?: string; on_error?: 'skip' | 'fail' }) | undefined;
  const path = block === undefined ? [...base, 'modelRefs'] : [...base, 'algorithm'];
  const requested = block?.type ?? (decision.modelRefs.length > 1 ? section.method : 'static');
  const algorithm = section.enabled ? (findSelectionAlgorithm(requested) ?? findLooperStrategy(requested)) : findSelectionAlgorithm('static');
  if (algorithm === undefined) {
    problems.push({ path: [...base, 'algorithm', 'type'], code: 'SY_CFG_SCHEMA', message: `unknown algorithm type "${requested}"` });
    return undefined;
  }
  let written: Parameters = {};
  for (const [key, value] of Object.entries(block ?? {})) {
    if ((ALGORITHM_SETTING_KEYS as readonly string[]).includes(key)) continue;
    if (key !== algorithm.type && !algorithm.aliases.includes(key)) {
      problems.push({ path: [...base, 'algorithm', key], at: 'key', code: 'SY_CFG_SCHEMA', message: `"${key}" parameters do not apply to algorithm "${requested}" of decision "${decision.name}"; use "${algorithm.type}:"` });
      continue;
    }
    problems.push(...inertWarnings(algorithm, value as Parameters, [...base, 'algorithm', key]));
    written = { ...written, ...(value as Parameters) };
  }
  if (!section.enabled && block !== undefined) {
    problems.push({ path: [...base, 'algorithm'], at: 'key', severity: 'warning', code: 'SY_CFG_UNSUPPORTED', message: `model_selection.enabled is false, so decision "${decision.name}" takes its first modelRef and its algorithm is ignored` });
  }
  decision.modelRefs.forEach((ref, j) => {
    if (ref.weight !== undefined && !READS_WEIGHTS.includes(algorithm.type)) {
      problems.push({
        path: [...base, 'modelRefs', j, 'weight'],
        at: 'key',
        severity: 'warning',
        code: 'SY_CFG_UNSUPPORTED',
        message: `modelRefs[].weight acts only with algorithm types ${READS_WEIGHTS.map((type) => `"${type}"`).join(' and ')}; decision "${decision.name}" uses "${algorithm.type}", so it is ignored`,
      });
    }
  });
  return {
    index,
    decision,
    algorithm,
    parameters: { ...algorithm.defaults, ...globalParameters(section, algorithm), ...written },
    onError: block?.on_error ?? section.on_error,
    candidates: candidatesOf(decision, models),
    path,
  };
}

/**
 * Compiles `model_selection` and every decision's `algorithm` into selectors: Athena's names and
 * aliases, per-decision parameters over the global ones over the defaults, every written parameter
 * either acting, refused, or warned about. Builds that fail (a missing trained file, weights that
 * do not sum to 1) become errors at the decision's `algorithm`.
 */
export async function compileSelection(document: ConfigDocument, models: ReadonlyMap<string, ModelTarget>, configDir: string): Promise<SelectionCompileResult> {
  const section = document.model_selection;
  const problems: ConfigProblem[] = [];
  const looper = compileLooperSection(document.looper);
  problems.push(...looper.problems);
  for (const algorithm of SELECTION_ALGORITHMS) problems.push(...inertWarnings(algorithm, globalParameters(section, algorithm), globalPath(algorithm)));
  const plans = document.decisions.flatMap((decision, i) => planDecision(i, decision, section, models, problems) ?? []);
  if (problems.some((problem) => problem.severity !== 'warning')) return { problems };

  const lease = leaseSelectionState(storeSettings(section));
  const embedders = new Map<string, ModelLease<Embedder>>();
  const embedderModel = async (dir: string = BUNDLED_EMBEDDER_DIR): Promise<Embedder> => {
    if (!embedders.has(dir)) embedders.set(dir, await leaseEmbedder(dir));
    return embedders.get(dir)!.model;
  };
  const releaseEmbedders = (): void => embedders.forEach((embedder) => embedder.release());
  const decisions = new Map<string, DecisionSelection>();
  try {
    for (const plan of plans) {
      const context: SelectorBuildContext = {
        decision: plan.decision.name,
        candidates: plan.candidates,
        onError: plan.onError,
        state: lease.state,
        latency: lease.latency,
        configDir,
        ml: { modelsPath: section.ml.models_path, embeddingDim: section.ml.embedding_dim },
        embed: async (texts) => (await embedderModel()).embed(texts),
        component: async (type, overrides) => {
          const component = findSelectionAlgorithm(type)!;
          return (await component.create({ ...component.defaults, ...globalParameters(section, component), ...overrides } as never, context)) as ScoringSelector;
        },
      };
      let selector: Selector;
      try {
        selector = await plan.algorithm.create(plan.parameters as never, context);
      } catch (error) {
        problems.push({ path: plan.path, at: 'key', code: 'SY_CFG_SCHEMA', message: `algorithm ${plan.algorithm.type} of decision "${plan.decision.name}": ${(error as Error).message}` });
        continue;
      }
      if (selector.needsEmbedding) await embedderModel(selector.embedderDir);
      const learners: Learner[] = SELECTION_ALGORITHMS.filter((algorithm) => algorithm.learn !== undefined).map((algorithm) => ({
        algorithm,
        parameters: algorithm === plan.algorithm ? plan.parameters : { ...algorithm.defaults, ...globalParameters(section, algorithm) },
      }));
      decisions.set(plan.decision.name, {
        decision: plan.decision.name,
        algorithm: plan.algorithm.type,
        onError: plan.onError,
        selector,
        candidates: plan.candidates,
        learners,
        tokenTiming: plan.algorithm.type === 'latency_aware' && plan.parameters.tpot_percentile !== undefined,
      });
    }
  } catch (error) {
    releaseEmbedders();
    await lease.release();
    throw error;
  }
  if (problems.some((problem) => problem.severity !== 'warning')) {
    releaseEmbedders();
    await lease.release();
    return { problems };
  }
  const elo = findSelectionAlgorithm('elo')!;
  const ratingBase = { ...elo.defaults, ...globalParameters(section, elo) }.initial_rating as number;
  const api = { token: section.api.token, requireToken: section.api.require_token };
  return { selection: new ModelSelection(decisions, lease, embedders, api, ratingBase, looper.settings), problems };
}
