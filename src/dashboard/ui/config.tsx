import { useEffect, useRef, useState } from 'preact/hooks';
import { API, getJson, postJson } from './api.js';
import type { ApplyOutcome, ConfigCheck, Diagnostic, RunningConfig } from './types.js';

const CHECK_DELAY_MS = 300;

/** The editor: a textarea with a line gutter that marks each line holding a diagnostic. */
function Editor({ text, diagnostics, onInput, readOnly }: { readonly text: string; readonly diagnostics: readonly Diagnostic[]; readonly onInput?: (text: string) => void; readonly readOnly?: boolean }) {
  const gutter = useRef<HTMLDivElement>(null);
  const byLine = new Map<number, Diagnostic[]>();
  for (const diagnostic of diagnostics) byLine.set(diagnostic.line, [...(byLine.get(diagnostic.line) ?? []), diagnostic]);
  const lines = text.split('\n').length;
  return (
    <div class="editor">
      <div class="gutter" ref={gutter}>
        {Array.from({ length: lines }, (_, index) => {
          const here = byLine.get(index + 1);
          const severity = here === undefined ? '' : here.some((diagnostic) => diagnostic.severity === 'error') ? 'error' : 'warning';
          return (
            <div key={index} class={`gutter-line ${severity}`} data-line={index + 1} title={here?.map((diagnostic) => `${diagnostic.code}: ${diagnostic.message}`).join('\n')}>
              {severity === 'error' ? '✖' : severity === 'warning' ? '⚠' : ''} {index + 1}
            </div>
          );
        })}
      </div>
      <textarea
        spellcheck={false}
        readOnly={readOnly}
        value={text}
        onInput={(event) => onInput?.((event.target as HTMLTextAreaElement).value)}
        onScroll={(event) => {
          if (gutter.current !== null) gutter.current.scrollTop = (event.target as HTMLTextAreaElement).scrollTop;
        }}
      />
    </div>
  );
}

function DiagnosticList({ diagnostics }: { readonly diagnostics: readonly Diagnostic[] }) {
  if (diagnostics.length === 0) return <p class="ok" data-testid="config-valid">No problems.</p>;
  return (
    <ul class="diagnostics" data-testid="diagnostics">
      {diagnostics.map((diagnostic, index) => (
        <li key={index} class={diagnostic.severity} data-line={diagnostic.line}>
          line {diagnostic.line}:{diagnostic.col} <b>{diagnostic.code}</b> {diagnostic.message}
        </li>
      ))}
    </ul>
  );
}

/** Config: the running file with its diagnostics, an editor validated as you type, apply with a diff, rollback, the DSL view. */
export function ConfigPage({ writable }: { readonly writable: boolean }) {
  const [running, setRunning] = useState<RunningConfig | undefined>();
  const [text, setText] = useState('');
  const [check, setCheck] = useState<ConfigCheck | undefined>();
  const [confirming, setConfirming] = useState(false);
  const [view, setView] = useState<'yaml' | 'dsl'>('yaml');
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const checkSeq = useRef(0);

  const load = () =>
    getJson<RunningConfig>(`${API}/config`).then((config) => {
      setRunning(config);
      setText(config.text);
      setCheck(undefined);
    }, (failure: Error) => setError(failure.message));
  useEffect(() => void load(), []);

  useEffect(() => {
    if (running === undefined || text === running.text) {
      setCheck(undefined);
      return;
    }
    const seq = ++checkSeq.current;
    const timer = setTimeout(() => {
      postJson<ConfigCheck>(`${API}/config/check`, { text }).then(
        (result) => {
          if (seq === checkSeq.current) setCheck(result);
        },
        (failure: Error) => setError(failure.message),
      );
    }, CHECK_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, running]);

  const outcome = (result: Promise<ApplyOutcome>, verb: string) => {
    setError('');
    setMessage(`${verb}…`);
    result.then(
      (done) => {
        setConfirming(false);
        setMessage(done.status === 'applied' ? `${verb}: version ${done.version.slice(0, 12)} in force (${done.applied.join(', ') || 'no live section changed'})${done.restartRequired.length === 0 ? '' : `; needs a restart: ${done.restartRequired.map((change) => change.field).join(', ')}`}` : 'message' in done ? done.message : verb);
        void load();
      },
      (failure: Error & { body?: { diagnostics?: Diagnostic[] } }) => {
        setMessage('');
        setError(failure.message);
      },
    );
  };

  if (running === undefined) return <section class="page">{error === '' ? 'loading…' : <p class="error">{error}</p>}</section>;
  const edited = text !== running.text;
  const diagnostics = check?.diagnostics ?? (edited ? [] : running.diagnostics);
  const canApply = writable && edited && check?.valid === true;
  return (
    <section class="page config">
      <p class="muted">
        {running.path} · version <code data-testid="config-version">{running.version.slice(0, 12)}</code> · {running.history} earlier version(s) to roll back to
      </p>
      <div class="actions">
        <button class={view === 'yaml' ? 'on' : ''} onClick={() => setView('yaml')}>YAML</button>
        <button class={view === 'dsl' ? 'on' : ''} onClick={() => setView('dsl')} id="dsl-view">DSL</button>
        <span class="spacer" />
        <span data-testid="check-state">{!edited ? 'unchanged' : check === undefined ? 'checking…' : check.valid ? 'valid' : 'invalid'}</span>
        <button id="apply" disabled={!canApply} onClick={() => setConfirming(true)} title={writable ? '' : 'needs the write token'}>Apply…</button>
        <button id="rollback" disabled={!writable || running.history === 0} onClick={() => outcome(postJson<ApplyOutcome>(`${API}/config/rollback`, {}), 'rolled back')}>Roll back</button>
        <button onClick={() => setText(running.text)} disabled={!edited}>Discard edits</button>
      </div>
      {message === '' ? null : <p class="message" data-testid="config-message">{message}</p>}
      {error === '' ? null : <p class="error" data-testid="config-error">{error}</p>}
      {view === 'dsl' ? (
        running.dsl === null ? <DiagnosticList diagnostics={running.dslDiagnostics} /> : <pre class="dsl" data-testid="dsl">{running.dsl}</pre>
      ) : (
        <>
          <Editor text={text} diagnostics={diagnostics} onInput={setText} />
          <DiagnosticList diagnostics={diagnostics} />
        </>
      )}
      {confirming && check !== undefined ? (
        <div class="confirm" data-testid="apply-confirm">
          <h4>Apply this change?</h4>
          <p>
            Applies for new requests: {check.applied?.join(', ') || 'no live section'}
            {check.restartRequired !== undefined && check.restartRequired.length > 0 ? `; needs a restart: ${check.restartRequired.map((change) => change.field).join(', ')}` : ''}
          </p>
          <pre class="diff">
            {check.diff.filter((line) => line.op !== ' ').map((line, index) => (
              <div key={index} class={line.op === '+' ? 'add' : 'del'}>{`${line.op} ${line.line}: ${line.text}`}</div>
            ))}
          </pre>
          <button id="confirm-apply" onClick={() => outcome(postJson<ApplyOutcome>(`${API}/config/apply`, { text }), 'applied')}>Apply now</button>
          <button onClick={() => setConfirming(false)}>Cancel</button>
        </div>
      ) : null}
    </section>
  );
}
