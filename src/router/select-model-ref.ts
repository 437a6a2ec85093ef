import type { RuntimeConfig } from '../config/runtime-config.js';
import type { DecisionSpec, ModelRef } from '../decisions/decision.js';
import { RouterError } from '../errors.js';
import type { SignalSet } from '../signals/signal.js';
import type { ChatRequest } from './chat-request.js';
import type { SelectionTrace } from './route-result.js';

/** The chosen modelRef of a matched decision and how it was chosen. */
export interface ModelChoice {
  readonly ref: ModelRef | undefined;
  readonly selection: SelectionTrace | undefined;
}

/** The identity header Athena's authz reads; also keys personalised bandits. */
const USER_ID_HEADER = 'x-authz-user-id';

/** The category a request's category-scoped state lives under: its matched domain, else the decision. */
function categoryOf(signals: SignalSet, decision: string): string {
  for (const result of signals.values()) if (result.type === 'domain' && result.matched) return result.name;
  return decision;
}

function userIdOf(request: ChatRequest): string | undefined {
  const header = request.view.headers.get(USER_ID_HEADER);
  if (header !== undefined && header !== '') return header;
  const user = request.json.user;
  return typeof user === 'string' && user !== '' ? user : undefined;
}

/**
 * The candidate model of a matched decision, chosen by the decision's selection algorithm
 * (src/selection). A selector that throws falls back to the first modelRef under `on_error: skip`
 * and fails the request under `on_error: fail`. Undefined ref when the decision lists none.
 */
export async function selectModelRef(config: RuntimeConfig, decision: DecisionSpec, request: ChatRequest, signals: SignalSet, random: () => number): Promise<ModelChoice> {
  const compiled = config.selection?.forDecision(decision.name);
  const first = decision.modelRefs[0];
  if (compiled === undefined || first === undefined) return { ref: first, selection: undefined };
  try {
    const embedding = compiled.selector.needsEmbedding ? await config.selection!.embed(request.view.lastUserText, compiled.selector.embedderDir) : undefined;
    const choice = compiled.selector.select(
      { decision: decision.name, category: categoryOf(signals, decision.name), userId: userIdOf(request), text: request.view.lastUserText, embedding, random },
      compiled.candidates,
    );
    const ref = compiled.candidates[choice.index]!.ref;
    return { ref, selection: { algorithm: compiled.algorithm, model: ref.model, reason: choice.reason } };
  } catch (error) {
    const message = (error as Error).message;
    if (compiled.onError === 'fail') throw new RouterError('SY_ERR_SELECTION_FAILED', `model selection (${compiled.algorithm}) failed for decision "${decision.name}": ${message}`);
    return { ref: first, selection: { algorithm: compiled.algorithm, model: first.model, reason: 'selection failed: first modelRef', error: message } };
  }
}
