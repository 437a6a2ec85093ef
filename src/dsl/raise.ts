import { findSignalPluginByConfigKey } from '../signals/registry.js';
import type { AlgorithmNode, Block, DslProgram, ExprNode, FieldNode, ModelRefNode, PluginUseNode, RouteBlock, ValueNode } from './ast.js';
import type { SourcePosition } from './lexer.js';
import { IDENT_PATTERN } from './lexer.js';
import { MODEL_OPTION_KEYS } from './lower.js';

/** A config that the DSL cannot spell; `path` says where. */
export class DecompileError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
  }
}

// Raised nodes have no source; the printer ignores positions.
const NOWHERE: SourcePosition = { line: 0, col: 0, offset: 0 };

const DECISION_KEYS = new Set(['name', 'description', 'priority', 'rules', 'modelRefs', 'plugins', 'algorithm']);
const DSL_OPTION_FOR: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(MODEL_OPTION_KEYS).map(([dsl, key]) => [key, dsl]));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Raises a config document (YAML's data, before defaults) to a DSL program: the inverse of
 * lowering, so `lower(raise(doc))` is `doc` up to the spellings `canonicalDocument` merges.
 */
export function raiseDocument(document: Record<string, unknown>): DslProgram {
  const blocks: Block[] = [];
  const globals: FieldNode[] = [];
  for (const [key, value] of Object.entries(document)) {
    if (key === 'signals' || key === 'decisions') continue;
    if (key === 'providers' && isRecord(value)) {
      const { models: _models, ...rest } = value;
      if (Object.keys(rest).length > 0) globals.push(field(key, raiseValue(rest, key)));
      continue;
    }
    globals.push(field(key, raiseValue(value, key)));
  }
  if (globals.length > 0) blocks.push({ kind: 'global', comments: [], at: NOWHERE, body: { kind: 'object', fields: globals, at: NOWHERE } });

  const providers = document.providers;
  const models = isRecord(providers) && Array.isArray(providers.models) ? providers.models : [];
  models.forEach((model, index) => {
    const path = `providers.models[${index}]`;
    if (!isRecord(model) || typeof model.name !== 'string') throw new DecompileError(path, 'a model needs a string name');
    const { name, ...rest } = model;
    blocks.push({ kind: 'backend', comments: [], type: 'model', typeAt: NOWHERE, name, nameAt: NOWHERE, body: raiseObject(rest, path) });
  });

  const signals = isRecord(document.signals) ? document.signals : {};
  for (const [configKey, rules] of Object.entries(signals)) {
    const plugin = findSignalPluginByConfigKey(configKey);
    if (plugin === undefined) throw new DecompileError(`signals.${configKey}`, 'is no known signal type');
    if (!Array.isArray(rules)) throw new DecompileError(`signals.${configKey}`, 'must be a list of rules');
    rules.forEach((rule, index) => {
      const path = `signals.${configKey}[${index}]`;
      if (!isRecord(rule) || typeof rule.name !== 'string') throw new DecompileError(path, 'a signal rule needs a string name');
      const { name, ...rest } = rule;
      blocks.push({ kind: 'signal', comments: [], type: plugin.type, typeAt: NOWHERE, name, nameAt: NOWHERE, body: raiseObject(rest, path) });
    });
  }

  const decisions = Array.isArray(document.decisions) ? document.decisions : [];
  decisions.forEach((decision, index) => blocks.push(raiseDecision(decision, `decisions[${index}]`)));
  return { blocks, trailingComments: [] };
}

function raiseDecision(decision: unknown, path: string): RouteBlock {
  if (!isRecord(decision) || typeof decision.name !== 'string') throw new DecompileError(path, 'a decision needs a string name');
  const options = decision.description === undefined ? [] : [field('description', raiseValue(decision.description, `${path}.description`))];
  const priority = decision.priority;
  if (priority !== undefined && typeof priority !== 'number') throw new DecompileError(`${path}.priority`, 'must be a number');
  const rules = canonicalRuleTree(decision.rules ?? { operator: 'AND', conditions: [] }, `${path}.rules`);
  const always = rules.operator === 'AND' && Array.isArray(rules.conditions) && rules.conditions.length === 0;

  const models: ModelRefNode[] = [];
  const refs = Array.isArray(decision.modelRefs) ? decision.modelRefs : [];
  refs.forEach((ref, index) => {
    const refPath = `${path}.modelRefs[${index}]`;
    if (!isRecord(ref) || typeof ref.model !== 'string') throw new DecompileError(refPath, 'a modelRef needs a string model');
    const refOptions: FieldNode[] = [];
    for (const [key, value] of Object.entries(ref)) {
      if (key === 'model' || (key === 'use_reasoning' && value === false)) continue;
      refOptions.push(field(DSL_OPTION_FOR[key] ?? key, raiseValue(value, `${refPath}.${key}`)));
    }
    models.push({ model: ref.model, at: NOWHERE, options: refOptions });
  });

  const plugins: PluginUseNode[] = [];
  const pluginList = Array.isArray(decision.plugins) ? decision.plugins : [];
  pluginList.forEach((plugin, index) => {
    const pluginPath = `${path}.plugins[${index}]`;
    if (!isRecord(plugin) || typeof plugin.type !== 'string') throw new DecompileError(pluginPath, 'a plug-in needs a string type');
    const extra = Object.keys(plugin).filter((key) => key !== 'type' && key !== 'configuration');
    if (extra.length > 0) throw new DecompileError(pluginPath, `has keys the DSL cannot spell: ${extra.join(', ')}`);
    if (plugin.configuration !== undefined && !isRecord(plugin.configuration)) throw new DecompileError(`${pluginPath}.configuration`, 'must be an object');
    plugins.push({ name: plugin.type, at: NOWHERE, ...(plugin.configuration !== undefined && { configuration: raiseObject(plugin.configuration as Record<string, unknown>, `${pluginPath}.configuration`) }) });
  });

  const fields: FieldNode[] = [];
  for (const [key, value] of Object.entries(decision)) {
    if (DECISION_KEYS.has(key) && !(key === 'algorithm' && !isRecord(value)) && !(key === 'plugins' && !Array.isArray(value))) continue;
    fields.push(field(key, raiseValue(value, `${path}.${key}`)));
  }
  const algorithm = isRecord(decision.algorithm) ? raiseAlgorithm(decision.algorithm, `${path}.algorithm`) : undefined;
  return {
    kind: 'route',
    comments: [],
    name: decision.name,
    nameAt: NOWHERE,
    options,
    ...(priority !== undefined && { priority: { value: priority, at: NOWHERE } }),
    ...(!always && { when: raiseExpr(rules, `${path}.rules`) }),
    models,
    ...(algorithm && { algorithm }),
    plugins,
    fields,
  };
}

function raiseAlgorithm(algorithm: Record<string, unknown>, path: string): AlgorithmNode {
  if (typeof algorithm.type !== 'string' || !IDENT_PATTERN.test(algorithm.type)) throw new DecompileError(`${path}.type`, 'must be an algorithm name');
  const type = algorithm.type;
  const parameters = algorithm[type];
  const hasBlock = isRecord(parameters);
  const options: FieldNode[] = [];
  const blockFields: FieldNode[] = hasBlock ? [...raiseObject(parameters, `${path}.${type}`).fields] : [];
  for (const [key, value] of Object.entries(algorithm)) {
    if (key === 'type' || (key === type && hasBlock)) continue;
    // Athena's spelling keeps on_error inside the parameter block.
    if (key === 'on_error' && hasBlock && !blockFields.some((existing) => existing.key === 'on_error')) blockFields.push(field(key, raiseValue(value, `${path}.${key}`)));
    else options.push(field(key, raiseValue(value, `${path}.${key}`)));
  }
  return { type, at: NOWHERE, options, ...(hasBlock && { fields: { kind: 'object', fields: blockFields, at: NOWHERE } }) };
}

/**
 * The one spelling of a rule tree: `{}` is the always-matching empty AND, an AND or OR with
 * one child is that child (same match and confidence), operators are upper case.
 */
export function canonicalRuleTree(rule: unknown, path: string): Record<string, unknown> {
  if (!isRecord(rule)) throw new DecompileError(path, 'a rule must be an object');
  if (rule.operator === undefined && rule.conditions === undefined && rule.type === undefined && rule.name === undefined) return { operator: 'AND', conditions: [] };
  if (rule.operator === undefined) return { type: rule.type, name: rule.name };
  const operator = String(rule.operator).toUpperCase();
  const conditions = Array.isArray(rule.conditions) ? rule.conditions.map((child, index) => canonicalRuleTree(child, `${path}.conditions[${index}]`)) : [];
  if ((operator === 'AND' || operator === 'OR') && conditions.length === 1) return conditions[0] as Record<string, unknown>;
  return { operator, conditions };
}

function raiseExpr(rule: Record<string, unknown>, path: string): ExprNode {
  if (rule.operator === undefined) {
    if (typeof rule.type !== 'string' || typeof rule.name !== 'string' || !IDENT_PATTERN.test(rule.type)) throw new DecompileError(path, 'a rule leaf needs a signal type and a name');
    return { kind: 'signal', type: rule.type, name: rule.name, at: NOWHERE, nameAt: NOWHERE };
  }
  const conditions = rule.conditions as Record<string, unknown>[];
  switch (rule.operator) {
    case 'NOT':
      if (conditions.length !== 1) throw new DecompileError(path, 'NOT needs exactly one condition');
      return { kind: 'not', operand: raiseExpr(conditions[0] as Record<string, unknown>, `${path}.conditions[0]`), at: NOWHERE };
    case 'AND':
    case 'OR':
      if (conditions.length === 0) return { kind: 'constant', value: rule.operator === 'AND', at: NOWHERE };
      return { kind: rule.operator === 'AND' ? 'and' : 'or', operands: conditions.map((child, index) => raiseExpr(child, `${path}.conditions[${index}]`)), at: NOWHERE };
    default:
      throw new DecompileError(`${path}.operator`, `unknown operator "${String(rule.operator)}"`);
  }
}

function field(key: string, value: ValueNode): FieldNode {
  return { key, keyAt: NOWHERE, value };
}

function raiseObject(object: Record<string, unknown>, path: string): ValueNode & { kind: 'object' } {
  return { kind: 'object', fields: Object.entries(object).map(([key, value]) => field(key, raiseValue(value, `${path}.${key}`))), at: NOWHERE };
}

function raiseValue(value: unknown, path: string): ValueNode {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return { kind: 'scalar', value, at: NOWHERE };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new DecompileError(path, 'the DSL has no spelling for infinite or NaN numbers');
    return { kind: 'scalar', value, at: NOWHERE };
  }
  if (Array.isArray(value)) return { kind: 'list', items: value.map((item, index) => raiseValue(item, `${path}[${index}]`)), at: NOWHERE };
  if (isRecord(value)) return raiseObject(value, path);
  throw new DecompileError(path, `has a value the DSL cannot spell (${typeof value})`);
}
