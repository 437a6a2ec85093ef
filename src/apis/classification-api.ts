import { performance } from 'node:perf_hooks';
import { BUNDLED_ENCODER_DIR } from '../classifiers/bundled-models.js';
import { cosineSimilarity, type Embedder } from '../classifiers/embedder.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { explainDecisions } from '../decisions/explain-decisions.js';
import { authorise, type ApiReply, type ApiRequest, type ApiRoute } from '../selection/selection-api.js';
import { leaseEmbedder, type ModelLease } from '../signals/model-cache.js';
import type { SignalResult, SignalSet } from '../signals/signal.js';
import { MAX_BATCH_TEXTS, MAX_TEXT_CHARS } from './classification-limits.js';
import { CLASSIFICATION_OPENAPI } from './classification-openapi.js';
import { isRecord } from './wire-json.js';


/** The signal types each classification task reports; `combined` reports them all. */
const TASK_SIGNAL_TYPES = { intent: ['domain'], pii: ['pii'], security: ['jailbreak'], combined: undefined } as const;
type Task = keyof typeof TASK_SIGNAL_TYPES;

export interface ClassificationApiOptions {
  /** The serving config (it changes on reload): its signals are the extractors the router uses. */
  readonly config: () => RuntimeConfig;
  /** Whether the admin server listens on loopback only (then no token is needed unless configured). */
  readonly loopbackOnly: boolean;
}

/** The classification endpoints and a `close` that releases the embedder they may have loaded. */
export interface ClassificationApi {
  readonly routes: readonly ApiRoute[];
  close(): void;
}

function invalid(message: string, param: string | null = null): ApiReply {
  return { status: 400, body: { error: { message, type: 'invalid_request_error', param, code: 'invalid_value' } } };
}

function parseBody(request: ApiRequest): Record<string, unknown> | ApiReply {
  try {
    const json: unknown = JSON.parse(request.body.toString('utf8'));
    return isRecord(json) ? json : invalid('the body must be a JSON object');
  } catch {
    return invalid('the body is not valid JSON');
  }
}

function textOf(value: unknown, param: string): string | ApiReply {
  if (typeof value !== 'string' || value.length === 0) return invalid(`'${param}' must be a non-empty string`, param);
  if (value.length > MAX_TEXT_CHARS) return invalid(`'${param}' is longer than ${MAX_TEXT_CHARS} characters`, param);
  return value;
}

function textsOf(value: unknown, param: string): string[] | ApiReply {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) return invalid(`'${param}' must be a string or a non-empty array of strings`, param);
  if (list.length > MAX_BATCH_TEXTS) return invalid(`'${param}' holds more than ${MAX_BATCH_TEXTS} texts`, param);
  const texts: string[] = [];
  for (const [index, entry] of list.entries()) {
    const text = textOf(entry, `${param}[${index}]`);
    if (typeof text !== 'string') return text;
    texts.push(text);
  }
  return texts;
}

function isReply(value: unknown): value is ApiReply {
  return isRecord(value) && typeof value.status === 'number' && 'body' in value;
}

function resultJson(result: SignalResult): Record<string, unknown> {
  return {
    type: result.type,
    name: result.name,
    matched: result.matched,
    confidence: result.confidence,
    ...(result.value === undefined ? {} : { value: result.value }),
    ...(result.threshold === undefined ? {} : { threshold: result.threshold }),
    ...(result.topLabels === undefined ? {} : { top_labels: result.topLabels }),
    ...(result.error === undefined ? {} : { error: result.error }),
  };
}

/**
 * One text through the serving config's signal pipeline (the extractors `route --explain` runs),
 * reported for a task: the signals of its types, what they found, and for `combined` the
 * decision the router would take and why.
 */
