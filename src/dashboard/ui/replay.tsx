import { useState } from 'preact/hooks';
import { API, getJson, postJson } from './api.js';
import { clock } from './format.js';
import type { ReplayResult, RunningConfig } from './types.js';

/** Replay: stored requests routed again against the current or an edited config; changed routes stand out. */
export function ReplayPage({ writable, promptsRecorded }: { readonly writable: boolean; readonly promptsRecorded: boolean }) {
  const [edited, setEdited] = useState<string | undefined>();
  const [limit, setLimit] = useState(200);
  const [result, setResult] = useState<(ReplayResult & { against: string }) | undefined>();
  const [error, setError] = useState('');
  const [onlyChanged, setOnlyChanged] = useState(false);

  const run = (config: string | undefined) => {
    setError('');
    postJson<ReplayResult & { against: string }>(`${API}/replay`, { limit, ...(config === undefined ? {} : { config }) }).then(setResult, (failure: Error) => setError(failure.message));
  };
  const editCopy = () => getJson<RunningConfig>(`${API}/config`).then((config) => setEdited(config.text), (failure: Error) => setError(failure.message));

  return (
    <section class="page replay">
      {promptsRecorded ? null : <p class="muted">Prompts are recorded only with <code>router.log_prompts: true</code>; requests without one are listed but cannot be replayed.</p>}
      <div class="actions">
        last <input type="number" min={1} max={2000} value={limit} onInput={(event) => setLimit(Number((event.target as HTMLInputElement).value))} /> requests
        <button id="replay-current" disabled={!writable} onClick={() => run(undefined)}>Replay against the current config</button>
        <button onClick={() => void editCopy()}>Edit a copy of the config…</button>
        {edited === undefined ? null : <button id="replay-edited" disabled={!writable} onClick={() => run(edited)}>Replay against the edited copy</button>}
        <label><input type="checkbox" checked={onlyChanged} onChange={(event) => setOnlyChanged((event.target as HTMLInputElement).checked)} /> only changed</label>
      </div>
      {edited === undefined ? null : <textarea class="replay-config" rows={12} spellcheck={false} value={edited} onInput={(event) => setEdited((event.target as HTMLTextAreaElement).value)} />}
      {error === '' ? null : <p class="error">{error}</p>}
      {result === undefined ? null : (
        <>
          <p data-testid="replay-summary">
            Against the {result.against} config: {result.replayed} replayed, <b>{result.changed} would change</b>, {result.withoutPrompt} without a recorded prompt.
          </p>
          <table class="grid">
            <thead><tr><th>time</th><th>request</th><th>recorded</th><th>now</th><th>note</th></tr></thead>
            <tbody>
              {result.rows.filter((row) => !onlyChanged || row.changed).map((row) => (
                <tr key={row.seq} class={row.changed ? 'changed' : ''}>
                  <td>{clock(row.time)}</td>
                  <td title={row.prompt}>{row.requestId ?? row.seq}</td>
                  <td>{row.recorded.decision ?? '–'} / {row.recorded.model ?? '–'}</td>
                  <td>{row.replayed === null ? '–' : `${row.replayed.decision ?? '–'} / ${row.replayed.model}${row.replayed.blocked ? ' (blocked)' : ''}`}</td>
                  <td>{row.note ?? (row.changed ? 'route changes' : '')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
