import type { RuntimeConfig } from '../../config/runtime-config.js';
import { explainDecisions } from '../../decisions/explain-decisions.js';
import { parseChatRequest } from '../../router/chat-request.js';
import type { SelectionTrace } from '../../router/route-result.js';
import type { SignalResult, SignalSet } from '../../signals/signal.js';

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

function signalLines(signals: SignalSet): string[] {
  if (signals.size === 0) return ['    (no decision references a signal)'];
  return [...signals].map(([id, result]) => signalLine(id, result));
}

/**
 * The human-readable reasons behind one routing, printed by `route --explain` under the prompt's
 * JSON line: every evaluated signal (score against threshold, a classifier's best labels), then
 * every decision in the order they are tried, with its rule marked condition by condition.
 * Signals run again here, outside the request path; they are deterministic, so they agree with
 * the routing printed above.
 */
export async function explainRouting(
  config: RuntimeConfig,
  body: Buffer,
  headers: ReadonlyMap<string, string>,
  routed: { readonly decision: string | null; readonly selection?: SelectionTrace | undefined },
): Promise<string> {
  const request = await parseChatRequest(body, headers);
  const signals = await config.signals.evaluate(request.view, new AbortController().signal);
  const explained = explainDecisions(config.decisions, signals);
  const decisions = explained.flatMap((decision) => [`    ${decision.name} (priority ${decision.priority}): ${decision.why}`, `      ${decision.rule}`]);
  const fallback = explained.some((decision) => decision.chosen) ? [] : [`    no decision matched: default_model "${config.defaultModel}" takes the request`];
  return ['  signals:', ...signalLines(signals), '  decisions (tried in this order):', ...decisions, ...fallback, ...selectionLines(config, routed), ''].join('\n');
}

/** How the winning decision's algorithm chose among its modelRefs (the choice printed in the line above). */
function selectionLines(config: RuntimeConfig, routed: { readonly decision: string | null; readonly selection?: SelectionTrace | undefined }): string[] {
  const { selection, decision } = routed;
  if (selection === undefined || decision === null) return [];
  const candidates = config.selection?.forDecision(decision)?.candidates.map((candidate) => candidate.target.name) ?? [];
  const failed = selection.error === undefined ? '' : ` (selector failed: ${selection.error})`;
  return [`  model selection (${selection.algorithm} over ${candidates.join(', ')}): ${selection.model}, ${selection.reason}${failed}`];
}
