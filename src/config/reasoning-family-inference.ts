import type { ConfigDocument } from './config-document.js';
import type { ConfigProblem } from './config-problem.js';

/** One row of the inference table: model names it matches and the built-in family they get. */
interface FamilyInference {
  readonly pattern: RegExp;
  readonly family: string;
}

/**
 * Which reasoning family a model without `reasoning_family` gets, by its name (first match
 * wins; the README documents this table). An explicit `reasoning_family` always overrides it.
 *
 * - Qwen3 (`enable_thinking`) and DeepSeek V3.1+ (`thinking`) read a chat-template flag.
 * - gpt-oss, OpenAI's o-series and GPT-5 read the top-level `reasoning_effort`.
 * - Gemini 2.5 and later, through Google's OpenAI-compatible endpoint, read `reasoning_effort`
 *   too (mapped to a thinking budget there).
 */
const INFERENCE_TABLE: readonly FamilyInference[] = [
  { pattern: /qwen3/i, family: 'qwen3' },
  { pattern: /deepseek/i, family: 'deepseek' },
  { pattern: /gpt-oss/i, family: 'gpt-oss' },
  { pattern: /(?:^|\/)o[1-9](?:-|$)/i, family: 'gpt' },
  { pattern: /(?:^|\/)gpt-5/i, family: 'gpt' },
  { pattern: /gemini-(?:2\.5|[3-9])/i, family: 'gemini' },
];

/** The family a model uses: its explicit `reasoning_family`, else the one its name implies, else none. */
export function reasoningFamilyName(model: { readonly name: string; readonly reasoning_family?: string }): string | undefined {
  return model.reasoning_family ?? INFERENCE_TABLE.find((row) => row.pattern.test(model.name))?.family;
}

/**
 * A warning at each model that some decision asks to reason but that has no family, given or
 * inferred: its requests go out unchanged and report reasoning off.
 */
export function reasoningWithoutFamilyWarnings(document: ConfigDocument): ConfigProblem[] {
  const askedBy = new Map<string, string[]>();
  for (const decision of document.decisions) {
    for (const ref of decision.modelRefs) {
      if (ref.use_reasoning) (askedBy.get(ref.model) ?? askedBy.set(ref.model, []).get(ref.model)!).push(decision.name);
    }
  }
  return document.providers.models.flatMap((model, index): ConfigProblem[] => {
    const decisions = askedBy.get(model.name);
    if (decisions === undefined || reasoningFamilyName(model) !== undefined) return [];
    return [{
      path: ['providers', 'models', index, 'name'],
      severity: 'warning',
      code: 'SY_CFG_NO_REASONING_FAMILY',
      message:
        `model "${model.name}" has use_reasoning: true in decision ${decisions.map((name) => `"${name}"`).join(', ')} but no reasoning family ` +
        'can be inferred from its name; reasoning will not be applied (set reasoning_family: qwen3, deepseek, gpt-oss, gpt or gemini, or define one under reasoning_families)',
    }];
  });
}
