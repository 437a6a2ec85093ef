import type { SignalPlugin } from '../signals/signal.js';
import { clusterName } from './cluster-name.js';
import type { ConfigDocument } from './config-document.js';
import type { ConfigPathSegment, ConfigProblem } from './config-problem.js';
import { formatConfigPath } from './config-problem.js';
import { parseEndpointAddress } from './endpoint-address.js';
import { checkExtProcTls } from './extproc-tls.js';
import { resolveProviderSettings } from './provider-settings.js';
import { reasoningWithoutFamilyWarnings } from './reasoning-family-inference.js';
import { normaliseRuleTree, type LocatedLeaf } from './rule-tree.js';
import { composerDocuments } from './signal-composers.js';
import { didYouMean } from './did-you-mean.js';
import { checkObservability } from '../telemetry/observability-config.js';

/** The parts of a config that the reference checks read; a part with schema errors is skipped. */
export type CheckedSection = 'providers' | 'signals' | 'decisions' | 'semantic_cache' | 'envoy' | 'response_api' | 'observability';

/** The `version` values whose format this reader implements (Athena's vllm-sr schema). */
const KNOWN_FORMAT_VERSIONS: readonly string[] = ['v0.1', 'v0.2'];

/** Reports the second and later uses of each name, pointing back at the first. */
function findDuplicates(
  entries: readonly { readonly name: string; readonly path: readonly ConfigPathSegment[] }[],
  what: string,
  scope = '',
): ConfigProblem[] {
  const first = new Map<string, readonly ConfigPathSegment[]>();
  const problems: ConfigProblem[] = [];
  for (const { name, path } of entries) {
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, path);
    else problems.push({ path, code: 'SY_CFG_DUPLICATE_NAME', message: `duplicate ${what} "${name}"${scope} (first defined at ${formatConfigPath(earlier.slice(0, -1))})` });
  }
  return problems;
}

/** An endpoint as a diagnostic may quote it: `user:key@` credentials (refused anyway) are masked. */
function withoutCredentials(endpoint: string): string {
  return endpoint.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)?[^/]*@/, '$1***@');
}

function checkProviders(document: ConfigDocument): ConfigProblem[] {
  const settings = resolveProviderSettings(document);
  const models = document.providers.models;
  const problems: ConfigProblem[] = [...settings.conflicts];
  problems.push(...findDuplicates(models.map((model, i) => ({ name: model.name, path: ['providers', 'models', i, 'name'] })), 'model name'));

  const clusters: { name: string; path: ConfigPathSegment[] }[] = [];
  models.forEach((model, i) => {
    const modelPath = ['providers', 'models', i];
    problems.push(...findDuplicates(model.endpoints.map((endpoint, j) => ({ name: endpoint.name, path: [...modelPath, 'endpoints', j, 'name'] })), 'endpoint name', ` in model "${model.name}"`));
    model.endpoints.forEach((endpoint, j) => {
      const parsed = parseEndpointAddress(endpoint.endpoint, endpoint.protocol);
      if (!parsed.ok) {
        problems.push({ path: [...modelPath, 'endpoints', j, 'endpoint'], code: 'SY_CFG_BAD_ENDPOINT', message: `endpoint "${endpoint.name}" of model "${model.name}": "${withoutCredentials(endpoint.endpoint)}" ${parsed.reason}` });
      }
      clusters.push({ name: clusterName(model.name, endpoint.name), path: [...modelPath, 'endpoints', j, 'name'] });
    });
    if (model.reasoning_family !== undefined && !settings.reasoningFamilies.has(model.reasoning_family)) {
      problems.push({
        path: [...modelPath, 'reasoning_family'],
        code: 'SY_CFG_UNKNOWN_REASONING_FAMILY',
        message: `model "${model.name}" uses reasoning family "${model.reasoning_family}", which is not defined (known: ${[...settings.reasoningFamilies.keys()].join(', ')})`,
      });
    }
  });
  // Different model/endpoint names can sanitise to the same cluster ("a/b" and "a_b").
  const distinctNames = new Set(models.flatMap((model) => model.endpoints.map((endpoint) => `${model.name}\u0000${endpoint.name}`)));
  if (distinctNames.size === clusters.length) problems.push(...findDuplicates(clusters, 'Envoy cluster name'));

  const defaultModel = settings.defaultModel;
  if (defaultModel !== undefined && !models.some((model) => model.name === defaultModel.name)) {
    problems.push({ path: defaultModel.path, code: 'SY_CFG_UNKNOWN_MODEL', message: `default_model "${defaultModel.name}" is not a configured model (configured: ${[...new Set(models.map((m) => m.name))].join(', ')})` });
  }
  return problems;
}

