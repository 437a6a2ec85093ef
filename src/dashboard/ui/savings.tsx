import { useEffect, useState } from 'preact/hooks';
import { API, getJson } from './api.js';
import { Chart } from './chart.js';
import { money, ms, percent } from './format.js';
import type { SavingsSummary, SavingsTotals } from './types.js';

const WINDOWS = ['5m', '15m', '1h', '6h', '24h'];
const REFRESH_MS = 5000;

function Row({ name, totals, currency }: { readonly name: string; readonly totals: SavingsTotals; readonly currency: string }) {
  return (
    <tr>
      <td>{name}</td>
      <td>{totals.requests}</td>
      <td>{totals.costed === 0 ? '–' : money(totals.cost, currency)}</td>
      <td>{totals.costed === 0 ? '–' : money(totals.saved, currency)}</td>
      <td>{percent(totals.localShare)}</td>
      <td>{percent(totals.cacheHitRate)}</td>
      <td>{totals.blocked}</td>
      <td>{totals.errors}</td>
    </tr>
  );
}

function Breakdown({ title, rows, currency }: { readonly title: string; readonly rows: readonly (SavingsTotals & { readonly name: string })[]; readonly currency: string }) {
  return (
    <div>
      <h4>{title}</h4>
      <table class="grid">
        <thead>
          <tr><th /><th>requests</th><th>cost</th><th>saved</th><th>kept local</th><th>cache hits</th><th>blocked</th><th>errors</th></tr>
        </thead>
        <tbody>
          {rows.map((row) => <Row key={row.name} name={row.name} totals={row} currency={currency} />)}
        </tbody>
      </table>
    </div>
  );
}

/** Savings: cost, saved and the share kept local over a selectable window, by model and decision; cache and latency per stage. */
export function SavingsPage() {
  const [window, setWindow] = useState('15m');
  const [summary, setSummary] = useState<SavingsSummary | undefined>();
  const [error, setError] = useState('');

  useEffect(() => {
    const load = () => getJson<SavingsSummary>(`${API}/savings?window=${window}`).then(setSummary, (failure: Error) => setError(failure.message));
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [window]);

  if (summary === undefined) return <section class="page">{error === '' ? 'loading…' : <p class="error">{error}</p>}</section>;
  const { totals, currency, series } = summary;
  const times = series.map((bucket) => bucket.t);
  const costed = totals.costed > 0;
  return (
    <section class="page savings">
      <div class="actions">
        window:{' '}
        {WINDOWS.map((name) => (
          <button key={name} class={name === window ? 'on' : ''} onClick={() => setWindow(name)} data-window={name}>{name}</button>
        ))}
      </div>
      <div class="kpis">
        <div><b data-testid="kpi-requests">{totals.requests}</b>requests</div>
        <div><b>{costed ? money(totals.cost, currency) : '–'}</b>cost</div>
        <div><b>{costed ? money(totals.saved, currency) : '–'}</b>saved</div>
        <div><b>{percent(totals.localShare)}</b>kept local</div>
        <div><b>{percent(totals.cacheHitRate)}</b>cache hit rate ({totals.cacheHits})</div>
        <div><b>{totals.blocked}</b>blocked</div>
        <div><b>{totals.errors}</b>errors</div>
      </div>
      {costed ? null : <p class="muted">The request records carry no cost yet (cost accounting adds it per request); requests, local share, cache and latency are shown.</p>}
      <div class="charts">
        <Chart title="Requests and share kept local (%)" times={times} series={[
          { label: 'requests', values: series.map((bucket) => bucket.requests), color: '#3366cc' },
          { label: 'kept local %', values: series.map((bucket) => (bucket.requests === 0 ? null : bucket.localShare * 100)), color: '#2e9e5b' },
        ]} />
        <Chart title={`Cost and saved (${currency})`} times={times} series={[
          { label: 'cost', values: series.map((bucket) => bucket.cost), color: '#cc4433' },
          { label: 'saved', values: series.map((bucket) => bucket.saved), color: '#2e9e5b' },
        ]} />
        <Chart title="Latency p50 per stage (ms)" times={times} series={[
          { label: 'routing', values: series.map((bucket) => bucket.routingP50), color: '#8844cc' },
          { label: 'upstream', values: series.map((bucket) => bucket.upstreamP50), color: '#cc8833' },
        ]} />
      </div>
      <h4>Latency per stage</h4>
      <table class="grid">
        <thead><tr><th>stage</th><th>p50 ms</th><th>p95 ms</th><th>samples</th></tr></thead>
        <tbody>
          {Object.entries(summary.stages).map(([stage, latency]) => (
            <tr key={stage}><td>{stage}</td><td>{ms(latency.p50)}</td><td>{ms(latency.p95)}</td><td>{latency.samples}</td></tr>
          ))}
        </tbody>
      </table>
      <Breakdown title="By model" rows={summary.byModel.map((row) => ({ ...row, name: `${row.model}${row.free ? ' (free)' : ''}` }))} currency={currency} />
      <Breakdown title="By decision" rows={summary.byDecision.map((row) => ({ ...row, name: row.decision }))} currency={currency} />
    </section>
  );
}