async function classify(config: RuntimeConfig, text: string, task: Task): Promise<Record<string, unknown>> {
  const started = performance.now();
  const signals: SignalSet = await config.signals.evaluate({ lastUserText: text, messages: [{ role: 'user', text }], headers: new Map() }, new AbortController().signal);
  const types: readonly string[] | undefined = TASK_SIGNAL_TYPES[task];
  const results = [...signals.values()].filter((result) => types === undefined || types.includes(result.type));
  const matched = results.filter((result) => result.matched);
  const best = [...matched].sort((a, b) => b.confidence - a.confidence)[0];
  const body: Record<string, unknown> = { signals: results.map(resultJson) };
  if (task === 'intent') body.classification = { category: best?.name ?? null, confidence: best?.confidence ?? 0 };
  if (task === 'pii') body.has_pii = matched.length > 0;
  if (task === 'security') body.is_jailbreak = matched.length > 0;
  if (task === 'combined') {
    const outcome = config.decisions.decide(signals);
    body.decision = outcome?.decision.name ?? null;
    body.model = outcome?.decision.modelRefs[0]?.model ?? config.defaultModel;
    body.decisions = explainDecisions(config.decisions, signals);
  }
  body.processing_time_ms = Number((performance.now() - started).toFixed(3));
  return body;
}

/**
 * The classification API on the admin port, with Athena's paths: `POST /api/v1/classify/intent`,
 * `/pii`, `/security`, `/combined` and `/batch`, `POST /api/v1/embeddings` and
 * `/api/v1/similarity`. Every call needs the admin token when the feedback API does (same rule),
 * and bodies are bounded (1 MiB by the admin server, {@link MAX_BATCH_TEXTS} texts of at most
 * {@link MAX_TEXT_CHARS} characters here).
 */
export function classificationApi(options: ClassificationApiOptions): ClassificationApi {
  let embedder: Promise<ModelLease<Embedder>> | undefined;
  const lease = (): Promise<ModelLease<Embedder>> => {
    embedder ??= leaseEmbedder(BUNDLED_ENCODER_DIR);
    embedder.catch(() => {
      embedder = undefined;
    });
    return embedder;
  };
  const guarded = (path: string, handle: (config: RuntimeConfig, body: Record<string, unknown>) => Promise<ApiReply>): ApiRoute => ({
    method: 'POST',
    path,
    async handle(request) {
      const config = options.config();
      const denied = authorise(config, request.authorization, options.loopbackOnly, 'classification API');
      if (denied !== undefined) return denied;
      const body = parseBody(request);
      return isReply(body) ? body : handle(config, body);
    },
  });
  const taskRoute = (task: Task): ApiRoute =>
    guarded(`/api/v1/classify/${task}`, async (config, body) => {
      const text = textOf(body.text, 'text');
      return typeof text === 'string' ? { status: 200, body: await classify(config, text, task) } : text;
    });
  const routes: ApiRoute[] = [
    { method: 'GET', path: '/openapi.json', handle: async () => ({ status: 200, body: CLASSIFICATION_OPENAPI }) },
    taskRoute('intent'),
    taskRoute('pii'),
    taskRoute('security'),
    taskRoute('combined'),
    guarded('/api/v1/classify/batch', async (config, body) => {
      const texts = textsOf(body.texts, 'texts');
      if (isReply(texts)) return texts;
      const task = body.task ?? 'combined';
      if (typeof task !== 'string' || !(task in TASK_SIGNAL_TYPES)) return invalid(`'task' must be one of ${Object.keys(TASK_SIGNAL_TYPES).join(', ')}`, 'task');
      const started = performance.now();
      const results = [];
      for (const text of texts) results.push(await classify(config, text, task as Task));
      return { status: 200, body: { task, results, total_count: results.length, processing_time_ms: Number((performance.now() - started).toFixed(3)) } };
    }),
    guarded('/api/v1/embeddings', async (_config, body) => {
      const texts = textsOf(body.input ?? body.texts, 'input');
      if (isReply(texts)) return texts;
      const { model } = await lease();
      const vectors = await model.embed(texts);
      return { status: 200, body: { object: 'list', model: 'use-lite', dimensions: model.dimensions, data: vectors.map((vector, index) => ({ object: 'embedding', index, embedding: [...vector] })) } };
    }),
    guarded('/api/v1/similarity', async (_config, body) => {
      const first = textOf(body.text1, 'text1');
      if (typeof first !== 'string') return first;
      const second = textOf(body.text2, 'text2');
      if (typeof second !== 'string') return second;
      const { model } = await lease();
      const [a, b] = await model.embed([first, second]);
      return { status: 200, body: { similarity: cosineSimilarity(a!, b!), model: 'use-lite' } };
    }),
  ];
  return {
    routes,
    close() {
      void embedder?.then((held) => held.release(), () => undefined);
      embedder = undefined;
    },
  };
}
