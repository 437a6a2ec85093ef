import { getLIDModel } from 'fasttext.wasm.js';
import type { RequestView, SignalExtractor, SignalPlugin, SignalResult } from './signal.js';
import { SIGNAL_POLICY_PROPERTIES, type SignalPolicyFields } from './signal-policy.js';
import { MODEL_TEXT_BUDGET } from './bounded-text.js';
import { lastUserTextKey } from './signal-memo.js';

/** One `signals.language[]` rule: `name` is the ISO-639-1 code it matches ("en", "zh"). */
export interface LanguageRule extends SignalPolicyFields {
  readonly name: string;
  readonly description?: string;
}

const LANGUAGE_RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-z]{2}$' },
    description: { type: 'string' },
    ...SIGNAL_POLICY_PROPERTIES,
  },
} as const;

/**
 * Below this fastText probability the text is too short or mixed to tell, and the language is
 * taken to be English, as Athena does, so migrated configs route the same way.
 */
const MIN_CONFIDENCE = 0.3;
const FALLBACK = 'en';

type Identify = (text: string) => Promise<{ readonly alpha2: string | null; readonly possibility: number }>;

let sharedModel: Promise<Identify> | undefined;
function languageIdentifier(): Promise<Identify> {
  sharedModel ??= (async () => {
    const model = await getLIDModel();
    await model.load();
    return (text: string) => model.identify(text);
  })();
  return sharedModel;
}

/**
 * The ISO-639-1 code of a text by fastText lid.176 (bundled in `fasttext.wasm.js`) and the
 * model's probability; fastText reads one line, so line breaks become spaces.
 */
async function identifyLanguage(text: string): Promise<{ readonly code: string; readonly confidence: number }> {
  const line = text.replace(/\s+/gu, ' ').trim();
  if (line === '') return { code: FALLBACK, confidence: 0 };
  const result = await (await languageIdentifier())(line);
  if (result.alpha2 === null || result.possibility < MIN_CONFIDENCE) return { code: FALLBACK, confidence: result.possibility };
  return { code: result.alpha2, confidence: result.possibility };
}

/** Language signal: the rule named after the last user message's language matches. */
export const languageSignalPlugin: SignalPlugin<LanguageRule> = {
  type: 'language',
  configKey: 'language',
  ruleSchema: LANGUAGE_RULE_SCHEMA,
  emittedNames: (rule) => [rule.name],
  async create(rules): Promise<SignalExtractor> {
    await languageIdentifier();
    return {
      type: 'language',
      textBudget: MODEL_TEXT_BUDGET,
      memoKey: lastUserTextKey,
      async extract(request: RequestView): Promise<readonly SignalResult[]> {
        const { code, confidence } = await identifyLanguage(request.lastUserText);
        return rules.map((rule) => {
          const matched = rule.name === code;
          return { type: 'language', name: rule.name, matched, confidence: matched ? confidence : 0 };
        });
      },
    };
  },
};