/** Signal names each plug-in type emits for the configured rules. */
function emittedSignalNames(document: ConfigDocument, plugins: readonly SignalPlugin[]): Map<string, Set<string>> {
  const emitted = new Map<string, Set<string>>();
  for (const plugin of plugins) {
    const rules = document.signals[plugin.configKey] ?? [];
    emitted.set(plugin.type, new Set(rules.flatMap((rule) => plugin.emittedNames(rule))));
  }
  return emitted;
}

function checkSignals(document: ConfigDocument, plugins: readonly SignalPlugin[]): ConfigProblem[] {
  return plugins.flatMap((plugin) =>
    findDuplicates(
      (document.signals[plugin.configKey] ?? []).map((rule, i) => ({ name: rule.name, path: ['signals', plugin.configKey, i, 'name'] })),
      `${plugin.type} signal rule`,
    ),
  );
}

/** Problems of leaves naming a signal type or rule that no `signals:` section defines. */
function checkLeaves(
  leaves: readonly LocatedLeaf[],
  owner: string,
  emitted: ReadonlyMap<string, ReadonlySet<string>>,
  plugins: readonly SignalPlugin[],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const leaf of leaves) {
    const names = emitted.get(leaf.type);
    const plugin = plugins.find((candidate) => candidate.type === leaf.type);
    if (names === undefined || plugin === undefined) {
      problems.push({ path: [...leaf.path, 'type'], code: 'SY_CFG_UNKNOWN_SIGNAL', message: `${owner} uses unknown signal type "${leaf.type}" (known: ${plugins.map((p) => p.type).join(', ')})${didYouMean(leaf.type, plugins.map((p) => p.type))}` });
    } else if (!names.has(leaf.name)) {
      const defined = [...names];
      problems.push({
        path: [...leaf.path, 'name'],
        code: 'SY_CFG_UNKNOWN_SIGNAL',
        message: `${owner} uses ${leaf.type} signal "${leaf.name}", which signals.${plugin.configKey} does not define (defined: ${defined.length === 0 ? 'none' : defined.join(', ')})${didYouMean(leaf.name, defined)}`,
      });
    }
  }
  return problems;
}

function checkDecisions(document: ConfigDocument, plugins: readonly SignalPlugin[], clean: ReadonlySet<CheckedSection>): ConfigProblem[] {
  const problems = findDuplicates(document.decisions.map((decision, i) => ({ name: decision.name, path: ['decisions', i, 'name'] })), 'decision name');
  const emitted = clean.has('signals') ? emittedSignalNames(document, plugins) : undefined;
  const modelNames = clean.has('providers') ? new Set(document.providers.models.map((model) => model.name)) : undefined;

  document.decisions.forEach((decision, i) => {
    const owner = `decision "${decision.name}"`;
    const tree = normaliseRuleTree(decision.rules, ['decisions', i, 'rules'], owner);
    problems.push(...tree.problems);
    if (emitted !== undefined) problems.push(...checkLeaves(tree.leaves, owner, emitted, plugins));
    decision.modelRefs.forEach((ref, j) => {
      if (modelNames !== undefined && !modelNames.has(ref.model)) {
        problems.push({ path: ['decisions', i, 'modelRefs', j, 'model'], code: 'SY_CFG_UNKNOWN_MODEL', message: `decision "${decision.name}" refers to model "${ref.model}", which is not configured (configured: ${[...modelNames].join(', ')})${didYouMean(ref.model, modelNames)}` });
      }
    });
  });
  return problems;
}

