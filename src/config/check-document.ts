import { unsupportedSemanticCacheFields } from '../cache/check-semantic-cache.js';
import { unsupportedResponseApiFields } from '../apis/response-api-schema.js';
import { checkDecisionPlugins } from '../plugins/check-decision-plugins.js';
import { SIGNAL_PLUGINS } from '../signals/registry.js';
import { unusedKubernetesSettings } from './kubernetes/check-config-source.js';
import { checkReferences, type CheckedSection } from './check-references.js';
import type { ConfigDocument } from './config-document.js';
import type { ConfigProblem } from './config-problem.js';
import { CONFIG_SCHEMA } from './schema.js';
import { validateConfigSchema } from './validate-schema.js';

// Top-level keys whose schema errors make each checked section unsafe to read.
const SECTION_KEYS: Readonly<Record<CheckedSection, readonly string[]>> = {
  providers: ['providers', 'default_model', 'reasoning_families', 'default_reasoning_effort'],
  signals: ['signals'],
  decisions: ['decisions'],
  semantic_cache: ['semantic_cache'],
  envoy: ['envoy'],
  response_api: ['response_api'],
  observability: ['observability'],
};

function cleanSections(data: unknown, schemaProblems: readonly ConfigProblem[]): Set<CheckedSection> {
  const clean = new Set<CheckedSection>();
  const root = data as Record<string, unknown> | null;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return clean;
  const broken = new Set(schemaProblems.map((problem) => String(problem.path[0] ?? '')));
  for (const [section, keys] of Object.entries(SECTION_KEYS) as [CheckedSection, readonly string[]][]) {
    const present = section !== 'providers' || (typeof root.providers === 'object' && root.providers !== null);
    if (present && !keys.some((key) => broken.has(key))) clean.add(section);
  }
  return clean;
}

/**
 * Checks a parsed config document, whatever its source (YAML or the routing DSL): the schema
 * (filling in defaults, so `data` is changed in place), the references between sections and the
 * decisions' plug-in settings.
 * Reference checks skip sections whose schema errors would make them repeat a problem.
 */
export function checkConfigDocument(data: unknown): ConfigProblem[] {
  // The document's own keys, before the schema fills in defaults.
  const written = structuredClone(data) as Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>> | null;
  const schemaProblems = validateConfigSchema(data, CONFIG_SCHEMA);
  const clean = cleanSections(data, schemaProblems);
  return [
    ...schemaProblems,
    ...checkReferences(data as ConfigDocument, SIGNAL_PLUGINS, clean),
    // Plug-in settings too (defaults filled in place), so they are reported with everything else.
    ...(clean.has('decisions') ? checkDecisionPlugins(data as ConfigDocument) : []),
    ...unusedKubernetesSettings(written),
    ...(clean.has('semantic_cache') ? unsupportedSemanticCacheFields((data as ConfigDocument).semantic_cache, written?.['semantic_cache'] ?? {}) : []),
    ...(clean.has('response_api') ? unsupportedResponseApiFields((data as ConfigDocument).response_api, written?.['response_api'] ?? {}) : []),
  ];
}
