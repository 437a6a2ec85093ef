import { Component } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { API, getJson } from './api.js';
import { Explanation } from './explanation.js';
import { clock, money, ms, signalList, tokens } from './format.js';
import type { LiveBatch, LiveRow, RequestRecord, RoutingExplanation } from './types.js';

/**
 * Rows the table keeps (newest first), the feed's per-event bound too; older requests stay in the
 * server's store for savings and replay. Bounded so that 1,000 req/s costs the browser the same as 100.
 */
const KEPT_ROWS = 100;
/** The request rate shown is over this window. */
const RATE_WINDOW_MS = 5000;

interface Detail {
  readonly record: RequestRecord;
  readonly explanation: RoutingExplanation | null;
  readonly note: string;
}

function outcome(row: LiveRow): string {
  if (row.blocked) return 'block';
  if (row.cached) return 'cache';
  return '';
}

interface RowProps {
  readonly row: LiveRow;
  readonly selected: boolean;
}

/** One request's row; rendered once, then only again when its selection changes. */
class Row extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    return next.row !== this.props.row || next.selected !== this.props.selected;
  }

  override render({ row, selected }: RowProps) {
    return (
      <tr data-seq={row.seq} data-request-id={row.requestId ?? ''} class={selected ? 'selected' : ''}>
        <td>{clock(row.time)}</td>
        <td class="decision" title={row.decision ?? ''}>{row.decision ?? '–'}</td>
        <td title={row.model ?? ''}>{row.model ?? '–'}</td>
        <td title={signalList(row.signals)}>{signalList(row.signals)}</td>
        <td>{outcome(row)}</td>
        <td>{tokens(row.promptTokens, row.completionTokens)}</td>
        <td>{money(row.cost ?? undefined, '')}</td>
        <td>{ms(row.routingMs)}</td>
        <td>{ms(row.upstreamMs)}</td>
        <td class={row.status !== null && row.status < 400 ? 'ok' : 'bad'}>{row.status ?? 'cut'}</td>
      </tr>
    );
  }
}

/** What the feed has delivered since the page opened. */
interface Tally {
  readonly rate: number;
  readonly seen: number;
  readonly skipped: number;
}

/**
 * Live traffic: the newest requests, streamed over SSE as compact rows in batches (the server
 * sends at most {@link KEPT_ROWS} per event, every 500 ms). Arriving rows are folded into the
 * table at most once per animation frame, so a busy gateway costs one bounded render per batch
 * and a hidden tab nothing. A click on a row fetches its full record and routing explanation.
 */
export function LivePage() {
  const [rows, setRows] = useState<readonly LiveRow[]>([]);
  const [tally, setTally] = useState<Tally>({ rate: 0, seen: 0, skipped: 0 });
  const [connected, setConnected] = useState(false);
  const [detail, setDetail] = useState<Detail | undefined>();
  const [error, setError] = useState('');

  useEffect(() => {
    let since = 0;
    let source: EventSource | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let frame: number | undefined;
    let table: readonly LiveRow[] = [];
    // Rows arrived but not rendered yet, newest first, bounded like the table.
    let arrived: LiveRow[] = [];
    const counted: { at: number; count: number }[] = [];
    let seen = 0;
    let skipped = 0;
    const render = () => {
      frame = undefined;
      table = arrived.length >= KEPT_ROWS ? arrived : [...arrived, ...table].slice(0, KEPT_ROWS);
      arrived = [];
      const now = performance.now();
      const span = counted.length < 2 ? RATE_WINDOW_MS : Math.max(1000, now - counted[0]!.at);
      setRows(table);
      setTally({ rate: (counted.reduce((sum, entry) => sum + entry.count, 0) * 1000) / span, seen, skipped });
    };
    const connect = () => {
      let first = true;
      source = new EventSource(`${API}/live?since=${since}`);
      source.onopen = () => setConnected(true);
      source.addEventListener('records', (event) => {
        const batch = JSON.parse((event as MessageEvent<string>).data) as LiveBatch;
        seen += batch.count;
        skipped += batch.skipped ?? 0;
        // The first event after (re)connecting is the stored backlog, not the current rate.
        const now = performance.now();
        if (!first) counted.push({ at: now, count: batch.count });
        first = false;
        while (counted.length > 0 && counted[0]!.at < now - RATE_WINDOW_MS) counted.shift();
        if (batch.rows.length > 0) {
          since = batch.rows[batch.rows.length - 1]!.seq;
          arrived = [...batch.rows].reverse().concat(arrived).slice(0, KEPT_ROWS);
        }
        frame ??= requestAnimationFrame(render);
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
      if (frame !== undefined) cancelAnimationFrame(frame);
    };
  }, []);

  // One listener for the whole table: a click finds its row's seq.
  const open = (event: MouseEvent) => {
    const row = (event.target as Element).closest('tr[data-seq]');
    if (row === null) return;
    setError('');
    getJson<Detail>(`${API}/explain-request?id=${encodeURIComponent(row.getAttribute('data-seq')!)}`).then(setDetail, (failure: Error) => setError(failure.message));
  };

  return (
    <section class="page live">
      <p class="status">
        <span class={connected ? 'dot on' : 'dot'} /> {connected ? 'streaming' : 'connecting…'} · <span data-testid="live-rate">{Math.round(tally.rate)}</span> req/s ·{' '}
        <span data-testid="live-seen">{tally.seen}</span> requests seen, newest {rows.length} shown
        {tally.skipped > 0 ? ` (${tally.skipped} not listed)` : ''}
      </p>
      {error === '' ? null : <p class="error">{error}</p>}
      <div class="split">
        <table class="grid live-table">
          <colgroup>
            <col class="time" /><col class="name" /><col class="name" /><col class="signals" /><col class="number" /><col class="number" /><col class="number" /><col class="number" /><col class="number" /><col class="number" />
          </colgroup>
          <thead>
            <tr>
              <th>time</th><th>decision</th><th>model</th><th>signals</th><th>cache/block</th><th>tokens</th><th>cost</th><th>routing ms</th><th>upstream ms</th><th>status</th>
            </tr>
          </thead>
          <tbody onClick={open}>
            {rows.map((row) => (
              <Row key={row.seq} row={row} selected={detail?.record.seq === row.seq} />
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
