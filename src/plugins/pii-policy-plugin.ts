import { DEFAULT_PII_THRESHOLD } from '../signals/pii.js';
import { loadNameAddressTagger } from '../signals/pii/name-address-tagger.js';
import { PII_TYPES } from '../signals/pii/pii-detector.js';
import { blockedReply } from './blocked-reply.js';
import type { DecisionPluginType } from './decision-plugin.js';
import { planRedaction, redactJsonBody } from './pii-redaction.js';

/** `pii` plug-in configuration: what the decision does with personal data in the conversation. */
export interface PiiPolicyConfiguration {
  readonly action: 'allow' | 'redact' | 'block';
  readonly pii_types_allowed: readonly string[];
  readonly threshold?: number;
  /** Athena's legacy switch; false behaves as `allow`. */
  readonly enabled?: boolean;
}

/**
 * Per-decision PII policy over every message: `allow` sends it on, `block` refuses with a 403
 * naming the types (never the values), `redact` replaces each entity with a typed placeholder
 * in the upstream body and lists the types in `x-vsr-pii-redacted`.
 */
export const piiPolicyPlugin: DecisionPluginType<PiiPolicyConfiguration> = {
  type: 'pii',
  configurationSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      action: { enum: ['allow', 'redact', 'block'], default: 'redact' },
      pii_types_allowed: { type: 'array', uniqueItems: true, items: { enum: [...PII_TYPES] }, default: [] },
      threshold: { type: 'number', minimum: 0, maximum: 1 },
      enabled: { type: 'boolean' },
    },
  },
  compile(configuration) {
    loadNameAddressTagger();
    const allowed = new Set(configuration.pii_types_allowed);
    const threshold = configuration.threshold ?? DEFAULT_PII_THRESHOLD;
    return {
      apply({ decision, request, trace }) {
        if (configuration.action === 'allow' || configuration.enabled === false) return {};
        const redaction = planRedaction(request.view.messages.map((m) => m.text), allowed, threshold);
        if (redaction.types.length === 0) return {};
        const types = redaction.types.join(',');
        if (configuration.action === 'block') {
          return {
            reply: blockedReply({ decision, trace, reason: `pii:${types}`, explanation: `it contains personal data (${types})`, details: 'pii_policy_denied' }),
          };
        }
        return { editBody: (body) => redactJsonBody(body, redaction), responseHeaders: [['x-vsr-pii-redacted', types]] };
      },
    };
  },
};
