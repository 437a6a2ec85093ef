import type { ConfigPathSegment } from '../config/config-problem.js';
import type { ConfigProblem } from '../config/config-problem.js';
import { didYouMean } from '../config/did-you-mean.js';
import { DECISION_PLUGIN_TYPES } from '../plugins/registry.js';
import { findSignalPlugin, SIGNAL_PLUGINS } from '../signals/registry.js';
import type { DslProgram, ExprNode, FieldNode, PluginTemplateBlock, RouteBlock, ValueNode } from './ast.js';
import type { SourcePosition } from './lexer.js';
import { DslSourceMap } from './source-map.js';

/** What a DSL program lowers to: the config document YAML would hold, and where each part came from. */
export interface LoweredProgram {
  readonly document: Record<string, unknown>;
  readonly sourceMap: DslSourceMap;
  /** Problems only the DSL can have (unknown block types, templates), addressed by position. */
  readonly problems: readonly LoweringProblem[];
}

export interface LoweringProblem {
  readonly at: SourcePosition;
  readonly code: ConfigProblem['code'];
  readonly message: string;
}

/** `BACKEND` types: the one block per model, and Athena's cache backend. */
export const BACKEND_TYPES = ['model', 'semantic_cache'] as const;

/** Model options with DSL spellings (Athena's); any other option is the modelRef key itself. */
export const MODEL_OPTION_KEYS: Readonly<Record<string, string>> = { reasoning: 'use_reasoning', effort: 'reasoning_effort' };

/** The always-matching rule a route without `WHEN` gets (the YAML `{operator: AND, conditions: []}`). */
export const ALWAYS_RULE = { operator: 'AND', conditions: [] } as const;

/**
 * Lowers a parsed program to the same config document the YAML loader produces (before
 * defaults are filled in), so both go through one schema, one reference check and one
 * compiler. Nothing is validated here that those already check; positions are recorded so
 * their problems land on the DSL tokens.
 */
export function lowerProgram(program: DslProgram): LoweredProgram {
  const sourceMap = new DslSourceMap();
  const problems: LoweringProblem[] = [];
  const document: Record<string, unknown> = {};
  const models: unknown[] = [];
  const signals: Record<string, Record<string, unknown>[]> = {};
  const decisions: unknown[] = [];
  const templates = new Map<string, PluginTemplateBlock>();

  for (const block of program.blocks) {
    if (block.kind !== 'plugin') continue;
    if (templates.has(block.name)) problems.push({ at: block.nameAt, code: 'SY_CFG_DUPLICATE_NAME', message: `plug-in template "${block.name}" is defined twice` });
    else templates.set(block.name, block);
  }

  for (const block of program.blocks) {
    switch (block.kind) {
      case 'global':
        for (const field of block.body.fields) {
          if (field.key in document) {
            problems.push({ at: field.keyAt, code: 'SY_CFG_DUPLICATE_NAME', message: `GLOBAL sets "${field.key}" twice` });
            continue;
          }
          document[field.key] = lowerValue(field.value, [field.key], sourceMap, field.keyAt);
        }
        break;
      case 'backend':
        if (block.type === 'model') {
          const path = ['providers', 'models', models.length];
          sourceMap.record(path, block.nameAt);
          sourceMap.record([...path, 'name'], block.nameAt);
          models.push({ name: block.name, ...lowerFields(block.body.fields, path, sourceMap) });
        } else if (block.type === 'semantic_cache') {
          sourceMap.record(['semantic_cache'], block.typeAt);
          document.semantic_cache = lowerFields(block.body.fields, ['semantic_cache'], sourceMap);
        } else {
          problems.push({
            at: block.typeAt,
            code: 'SY_DSL_UNKNOWN_BACKEND',
            message: `unknown BACKEND type "${block.type}" (known: ${BACKEND_TYPES.join(', ')}); declare each model as BACKEND model "<name>" { endpoints: [...] }${didYouMean(block.type, BACKEND_TYPES)}`,
          });
        }
        break;
      case 'signal': {
        const plugin = findSignalPlugin(block.type);
        if (plugin === undefined) {
          const known = SIGNAL_PLUGINS.map((candidate) => candidate.type);
          problems.push({ at: block.typeAt, code: 'SY_CFG_UNKNOWN_SIGNAL', message: `unknown signal type "${block.type}" (known: ${known.join(', ')})${didYouMean(block.type, known)}` });
          break;
        }
        const rules = (signals[plugin.configKey] ??= []);
        const path = ['signals', plugin.configKey, rules.length];
        sourceMap.record(['signals', plugin.configKey], block.typeAt);
        sourceMap.record(path, block.nameAt);
        sourceMap.record([...path, 'name'], block.nameAt);
        rules.push({ name: block.name, ...lowerFields(block.body.fields, path, sourceMap) });
        break;
      }
      case 'route':
        decisions.push(lowerRoute(block, ['decisions', decisions.length], templates, sourceMap, problems));
        break;
      case 'plugin':
        break;
    }
  }

  if (models.length > 0) {
    const providers = (document.providers ?? {}) as Record<string, unknown>;
    document.providers = { models, ...providers };
  }
  if (Object.keys(signals).length > 0) document.signals = signals;
  if (decisions.length > 0) document.decisions = decisions;
  return { document, sourceMap, problems };
}

