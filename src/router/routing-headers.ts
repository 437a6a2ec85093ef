import type { RoutingTrace } from './route-result.js';

/** Header suffix per signal type, as Athena names them (`x-vsr-matched-keywords`…). */
const MATCHED_HEADER_SUFFIX: Readonly<Record<string, string>> = {
  keyword: 'keywords',
  context: 'context',
  embedding: 'embeddings',
  domain: 'domains',
  complexity: 'complexity',
  jailbreak: 'jailbreak',
  pii: 'pii',
  language: 'language',
  authz: 'authz',
};

/** `x-vsr-matched-…` header name of a signal type; a type missing from the table uses its own name. */
function matchedSignalHeader(type: string): string {
  return `x-vsr-matched-${MATCHED_HEADER_SUFFIX[type] ?? type.replaceAll('_', '-')}`;
}

/** A message as a header value: printable ASCII only, at most 200 characters. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}

/**
 * The `x-vsr-*` response headers that explain a routing. `x-vsr-selected-decision` is
 * omitted when no decision chose the model (default fallback or explicit model) rather
 * than invented, so a client can tell "default-route matched" from "nothing matched".
 * `x-vsr-selected-reasoning` is omitted when the router left reasoning to the client.
 */
export function routingResponseHeaders(
  trace: RoutingTrace,
  reasoningDecided: boolean,
): (readonly [string, string])[] {
  const headers: (readonly [string, string])[] = [['x-vsr-selected-model', trace.model]];
  if (trace.decision !== null) headers.push(['x-vsr-selected-decision', trace.decision]);
  headers.push(['x-vsr-selected-confidence', trace.confidence.toFixed(4)]);
  for (const [type, names] of Object.entries(trace.signals)) {
    if (names.length > 0) headers.push([matchedSignalHeader(type), names.join(',')]);
  }
  if (reasoningDecided) headers.push(['x-vsr-selected-reasoning', trace.reasoning ? 'on' : 'off']);
  if (trace.selection !== undefined) {
    headers.push(['x-vsr-selection-algorithm', trace.selection.algorithm], ['x-vsr-selection-reason', trace.selection.reason]);
    if (trace.selection.error !== undefined) headers.push(['x-vsr-selection-error', headerSafe(trace.selection.error)]);
  }
  headers.push(['x-vsr-cache-hit', 'false']);
  return headers;
}
