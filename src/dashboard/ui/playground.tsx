import { useRef, useState } from 'preact/hooks';
import { API, postJson, postStream } from './api.js';
import { Explanation } from './explanation.js';
import { signalList } from './format.js';
import type { RouteLine, RoutingExplanation } from './types.js';

/** A prompt, or a pasted conversation (a JSON array of messages, or an object with `messages`). */
function toBody(text: string): { prompt: string } | { messages: unknown[] } {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed)) return { messages: parsed };
      const messages = (parsed as { messages?: unknown }).messages;
      if (Array.isArray(messages)) return { messages };
    } catch {
      // Not JSON: it is a prompt that starts with a bracket.
    }
  }
  return { prompt: text };
}

/** Reads an SSE chat completion and hands each content delta to `onText`. */
async function readStream(response: Response, onText: (text: string) => void): Promise<void> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const events = buffer.split('\n\n');
    buffer = events.pop() ?? '';
    for (const event of events) {
      const data = event.split('\n').find((line) => line.startsWith('data:'))?.slice(5).trim();
      if (data === undefined || data === '[DONE]') continue;
      const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string } }[] };
      const text = chunk.choices?.[0]?.delta?.content;
      if (text !== undefined) onText(text);
    }
  }
}

/** Playground: explain a route without calling a model, then optionally send it and watch the answer stream. */
export function PlaygroundPage({ writable }: { readonly writable: boolean }) {
  const [text, setText] = useState('Prove that the square root of 2 is irrational.');
  const [result, setResult] = useState<{ route: RouteLine; explanation: RoutingExplanation } | undefined>();
  const [answer, setAnswer] = useState('');
  const [headers, setHeaders] = useState<[string, string][]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController | undefined>(undefined);

  const explain = () => {
    setError('');
    setBusy(true);
    postJson<{ route: RouteLine; explanation: RoutingExplanation }>(`${API}/explain`, toBody(text))
      .then(setResult, (failure: Error) => setError(failure.message))
      .finally(() => setBusy(false));
  };

  const send = async () => {
    setError('');
    setAnswer('');
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    try {
      const response = await postStream(`${API}/send`, toBody(text), controller.signal);
      setHeaders([...response.headers].filter(([name]) => name.startsWith('x-vsr-')));
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
        throw new Error(`${response.status}: ${body.error?.message ?? response.statusText}`);
      }
      if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) await readStream(response, (delta) => setAnswer((previous) => previous + delta));
      else setAnswer(JSON.stringify(await response.json(), null, 2));
    } catch (failure) {
      if (!controller.signal.aborted) setError((failure as Error).message);
    }
  };

  return (
    <section class="page playground">
      <label for="playground-input">Prompt, or a conversation as JSON (an array of messages)</label>
      <textarea id="playground-input" rows={6} value={text} onInput={(event) => setText((event.target as HTMLTextAreaElement).value)} />
      <div class="actions">
        <button id="explain" onClick={explain} disabled={busy}>Explain route</button>
        <button id="send" onClick={() => void send()} disabled={!writable} title={writable ? 'send through the gateway' : 'needs the write token'}>Send through the gateway</button>
      </div>
      {error === '' ? null : <p class="error">{error}</p>}
      {result === undefined ? null : (
        <div class="route-result" data-testid="route-result">
          <p class="route-line">
            decision <b data-testid="route-decision">{result.route.decision ?? 'none'}</b> → model <b data-testid="route-model">{result.route.model}</b>
            {result.route.blocked ? ' (blocked)' : ''}
            {result.route.reasoning ? ' · reasoning on' : ''} · {result.route.latency_ms} ms · signals: {signalList(result.route.signals) || 'none'}
          </p>
          <Explanation explanation={result.explanation} />
        </div>
      )}
      {answer === '' && headers.length === 0 ? null : (
        <div class="answer">
          <h4>Answer</h4>
          <p class="muted">{headers.map(([name, value]) => `${name}: ${value}`).join(' · ')}</p>
          <pre data-testid="answer">{answer}</pre>
        </div>
      )}
    </section>
  );
}