function lowerRoute(
  route: RouteBlock,
  path: ConfigPathSegment[],
  templates: ReadonlyMap<string, PluginTemplateBlock>,
  sourceMap: DslSourceMap,
  problems: LoweringProblem[],
): Record<string, unknown> {
  sourceMap.record(path, route.nameAt);
  sourceMap.record([...path, 'name'], route.nameAt);
  const decision: Record<string, unknown> = { name: route.name, ...lowerFields(route.options, path, sourceMap) };
  if (route.priority !== undefined) {
    sourceMap.record([...path, 'priority'], route.priority.at);
    decision.priority = route.priority.value;
  }
  decision.rules = route.when === undefined ? { ...ALWAYS_RULE, conditions: [] } : lowerExpr(route.when, [...path, 'rules'], sourceMap);
  if (route.when === undefined) sourceMap.record([...path, 'rules'], route.nameAt);

  const modelRefs = route.models.map((ref, index) => {
    const refPath = [...path, 'modelRefs', index];
    sourceMap.record(refPath, ref.at);
    sourceMap.record([...refPath, 'model'], ref.at);
    const lowered: Record<string, unknown> = { model: ref.model, use_reasoning: false };
    for (const option of ref.options) {
      const key = MODEL_OPTION_KEYS[option.key] ?? option.key;
      lowered[key] = lowerValue(option.value, [...refPath, key], sourceMap, option.keyAt);
    }
    return lowered;
  });
  if (modelRefs.length > 0) decision.modelRefs = modelRefs;

  const plugins: unknown[] = [];
  for (const use of route.plugins) {
    const pluginPath = [...path, 'plugins', plugins.length];
    const template = use.configuration === undefined ? templates.get(use.name) : undefined;
    const type = template?.type ?? use.name;
    if (template === undefined && !DECISION_PLUGIN_TYPES.some((plugin) => plugin.type === type)) {
      const candidates = [...templates.keys(), ...DECISION_PLUGIN_TYPES.map((plugin) => plugin.type)];
      problems.push({
        at: use.at,
        code: 'SY_DSL_UNKNOWN_PLUGIN',
        message: `PLUGIN "${use.name}" is neither a plug-in template nor a plug-in type (types: ${DECISION_PLUGIN_TYPES.map((plugin) => plugin.type).join(', ')})${didYouMean(use.name, candidates)}`,
      });
      continue;
    }
    sourceMap.record(pluginPath, use.at);
    sourceMap.record([...pluginPath, 'type'], template?.typeAt ?? use.at);
    const configuration = template?.configuration ?? use.configuration;
    plugins.push(configuration === undefined ? { type } : { type, configuration: lowerValue(configuration, [...pluginPath, 'configuration'], sourceMap) });
  }
  if (plugins.length > 0) decision.plugins = plugins;

  if (route.algorithm !== undefined) {
    const algorithmPath = [...path, 'algorithm'];
    sourceMap.record(algorithmPath, route.algorithm.at);
    sourceMap.record([...algorithmPath, 'type'], route.algorithm.at);
    const algorithm: Record<string, unknown> = { type: route.algorithm.type };
    const parameters: FieldNode[] = [];
    for (const field of route.algorithm.fields?.fields ?? []) {
      // Athena writes the algorithm-level on_error inside the block.
      if (field.key === 'on_error') algorithm.on_error = lowerValue(field.value, [...algorithmPath, 'on_error'], sourceMap, field.keyAt);
      else parameters.push(field);
    }
    if (route.algorithm.fields !== undefined) {
      sourceMap.record([...algorithmPath, route.algorithm.type], route.algorithm.fields.at);
      algorithm[route.algorithm.type] = lowerFields(parameters, [...algorithmPath, route.algorithm.type], sourceMap);
    }
    Object.assign(algorithm, lowerFields(route.algorithm.options, algorithmPath, sourceMap));
    decision.algorithm = algorithm;
  }
  Object.assign(decision, lowerFields(route.fields, path, sourceMap));
  return decision;
}

function lowerExpr(expr: ExprNode, path: ConfigPathSegment[], sourceMap: DslSourceMap): Record<string, unknown> {
  sourceMap.record(path, expr.at);
  switch (expr.kind) {
    case 'signal':
      sourceMap.record([...path, 'type'], expr.at);
      sourceMap.record([...path, 'name'], expr.nameAt);
      return { type: expr.type, name: expr.name };
    case 'constant':
      return { operator: expr.value ? 'AND' : 'OR', conditions: [] };
    case 'not':
      return { operator: 'NOT', conditions: [lowerExpr(expr.operand, [...path, 'conditions', 0], sourceMap)] };
    default:
      return {
        operator: expr.kind.toUpperCase(),
        conditions: expr.operands.map((operand, index) => lowerExpr(operand, [...path, 'conditions', index], sourceMap)),
      };
  }
}

function lowerFields(fields: readonly FieldNode[], path: ConfigPathSegment[], sourceMap: DslSourceMap): Record<string, unknown> {
  const lowered: Record<string, unknown> = {};
  for (const field of fields) lowered[field.key] = lowerValue(field.value, [...path, field.key], sourceMap, field.keyAt);
  return lowered;
}

function lowerValue(value: ValueNode, path: ConfigPathSegment[], sourceMap: DslSourceMap, keyAt?: SourcePosition): unknown {
  sourceMap.record(path, value.at, keyAt);
  switch (value.kind) {
    case 'scalar':
      return value.value;
    case 'list':
      return value.items.map((item, index) => lowerValue(item, [...path, index], sourceMap));
    default:
      return lowerFields(value.fields, path, sourceMap);
  }
}