/**
 * A composer is a rule tree like a decision's. It may not name its own signal type: composers
 * filter after every signal has run, so one composed result cannot wait on another.
 */
function checkComposers(document: ConfigDocument, plugins: readonly SignalPlugin[]): ConfigProblem[] {
  const emitted = emittedSignalNames(document, plugins);
  return composerDocuments(document, plugins).flatMap((composer) => {
    const tree = normaliseRuleTree(composer.tree, composer.path, composer.owner);
    const ownType = tree.leaves
      .filter((leaf) => leaf.type === composer.plugin.type)
      .map((leaf): ConfigProblem => ({
        path: [...leaf.path, 'type'],
        code: 'SY_CFG_COMPOSER_REFERENCE',
        message: `${composer.owner} names ${leaf.type} signal "${leaf.name}"; a composer runs after every signal and may only name other signal types`,
      }));
    return [...tree.problems, ...ownType, ...checkLeaves(tree.leaves.filter((leaf) => leaf.type !== composer.plugin.type), composer.owner, emitted, plugins)];
  });
}

/** Warnings for rule fields a plug-in accepts without acting on them. */
function unsupportedFieldWarnings(document: ConfigDocument, plugins: readonly SignalPlugin[]): ConfigProblem[] {
  return plugins.flatMap((plugin) =>
    (document.signals[plugin.configKey] ?? []).flatMap((rule, index) =>
      (plugin.unsupportedFields?.(rule) ?? []).map((field): ConfigProblem => ({
        path: ['signals', plugin.configKey, index, ...field.path],
        at: 'key',
        severity: 'warning',
        code: 'SY_CFG_UNSUPPORTED',
        message: `${plugin.type} rule "${rule.name}": ${field.reason}`,
      })),
    ),
  );
}

/** The format version is only a marker; one this reader does not know is read as v0.2, and said so. */
function checkVersion(document: ConfigDocument | null): ConfigProblem[] {
  // An empty file parses to null; the schema reports it.
  const version: unknown = document?.version;
  if (typeof version !== 'string' || KNOWN_FORMAT_VERSIONS.includes(version)) return [];
  return [
    {
      path: ['version'],
      severity: 'warning',
      code: 'SY_CFG_UNSUPPORTED',
      message: `version "${version}" is not a format this reader knows (${KNOWN_FORMAT_VERSIONS.join(', ')}); the file is read as v0.2 and the value is ignored`,
    },
  ];
}

/**
 * Checks what the schema cannot: names that must exist (signals, models, reasoning
 * families), names that must be unique, rule-tree structure, endpoint addresses, and whether
 * the ext_proc port is exposed or its TLS cannot work.
 * `clean` lists the sections free of schema errors; checks that would read a broken
 * section are skipped, so each problem is reported once, by the stage that owns it.
 */
export function checkReferences(document: ConfigDocument, plugins: readonly SignalPlugin[], clean: ReadonlySet<CheckedSection>): ConfigProblem[] {
  return [
    ...checkVersion(document),
    ...(clean.has('providers') ? checkProviders(document) : []),
    ...(clean.has('signals') ? [...checkSignals(document, plugins), ...checkComposers(document, plugins), ...unsupportedFieldWarnings(document, plugins)] : []),
    ...(clean.has('decisions') ? checkDecisions(document, plugins, clean) : []),
    ...(clean.has('providers') && clean.has('decisions') ? reasoningWithoutFamilyWarnings(document) : []),
    ...(clean.has('envoy') ? checkExtProcTls(document.envoy) : []),
    ...(clean.has('observability') && clean.has('providers') ? checkObservability(document.observability, document.providers.models) : []),
  ];
}
