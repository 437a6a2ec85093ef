import { conversationBytes } from '../signals/bounded-text.js';
import { DEFAULT_PII_THRESHOLD } from '../signals/pii.js';
import { loadNameAddressTagger } from '../signals/pii/name-address-tagger.js';
import { RouterError } from '../errors.js';
import { errorReply } from '../router/error-reply.js';
import { PII_TYPES, TAGGED_PII_TYPES } from '../signals/pii/pii-detector.js';
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
 * Most message text (UTF-8 bytes, all messages) a `pii` plug-in scans. Scanning is linear and
 * yields to the event loop, but a larger conversation is refused with 413 rather than sent on with
 * personal data unscanned: 1 MiB (about 250k tokens) is scanned in well under the ext_proc message
 * timeout (bench/routing-default.ts).
 */
export const PII_SCAN_LIMIT_BYTES = 1_048_576;
/**
 * Characters of the conversation the name/address tagger reads (PERSON, STREET_ADDRESS); the
 * pattern types are looked for everywhere. Past it the reply says so in `x-vsr-pii-untagged`.
 */
export const PII_TAGGING_BUDGET_CHARS = 16_384;

/**
 * Per-decision PII policy over every message: `allow` sends it on, `block` refuses with a 403
 * naming the types (never the values), `redact` replaces each entity with a typed placeholder
 * in the upstream body and lists the types in `x-vsr-pii-redacted`. A conversation over
 * {@link PII_SCAN_LIMIT_BYTES} is refused with 413; one over the tagging budget is scanned for
 * every pattern type and flagged with `x-vsr-pii-untagged: PERSON,STREET_ADDRESS`.
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
    const untagged = TAGGED_PII_TYPES.filter((type) => !allowed.has(type)).join(',');
    return {
      async apply({ decision, request, trace }) {
        if (configuration.action === 'allow' || configuration.enabled === false) return {};
        const bytes = conversationBytes(request.view);
        if (bytes > PII_SCAN_LIMIT_BYTES) {
          const message = `decision "${decision}" scans messages for personal data up to ${PII_SCAN_LIMIT_BYTES} bytes of text; this conversation has ${bytes}`;
          return { reply: errorReply(new RouterError('SY_ERR_REQUEST_TOO_LARGE', message)) };
        }
        const texts = request.view.messages.map((m) => m.text);
        const redaction = await planRedaction(texts, allowed, threshold, PII_TAGGING_BUDGET_CHARS);
        const flag: (readonly [string, string])[] = redaction.partlyTagged && untagged !== '' ? [['x-vsr-pii-untagged', untagged]] : [];
        if (redaction.types.length === 0) return flag.length === 0 ? {} : { responseHeaders: flag };
        const types = redaction.types.join(',');
        if (configuration.action === 'block') {
          return {
            reply: blockedReply({ decision, trace, reason: `pii:${types}`, explanation: `it contains personal data (${types})`, details: 'pii_policy_denied' }),
          };
        }
        return { editBody: (body) => redactJsonBody(body, redaction), responseHeaders: [['x-vsr-pii-redacted', types], ...flag] };
      },
    };
  },
};
