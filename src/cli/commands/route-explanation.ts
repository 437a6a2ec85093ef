import type { RuntimeConfig } from '../../config/runtime-config.js';
import { explainDecisions, type DecisionExplanation } from '../../decisions/explain-decisions.js';
import { parseChatRequest } from '../../router/chat-request.js';
import type { SelectionTrace } from '../../router/route-result.js';
import type { SignalResult } from '../../signals/signal.js';

function score(value: number): string {
  return value.toFixed(3);
}

/** One signal result as a line: mark, score against its threshold, a classifier's best labels. */
function signalLine(id: string, result: SignalResult): string {
  const parts = [`${id}  ${result.matched ? '✓' : '✗'}`];
  if (result.error !== undefined) parts.push(`failed: ${result.error}`);
  else if (result.value !== undefined && result.threshold !== undefined) {
    parts.push(`${score(result.value)} ${result.value >= result.threshold ? '>=' : '<'} threshold ${score(result.threshold)}`);
  } else if (result.value !== undefined) parts.push(`value ${score(result.value)}`);
  if (result.topLabels !== undefined && result.topLabels.length > 0) {
    parts.push(`top labels: ${result.topLabels.map((entry) => `${entry.label} ${score(entry.score)}`).join(', ')}`);
  }
  return `    ${parts.join('  ')}`;
}

/** The reasons behind one routing, as data: what `route --explain` prints and the dashboard shows. */
export interface RoutingExplanation {
  /** Every evaluated signal, in evaluation order, with its `type:name` id. */
  readonly signals: readonly (SignalResult & { readonly id: string })[];
  /** Every decision in the order they are tried, its rule marked condition by condition. */
  readonly decisions: readonly DecisionExplanation[];
  /** Set when no decision matched: the default model that takes the request. */
  readonly fallbackModel?: string;
  /** The winning decision's selection algorithm, its candidates, choice and reason. */
  readonly selection?: SelectionTrace & { readonly candidates: readonly string[] };
}

/**
 * Explains one routing: evaluates every signal and every decision of `config` for the request.
 * Signals run again here, outside the request path; they are deterministic, so they agree with
 * the routing `routed` describes.
 */
export async function explainRoute(
  config: RuntimeConfig,
  body: Buffer,
  headers: ReadonlyMap<string, string>,
  routed: { readonly decision: string | null; readonly selection?: SelectionTrace | undefined },
): Promise<RoutingExplanation> {
  const request = await parseChatRequest(body, headers);
  const signals = await config.signals.evaluate(request.view, new AbortController().signal);
  const decisions = explainDecisions(config.decisions, signals);
  const { selection, decision } = routed;
  const candidates = decision === null ? [] : (config.selection?.forDecision(decision)?.candidates.map((candidate) => candidate.target.name) ?? []);
  return {
    signals: [...signals].map(([id, result]) => ({ id, ...result })),
    decisions,
    ...(decisions.some((explained) => explained.chosen) ? {} : { fallbackModel: config.defaultModel }),
    ...(selection === undefined || decision === null ? {} : { selection: { ...selection, candidates } }),
  };
}

/**
 * The human-readable reasons behind one routing, printed by `route --explain` under the prompt's
 * JSON line: every evaluated signal (score against threshold, a classifier's best labels), then
 * every decision in the order they are tried, with its rule marked condition by condition.
 */
export async function explainRouting(
  config: RuntimeConfig,
  body: Buffer,
  headers: ReadonlyMap<string, string>,
  routed: { readonly decision: string | null; readonly selection?: SelectionTrace | undefined },
): Promise<string> {
  const explained = await explainRoute(config, body, headers, routed);
  const signals = explained.signals.length === 0 ? ['    (no decision references a signal)'] : explained.signals.map((result) => signalLine(result.id, result));
  const decisions = explained.decisions.flatMap((decision) => [`    ${decision.name} (priority ${decision.priority}): ${decision.why}`, `      ${decision.rule}`]);
  const fallback = explained.fallbackModel === undefined ? [] : [`    no decision matched: default_model "${explained.fallbackModel}" takes the request`];
  return ['  signals:', ...signals, '  decisions (tried in this order):', ...decisions, ...fallback, ...selectionLines(explained.selection), ''].join('\n');
}

/** How the winning decision's algorithm chose among its modelRefs (the choice printed in the line above). */
function selectionLines(selection: RoutingExplanation['selection']): string[] {
  if (selection === undefined) return [];
  const failed = selection.error === undefined ? '' : ` (selector failed: ${selection.error})`;
  return [`  model selection (${selection.algorithm} over ${selection.candidates.join(', ')}): ${selection.model}, ${selection.reason}${failed}`];
}
