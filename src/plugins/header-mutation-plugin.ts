import type { DecisionPluginType } from './decision-plugin.js';

/** `header_mutation` configuration (Athena §1.5). */
export interface HeaderMutationConfiguration {
  readonly add: readonly { readonly name: string; readonly value: string }[];
  readonly update: readonly { readonly name: string; readonly value: string }[];
  readonly delete: readonly string[];
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the ones that frame the body: the proxy owns them. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'host']);
/** Headers the router sets to route the request; a plug-in changing them would misroute it. */
const ROUTING = new Set(['x-selected-model', 'x-switchyard-cluster', 'authorization']);

/** Why a header name may not be mutated, or undefined when it may. */
function forbiddenHeaderReason(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.startsWith(':')) return 'pseudo-headers belong to the request line';
  if (HOP_BY_HOP.has(lower)) return 'it is a hop-by-hop or framing header';
  if (ROUTING.has(lower) || lower.startsWith('x-vsr-') || lower.startsWith('x-envoy-')) return 'it is a routing header';
  return undefined;
}

const TOKEN = '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$';
const HEADER = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'value'],
  properties: { name: { type: 'string', pattern: TOKEN }, value: { type: 'string', pattern: '^[\\t\\x20-\\x7e]*$' } },
} as const;

/**
 * Changes upstream request headers: `delete` removes, `add` and `update` set (ext_proc replaces a
 * header it sets). Hop-by-hop, pseudo and routing headers are refused when the config loads.
 */
export const headerMutationPlugin: DecisionPluginType<HeaderMutationConfiguration> = {
  type: 'header_mutation',
  configurationSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      add: { type: 'array', items: HEADER, default: [] },
      update: { type: 'array', items: HEADER, default: [] },
      delete: { type: 'array', items: { type: 'string', pattern: TOKEN }, default: [] },
    },
  },
  compile(configuration) {
    const set = [...configuration.add, ...configuration.update].map((h) => [h.name.toLowerCase(), h.value] as const);
    const remove = configuration.delete.map((name) => name.toLowerCase());
    for (const name of [...set.map(([n]) => n), ...remove]) {
      const reason = forbiddenHeaderReason(name);
      if (reason !== undefined) throw new Error(`header "${name}" cannot be mutated: ${reason}`);
    }
    return { apply: () => ({ setHeaders: set, removeHeaders: remove }) };
  },
};
