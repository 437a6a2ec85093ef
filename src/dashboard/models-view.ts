import type { RuntimeConfig } from '../config/runtime-config.js';
import type { RequestRecord } from './request-store.js';

/** How a model's recent requests went, from the request records (the router sees no other health). */
export interface ModelHealth {
  readonly requests: number;
  readonly errors: number;
  readonly lastStatus: number | null;
  readonly lastSeen: number | null;
  readonly state: 'healthy' | 'degraded' | 'failing' | 'idle';
}

/** One model on the models page. */
export interface ModelView {
  readonly name: string;
  readonly endpoints: readonly { readonly name: string; readonly address: string; readonly weight: number; readonly cluster: string; readonly accessKey: string | null }[];
  readonly accessKey: string | null;
  readonly pricing: { readonly currency: string; readonly promptPer1M: number; readonly completionPer1M: number } | null;
  readonly health: ModelHealth;
  readonly latency: { readonly ttftP50: number | null; readonly ttftP95: number | null; readonly tpotP50: number | null; readonly samples: number };
}

/** The models page: each model, and each decision's selection algorithm over its candidates. */
export interface ModelsView {
  readonly models: readonly ModelView[];
  readonly decisions: readonly { readonly decision: string; readonly algorithm: string; readonly candidates: readonly string[] }[];
  readonly selectionStore: string;
}

/** Recent requests per model that the health column looks at. */
const HEALTH_WINDOW = 50;

function health(records: readonly RequestRecord[]): ModelHealth {
  const recent = records.slice(-HEALTH_WINDOW);
  const errors = recent.filter((record) => record.entry.status === null || record.entry.status >= 500).length;
  const last = recent.at(-1);
  const state = recent.length === 0 ? 'idle' : errors === 0 ? 'healthy' : errors * 2 < recent.length ? 'degraded' : 'failing';
  return { requests: recent.length, errors, lastStatus: last?.entry.status ?? null, lastSeen: last?.time ?? null, state };
}

function key(value: string | undefined, show: boolean): string | null {
  if (value === undefined) return null;
  return show ? value : 'set (hidden)';
}

function rounded(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value * 10) / 10;
}

/** Builds the models page from the config in force and the records (health). */
export function modelsView(config: RuntimeConfig, records: readonly RequestRecord[], showAccessKeys: boolean): ModelsView {
  const byModel = new Map<string, RequestRecord[]>();
  for (const record of records) {
    if (record.entry.model === null) continue;
    const list = byModel.get(record.entry.model) ?? [];
    list.push(record);
    byModel.set(record.entry.model, list);
  }
  const latency = config.selection?.latency;
  return {
    models: [...config.models.values()].map((model) => ({
      name: model.name,
      endpoints: model.endpoints.map((endpoint) => ({
        name: endpoint.name,
        address: `${endpoint.protocol}://${endpoint.host}:${endpoint.port}${endpoint.pathPrefix}`,
        weight: endpoint.weight,
        cluster: endpoint.cluster,
        accessKey: key(endpoint.accessKey, showAccessKeys),
      })),
      accessKey: key(model.accessKey, showAccessKeys),
      pricing: model.pricing === undefined ? null : { ...model.pricing },
      health: health(byModel.get(model.name) ?? []),
      latency: {
        ttftP50: rounded(latency?.percentile('ttft', model.name, 50)),
        ttftP95: rounded(latency?.percentile('ttft', model.name, 95)),
        tpotP50: rounded(latency?.percentile('tpot', model.name, 50)),
        samples: latency?.counts(model.name).ttft ?? 0,
      },
    })),
    decisions: config.decisions.decisions.flatMap((decision) => {
      const selection = config.selection?.forDecision(decision.name);
      return selection === undefined ? [] : [{ decision: decision.name, algorithm: selection.algorithm, candidates: selection.candidates.map((candidate) => candidate.target.name) }];
    }),
    selectionStore: config.selection?.state.backend ?? 'memory',
  };
}
