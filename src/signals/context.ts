import { conversationBytes } from './bounded-text.js';
import { ruleError } from './rule-error.js';
import type { RequestView, SignalExtractor, SignalPlugin, SignalResult } from './signal.js';
import { SIGNAL_POLICY_PROPERTIES, type SignalPolicyFields } from './signal-policy.js';

/** One `signals.context[]` rule; sizes are token counts like 512, "4K" or "1.5M". */
export interface ContextRule extends SignalPolicyFields {
  readonly name: string;
  readonly min_tokens?: number | string;
  readonly max_tokens?: number | string;
}

const TOKEN_SIZE_SCHEMA = {
  anyOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*[kKmM]?\\s*$' },
  ],
} as const;

const CONTEXT_RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    min_tokens: TOKEN_SIZE_SCHEMA,
    max_tokens: TOKEN_SIZE_SCHEMA,
    ...SIGNAL_POLICY_PROPERTIES,
  },
} as const;

const SIZE_SUFFIX: Readonly<Record<string, number>> = { '': 1, k: 1_000, m: 1_000_000 };

/**
 * Parses a token size: a non-negative number, or a string of digits with an optional
 * K (1000) or M (1 000 000) suffix, case-insensitive. Throws on anything else.
 */
export function parseTokenSize(value: number | string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new Error(`token size must be a non-negative number, got ${value}`);
    return value;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$/.exec(String(value));
  if (match === null) throw new Error(`token size must look like 512, "4K" or "1.5M", got ${JSON.stringify(value)}`);
  return Number(match[1]) * (SIZE_SUFFIX[match[2]!.toLowerCase()] ?? 1);
}

/**
 * Estimated token count of the whole conversation: ceil(UTF-8 bytes / 4) over every
 * message's text. This is Athena's estimate, kept on purpose: context rules carry
 * thresholds tuned against it, and a different estimator would silently shift every
 * migrated "4K" boundary. It costs one pass without allocation, overcounts little for
 * English and code, and for CJK (3 bytes, about 1 token per character) undercounts by
 * about a quarter, which is in the noise of a size threshold.
 */
export function estimateConversationTokens(request: RequestView): number {
  return Math.ceil(conversationBytes(request) / 4);
}

interface CompiledContextRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
}

function compileContextRule(rule: ContextRule): CompiledContextRule {
  try {
    const min = rule.min_tokens === undefined ? 0 : parseTokenSize(rule.min_tokens);
    const max = rule.max_tokens === undefined ? Number.POSITIVE_INFINITY : parseTokenSize(rule.max_tokens);
    if (min > max) throw new Error(`min_tokens (${min}) is above max_tokens (${max})`);
    return { name: rule.name, min, max };
  } catch (error) {
    throw ruleError('context', rule.name, error);
  }
}

/**
 * Context-size signal: every rule whose [min_tokens, max_tokens] holds the conversation's
 * estimated token count matches; `value` carries the count.
 */
export const contextSignalPlugin: SignalPlugin<ContextRule> = {
  type: 'context',
  configKey: 'context',
  ruleSchema: CONTEXT_RULE_SCHEMA,
  emittedNames: (rule) => [rule.name],
  create(rules): SignalExtractor {
    const compiled = rules.map(compileContextRule);
    return {
      type: 'context',
      extract(request: RequestView): readonly SignalResult[] {
        const tokens = estimateConversationTokens(request);
        return compiled.map((rule) => {
          const matched = rule.min <= tokens && tokens <= rule.max;
          return { type: 'context', name: rule.name, matched, confidence: matched ? 1 : 0, value: tokens };
        });
      },
    };
  },
};
