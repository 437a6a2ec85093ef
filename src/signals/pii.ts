import { loadNameAddressTagger } from './pii/name-address-tagger.js';
import { yieldToEventLoop } from './event-loop.js';
import { detectPiiInPieces, PII_TYPES, type TaggingBudget } from './pii/pii-detector.js';
import type { PiiEntity } from './pii/pii-entity.js';
import type { RequestView, SignalExtractor, SignalPlugin, SignalResult } from './signal.js';
import { SIGNAL_POLICY_PROPERTIES, type SignalPolicyFields } from './signal-policy.js';
import { MODEL_TEXT_BUDGET } from './bounded-text.js';
import { lastUserTextKey, userTurnsKey } from './signal-memo.js';

/** One `signals.pii[]` rule (Athena §1.3 field names). */
export interface PiiRule extends SignalPolicyFields {
  readonly name: string;
  readonly description?: string;
  /** Entity score (0..1) at or above which an entity counts; default 0.7 (drops context-free phone guesses). */
  readonly threshold?: number;
  /** Entity types that do not make the rule match. */
  readonly pii_types_allowed?: readonly string[];
  readonly include_history?: boolean;
}

/** Default entity score threshold: keeps checksum and context-backed findings. */
export const DEFAULT_PII_THRESHOLD = 0.7;

const PII_RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    threshold: { type: 'number', minimum: 0, maximum: 1 },
    pii_types_allowed: { type: 'array', uniqueItems: true, items: { enum: [...PII_TYPES] } },
    include_history: { type: 'boolean' },
    ...SIGNAL_POLICY_PROPERTIES,
  },
} as const;

/**
 * PII signal: a rule matches when a user text holds an entity at or above its threshold whose type
 * is not allowed. Detection runs once per request and text; `value` is the number of denied entities.
 */
export const piiSignalPlugin: SignalPlugin<PiiRule> = {
  type: 'pii',
  configKey: 'pii',
  ruleSchema: PII_RULE_SCHEMA,
  emittedNames: (rule) => [rule.name],
  create(rules): SignalExtractor {
    loadNameAddressTagger();
    return {
      type: 'pii',
      textBudget: MODEL_TEXT_BUDGET,
      memoKey: rules.some((rule) => rule.include_history === true) ? userTurnsKey : lastUserTextKey,
      async extract(request: RequestView, abort: AbortSignal): Promise<readonly SignalResult[]> {
        // The view is within the text budget already; the budget here only lets the tagger read all of it.
        const budget: TaggingBudget = { left: Number.POSITIVE_INFINITY, exhausted: false };
        const pause = async (): Promise<void> => {
          await yieldToEventLoop();
          if (abort.aborted) throw abort.reason;
        };
        const found = new Map<string, PiiEntity[]>();
        const lowestThreshold = Math.min(...rules.map((rule) => rule.threshold ?? DEFAULT_PII_THRESHOLD));
        const results: SignalResult[] = [];
        for (const rule of rules) {
          const allowed = new Set(rule.pii_types_allowed ?? []);
          const threshold = rule.threshold ?? DEFAULT_PII_THRESHOLD;
          const texts = rule.include_history === true ? request.messages.filter((m) => m.role === 'user').map((m) => m.text) : [request.lastUserText];
          const denied: PiiEntity[] = [];
          for (const text of texts) {
            let entities = found.get(text);
            if (entities === undefined) found.set(text, (entities = await detectPiiInPieces(text, lowestThreshold, budget, pause)));
            denied.push(...entities.filter((e) => e.score >= threshold && !allowed.has(e.type)));
          }
          const confidence = denied.reduce((best, e) => Math.max(best, e.score), 0);
          const result: SignalResult = { type: 'pii', name: rule.name, matched: denied.length > 0, confidence, value: denied.length };
          results.push(denied.length === 0 ? result : { ...result, entityTypes: [...new Set(denied.map((e) => e.type))].sort() });
        }
        return results;
      },
    };
  },
};
