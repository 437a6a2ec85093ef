import type { RoutingExplanation } from './types.js';

function score(value: number): string {
  return value.toFixed(3);
}

/** The whole routing explanation: each signal against its threshold, each decision's rule, the selection step. */
export function Explanation({ explanation }: { readonly explanation: RoutingExplanation }) {
  return (
    <div class="explanation">
      <h4>Signals</h4>
      {explanation.signals.length === 0 ? (
        <p class="muted">No decision references a signal.</p>
      ) : (
        <table class="grid">
          <thead>
            <tr><th>signal</th><th>matched</th><th>score</th><th>threshold</th><th>detail</th></tr>
          </thead>
          <tbody>
            {explanation.signals.map((signal) => (
              <tr key={signal.id} class={signal.matched ? 'yes' : 'no'} data-signal={signal.id}>
                <td>{signal.id}</td>
                <td>{signal.matched ? '✓' : '✗'}</td>
                <td>{signal.value === undefined ? score(signal.confidence) : score(signal.value)}</td>
                <td>{signal.threshold === undefined ? '–' : score(signal.threshold)}</td>
                <td>
                  {signal.error !== undefined ? `failed: ${signal.error}` : ''}
                  {signal.topLabels?.map((label) => `${label.label} ${score(label.score)}`).join(', ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h4>Decisions (tried in this order)</h4>
      <ol class="decisions">
        {explanation.decisions.map((decision) => (
          <li key={decision.name} class={decision.chosen ? 'chosen' : decision.matched ? 'matched' : 'unmatched'} data-decision={decision.name}>
            <b>{decision.name}</b> <span class="muted">priority {decision.priority}</span>: {decision.why}
            <code class="rule">{decision.rule}</code>
          </li>
        ))}
      </ol>
      {explanation.fallbackModel === undefined ? null : <p>No decision matched: default model <b>{explanation.fallbackModel}</b> takes the request.</p>}
      {explanation.selection === undefined ? null : (
        <p class="selection">
          Model selection ({explanation.selection.algorithm} over {explanation.selection.candidates.join(', ')}): <b>{explanation.selection.model}</b>, {explanation.selection.reason}
          {explanation.selection.error === undefined ? '' : ` (selector failed: ${explanation.selection.error})`}
        </p>
      )}
    </div>
  );
}
