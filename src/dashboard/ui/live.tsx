import { useEffect, useState } from 'preact/hooks';
import { API, getJson } from './api.js';
import { Explanation } from './explanation.js';
import { clock, money, ms, recordNumber, signalList, tokens } from './format.js';
import type { RequestRecord, RoutingExplanation } from './types.js';

/** Rows the table keeps (newest first); older ones stay in the server's store for savings and replay. */
const KEPT_ROWS = 300;

interface Detail {
  readonly record: RequestRecord;
  readonly explanation: RoutingExplanation | null;
  readonly note: string;
}

function outcome(record: RequestRecord): string {
  if (record.entry.blocked) return 'block';
  if (record.entry.cached) return 'cache';
  return '';
}

/** Live traffic: recent requests streamed over SSE; a click on a row explains its routing. */
export function LivePage() {
  const [rows, setRows] = useState<readonly RequestRecord[]>([]);
  const [connected, setConnected] = useState(false);
  const [detail, setDetail] = useState<Detail | undefined>();
  const [error, setError] = useState('');

  useEffect(() => {
    let since = 0;
    let source: EventSource | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      source = new EventSource(`${API}/live?since=${since}`);
      source.onopen = () => setConnected(true);
      source.addEventListener('records', (event) => {
        const batch = JSON.parse((event as MessageEvent<string>).data) as RequestRecord[];
        if (batch.length === 0) return;
        since = batch[batch.length - 1]!.seq;
        setRows((previous) => [...batch.reverse(), ...previous].slice(0, KEPT_ROWS));
      });
      source.onerror = () => {
        setConnected(false);
        source?.close();
        retry = setTimeout(connect, 1000);
      };
    };
    connect();
    return () => {
      source?.close();
      clearTimeout(retry);
    };
  }, []);

  const open = (record: RequestRecord) => {
    setError('');
    getJson<Detail>(`${API}/explain-request?id=${encodeURIComponent(String(record.seq))}`).then(setDetail, (failure: Error) => setError(failure.message));
  };

  return (
    <section class="page live">
      <p class="status">
        <span class={connected ? 'dot on' : 'dot'} /> {connected ? 'streaming' : 'connecting…'} · {rows.length} requests shown
      </p>
      {error === '' ? null : <p class="error">{error}</p>}
      <div class="split">
        <table class="grid live-table">
          <thead>
            <tr>
              <th>time</th><th>decision</th><th>model</th><th>signals</th><th>cache/block</th><th>tokens</th><th>cost</th><th>routing ms</th><th>upstream ms</th><th>status</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((record) => (
              <tr key={record.seq} data-seq={record.seq} data-request-id={record.entry.requestId ?? ''} class={detail?.record.seq === record.seq ? 'selected' : ''} onClick={() => open(record)}>
                <td>{clock(record.time)}</td>
                <td class="decision">{record.entry.decision ?? '–'}</td>
                <td>{record.entry.model ?? '–'}</td>
                <td>{signalList(record.entry.signals)}</td>
                <td>{outcome(record)}</td>
                <td>{tokens(record)}</td>
                <td>{money(recordNumber(record, 'cost'), '')}</td>
                <td>{ms(record.entry.routingMs)}</td>
                <td>{ms(record.entry.upstreamMs)}</td>
                <td class={record.entry.status !== null && record.entry.status < 400 ? 'ok' : 'bad'}>{record.entry.status ?? 'cut'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {detail === undefined ? null : (
          <aside class="detail" data-testid="request-detail">
            <button class="close" onClick={() => setDetail(undefined)}>×</button>
            <h3>Request {detail.record.entry.requestId ?? detail.record.seq}</h3>
            <p>
              {detail.record.entry.method} {detail.record.entry.path} → <b>{detail.record.entry.decision ?? 'no decision'}</b> / {detail.record.entry.model ?? '–'} (status {detail.record.entry.status ?? 'cut'})
            </p>
            {detail.record.entry.prompt === undefined ? null : <pre class="prompt">{detail.record.entry.prompt}</pre>}
            {detail.record.entry.selection === undefined ? null : (
              <p>Selection: {detail.record.entry.selection.algorithm}, {detail.record.entry.selection.reason}</p>
            )}
            <p class="muted">{detail.note}</p>
            {detail.explanation === null ? <p>Matched signals: {signalList(detail.record.entry.signals) || 'none'}</p> : <Explanation explanation={detail.explanation} />}
          </aside>
        )}
      </div>
    </section>
  );
}
