import { useEffect, useState } from 'preact/hooks';
import { getJson, API } from './api.js';
import { ms } from './format.js';
import type { ModelsView } from './types.js';

interface Rating {
  readonly model: string;
  readonly rating: number;
  readonly games: number;
}
interface Ratings {
  readonly initial_rating: number;
  readonly global: readonly Rating[];
  readonly categories: Readonly<Record<string, readonly Rating[]>>;
}
interface Posterior {
  readonly alpha: number;
  readonly beta: number;
  readonly mean: number;
}
interface RlState {
  readonly store: string;
  readonly decisions: Readonly<Record<string, { readonly algorithm: string; readonly models: Readonly<Record<string, Posterior>> }>>;
}

function RatingTable({ title, ratings }: { readonly title: string; readonly ratings: readonly Rating[] }) {
  return (
    <div>
      <h5>{title}</h5>
      <table class="grid">
        <thead><tr><th>model</th><th>Elo</th><th>games</th></tr></thead>
        <tbody>{ratings.map((rating) => <tr key={rating.model}><td>{rating.model}</td><td>{rating.rating.toFixed(0)}</td><td>{rating.games}</td></tr>)}</tbody>
      </table>
    </div>
  );
}

/** Models and ratings: endpoints, health, pricing, and the selection state (Elo, bandit posteriors, latency windows). */
export function ModelsPage() {
  const [view, setView] = useState<ModelsView | undefined>();
  const [ratings, setRatings] = useState<Ratings | undefined>();
  const [rl, setRl] = useState<RlState | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    const fail = (failure: Error) => setError(failure.message);
    getJson<ModelsView>(`${API}/models`).then(setView, fail);
    getJson<Ratings>('/api/v1/ratings').then(setRatings, fail);
    getJson<RlState>('/api/v1/rl-state').then(setRl, fail);
  }, []);
  if (view === undefined) return <section class="page">{error === '' ? 'loading…' : <p class="error">{error}</p>}</section>;
  return (
    <section class="page models">
      {error === '' ? null : <p class="error">{error}</p>}
      <table class="grid">
        <thead>
          <tr><th>model</th><th>endpoints</th><th>access key</th><th>pricing per 1M (prompt / completion)</th><th>health (last requests)</th><th>TTFT p50 / p95 ms</th><th>TPOT p50 ms</th></tr>
        </thead>
        <tbody>
          {view.models.map((model) => (
            <tr key={model.name} data-model={model.name}>
              <td><b>{model.name}</b></td>
              <td>{model.endpoints.map((endpoint) => <div key={endpoint.cluster}>{endpoint.name}: {endpoint.address} (weight {endpoint.weight}){endpoint.accessKey === null ? '' : ` · key ${endpoint.accessKey}`}</div>)}</td>
              <td>{model.accessKey ?? 'none'}</td>
              <td>{model.pricing === null ? 'not priced' : `${model.pricing.promptPer1M} / ${model.pricing.completionPer1M} ${model.pricing.currency}`}</td>
              <td class={`health ${model.health.state}`}>{model.health.state} · {model.health.requests} requests, {model.health.errors} errors{model.health.lastStatus === null ? '' : `, last ${model.health.lastStatus}`}</td>
              <td>{ms(model.latency.ttftP50)} / {ms(model.latency.ttftP95)} <span class="muted">({model.latency.samples})</span></td>
              <td>{ms(model.latency.tpotP50)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Selection per decision <span class="muted">(state store: {view.selectionStore})</span></h4>
      <table class="grid">
        <thead><tr><th>decision</th><th>algorithm</th><th>candidates</th><th>bandit posteriors (α, β, mean)</th></tr></thead>
        <tbody>
          {view.decisions.map((decision) => (
            <tr key={decision.decision}>
              <td>{decision.decision}</td>
              <td>{decision.algorithm}</td>
              <td>{decision.candidates.join(', ')}</td>
              <td>
                {Object.entries(rl?.decisions[decision.decision]?.models ?? {}).map(([model, posterior]) => (
                  <div key={model}>{model}: {posterior.alpha.toFixed(1)}, {posterior.beta.toFixed(1)}, {posterior.mean.toFixed(3)}</div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Elo ratings <span class="muted">(initial {ratings?.initial_rating ?? '–'})</span></h4>
      <div class="ratings">
        <RatingTable title="global" ratings={ratings?.global ?? []} />
        {Object.entries(ratings?.categories ?? {}).map(([category, table]) => <RatingTable key={category} title={category} ratings={table} />)}
      </div>
    </section>
  );
}
