import type { ConfigPathSegment } from '../config-problem.js';

/** Switchyard's custom resources (deploy/kubernetes/crds/). */
export const CRD_GROUP = 'switchyard.io';
export const CRD_VERSION = 'v1alpha1';
export const PLURALS = { router: 'semanticrouters', pool: 'intelligentpools', route: 'intelligentroutes' } as const;

/** The parts of a Kubernetes object the watcher reads. */
export interface CustomResource {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly generation?: number; readonly resourceVersion?: string };
  readonly spec?: Record<string, unknown>;
}

/** Which resource a config came from, for status updates and messages. */
export interface ResourceRef {
  readonly plural: (typeof PLURALS)[keyof typeof PLURALS];
  readonly name: string;
  readonly generation?: number;
}

/** The routing part of a config taken from resources, to lay over the base config file. */
export interface ResourceConfig {
  readonly document: Record<string, unknown>;
  /** Where each top-level key came from, so problems can name the resource field. */
  readonly sources: readonly ResourceRef[];
  /** Path prefix in the resource for problems at document paths (`spec.config` or `spec`). */
  readonly describePath: (path: readonly ConfigPathSegment[]) => string;
  /** Fields accepted for Athena compatibility that Switchyard does not act on. */
  readonly ignored: readonly string[];
}

/** Why no config could be taken from the resources present. */
export class ResourceSelectionError extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** Copies the keys that are present, renaming them (Athena's camelCase to the YAML's snake_case). */
function renamed(source: Record<string, unknown>, names: Readonly<Record<string, string>>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [from, to] of Object.entries(names)) if (source[from] !== undefined) result[to] = source[from];
  return result;
}

function pathText(prefix: string, path: readonly ConfigPathSegment[]): string {
  return path.reduce<string>((text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : `${text}.${segment}`), prefix);
}

/**
 * Chooses the config the resources in a namespace describe: the SemanticRouter named
 * `routerName` (a whole config in `spec.config`), or else exactly one IntelligentPool with
 * exactly one IntelligentRoute (Athena's pair, converted field by field).
 */
export function selectResourceConfig(
  routers: readonly CustomResource[],
  pools: readonly CustomResource[],
  routes: readonly CustomResource[],
  routerName: string,
): ResourceConfig {
  const router = routers.find((resource) => resource.metadata?.name === routerName);
  if (router !== undefined) {
    const config = router.spec?.config;
    if (!isRecord(config)) throw new ResourceSelectionError(`SemanticRouter "${routerName}" has no spec.config object`);
    return {
      document: config,
      sources: [{ plural: PLURALS.router, name: routerName, ...(router.metadata?.generation !== undefined && { generation: router.metadata.generation }) }],
      describePath: (path) => pathText('spec.config', path),
      ignored: [],
    };
  }
  if (pools.length === 0 && routes.length === 0) throw new ResourceSelectionError(`no SemanticRouter "${routerName}" and no IntelligentPool/IntelligentRoute pair in the namespace`);
  if (pools.length !== 1 || routes.length !== 1) {
    throw new ResourceSelectionError(`without a SemanticRouter "${routerName}", exactly one IntelligentPool and one IntelligentRoute are needed (found ${pools.length} and ${routes.length})`);
  }
  return convertAthenaPair(pools[0] as CustomResource, routes[0] as CustomResource);
}

function convertAthenaPair(pool: CustomResource, route: CustomResource): ResourceConfig {
  const ignored: string[] = [];
  const poolSpec = pool.spec ?? {};
  const routeSpec = route.spec ?? {};
  const models = records(poolSpec.models).map((model, index) => {
    if (model.loras !== undefined) ignored.push(`IntelligentPool spec.models[${index}].loras (no LoRA routing)`);
    const pricing = isRecord(model.pricing) ? renamed(model.pricing, { currency: 'currency', inputTokenPrice: 'prompt_per_1m', outputTokenPrice: 'completion_per_1m' }) : undefined;
    return { ...renamed(model, { name: 'name', description: 'description', reasoningFamily: 'reasoning_family', endpoints: 'endpoints' }), ...(pricing && { pricing }) };
  });
  const signalSpec = isRecord(routeSpec.signals) ? routeSpec.signals : {};
  for (const key of Object.keys(signalSpec)) if (!['keywords', 'embeddings', 'domains', 'contextRules'].includes(key)) ignored.push(`IntelligentRoute spec.signals.${key} (not a signal Switchyard has)`);
  const signals: Record<string, unknown> = {};
  const keywords = records(signalSpec.keywords).map((rule) => renamed(rule, { name: 'name', operator: 'operator', keywords: 'keywords', caseSensitive: 'case_sensitive' }));
  const embeddings = records(signalSpec.embeddings).map((rule) => renamed(rule, { name: 'name', threshold: 'threshold', candidates: 'candidates', aggregationMethod: 'aggregation_method' }));
  const domains = records(signalSpec.domains).map((rule) => renamed(rule, { name: 'name' }));
  const context = records(signalSpec.contextRules).map((rule) => renamed(rule, { name: 'name', minTokens: 'min_tokens', maxTokens: 'max_tokens' }));
  if (keywords.length > 0) signals.keywords = keywords;
  if (embeddings.length > 0) signals.embeddings = embeddings;
  if (domains.length > 0) signals.domains = domains;
  if (context.length > 0) signals.context = context;
  const decisions = records(routeSpec.decisions).map((decision) => {
    const rules = isRecord(decision.signals) ? { operator: decision.signals.operator ?? 'AND', conditions: records(decision.signals.conditions).map((leaf) => renamed(leaf, { type: 'type', name: 'name' })) } : { operator: 'AND', conditions: [] };
    const modelRefs = records(decision.modelRefs).map((ref, index) => {
      if (ref.loraName !== undefined) ignored.push(`IntelligentRoute decision "${String(decision.name)}" modelRefs[${index}].loraName (no LoRA routing)`);
      return { use_reasoning: false, ...renamed(ref, { model: 'model', useReasoning: 'use_reasoning', reasoningEffort: 'reasoning_effort' }) };
    });
    return { ...renamed(decision, { name: 'name', priority: 'priority', description: 'description', plugins: 'plugins' }), rules, modelRefs };
  });
  const document: Record<string, unknown> = { providers: { models, ...(poolSpec.defaultModel !== undefined && { default_model: poolSpec.defaultModel }) }, signals, decisions };
  const ref = (plural: ResourceRef['plural'], resource: CustomResource): ResourceRef => ({
    plural,
    name: resource.metadata?.name ?? '',
    ...(resource.metadata?.generation !== undefined && { generation: resource.metadata.generation }),
  });
  return {
    document,
    sources: [ref(PLURALS.pool, pool), ref(PLURALS.route, route)],
    // Converted fields have other names in the resources; name the config path, which the
    // operator can map (the README lists the field correspondence).
    describePath: (path) => pathText('(converted config)', path),
    ignored,
  };
}
