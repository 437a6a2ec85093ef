import { DECISION_PLUGIN_TYPES } from '../../src/plugins/registry.js';
import type { ConfigSchema } from '../../src/config/schema.js';

type JsonSchema = Readonly<Record<string, unknown>>;

/** Where a rule tree's own fields are listed: once, not under every key that holds a rule tree. */
export const RULE_TREE_PREFIX = '<rule>';

function walk(schema: JsonSchema, path: string, into: string[]): void {
  if (typeof schema['$ref'] === 'string') {
    into.push(path);
    return;
  }
  const properties = schema['properties'] as Record<string, JsonSchema> | undefined;
  const additional = schema['additionalProperties'];
  const items = schema['items'] as JsonSchema | undefined;
  if (properties !== undefined || (typeof additional === 'object' && additional !== null)) {
    for (const [key, child] of Object.entries(properties ?? {})) walk(child, path === '' ? key : `${path}.${key}`, into);
    if (typeof additional === 'object' && additional !== null) walk(additional as JsonSchema, `${path}.*`, into);
    return;
  }
  if (items !== undefined) {
    walk(items, `${path}[]`, into);
    return;
  }
  into.push(path);
}

/**
 * Every leaf field a config may set, as a path such as `providers.models[].endpoints[].weight`,
 * `reasoning_families.*.type` or `decisions[].plugins[semantic-cache].configuration.enabled`.
 * Rule trees (`decisions[].rules`, a complexity `composer`) are one leaf each; their node fields
 * are listed under `<rule>`. Each plug-in type's configuration is listed under its type.
 */
export function configFieldPaths(schema: ConfigSchema): string[] {
  const paths: string[] = [];
  walk(schema, '', paths);
  const rule = (schema['$defs'] as Record<string, JsonSchema>)['rule']!;
  walk(rule, RULE_TREE_PREFIX, paths);
  const expanded = paths.flatMap((path) =>
    path === 'decisions[].plugins[].configuration'
      ? DECISION_PLUGIN_TYPES.flatMap((plugin) => {
          const fields: string[] = [];
          walk(plugin.configurationSchema, `decisions[].plugins[${plugin.type}].configuration`, fields);
          return fields;
        })
      : [path],
  );
  return expanded.sort();
}
