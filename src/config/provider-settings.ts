import type { ReasoningFamily } from './runtime-config.js';
import type { ConfigPathSegment, ConfigProblem } from './config-problem.js';
import type { ConfigDocument, ReasoningFamilyDocument } from './config-document.js';

/** Families every config knows; a config's `reasoning_families` may override them by name. */
export const BUILT_IN_REASONING_FAMILIES: readonly ReasoningFamily[] = [
  { name: 'qwen3', type: 'chat_template_kwargs', parameter: 'enable_thinking' },
  { name: 'deepseek', type: 'chat_template_kwargs', parameter: 'thinking' },
  { name: 'gpt-oss', type: 'reasoning_effort', parameter: 'reasoning_effort' },
  { name: 'gpt', type: 'reasoning_effort', parameter: 'reasoning_effort' },
  // Gemini 2.5+ through Google's OpenAI-compatible endpoint, which maps the effort to a thinking budget.
  { name: 'gemini', type: 'reasoning_effort', parameter: 'reasoning_effort' },
  // Claude (`api_format: anthropic`): the Messages translation turns the effort into a thinking budget.
  { name: 'claude', type: 'reasoning_effort', parameter: 'reasoning_effort' },
];

/** The effort used when neither a modelRef nor the config names one (Athena's Go fallback). */
export const FALLBACK_REASONING_EFFORT = 'medium';

/** The provider-wide settings, merged from `providers.*` and their top-level twins. */
export interface ProviderSettings {
  readonly defaultModel?: { readonly name: string; readonly path: readonly ConfigPathSegment[] };
  readonly reasoningFamilies: ReadonlyMap<string, ReasoningFamily>;
  readonly defaultReasoningEffort: string;
  /** A setting given in both places with different values. */
  readonly conflicts: readonly ConfigProblem[];
}

/**
 * Athena accepts `default_model`, `reasoning_families` and `default_reasoning_effort` both at
 * the top level and under `providers`. Either place works; giving one setting two different
 * values is a conflict rather than a silent precedence rule.
 */
export function resolveProviderSettings(document: ConfigDocument): ProviderSettings {
  const conflicts: ConfigProblem[] = [];
  const pick = <K extends 'default_model' | 'default_reasoning_effort'>(key: K): { name: string; path: ConfigPathSegment[] } | undefined => {
    const nested = document.providers[key];
    const top = document[key];
    if (nested !== undefined && top !== undefined && nested !== top) {
      conflicts.push({ path: [key], code: 'SY_CFG_CONFLICT', message: `${key} is "${top}" here but "${nested}" under providers; set it once` });
    }
    if (nested !== undefined) return { name: nested, path: ['providers', key] };
    return top === undefined ? undefined : { name: top, path: [key] };
  };

  const families = new Map<string, ReasoningFamily>(BUILT_IN_REASONING_FAMILIES.map((family) => [family.name, family]));
  const addFamilies = (entries: Readonly<Record<string, ReasoningFamilyDocument>> | undefined, path: ConfigPathSegment[], other?: Readonly<Record<string, ReasoningFamilyDocument>>): void => {
    for (const [name, family] of Object.entries(entries ?? {})) {
      const twin = other?.[name];
      if (twin !== undefined && (twin.type !== family.type || twin.parameter !== family.parameter)) {
        conflicts.push({ path: [...path, name], at: 'key', code: 'SY_CFG_CONFLICT', message: `reasoning family "${name}" is defined differently at the top level and under providers; define it once` });
      }
      families.set(name, { name, type: family.type, parameter: family.parameter });
    }
  };
  addFamilies(document.reasoning_families, ['reasoning_families'], document.providers.reasoning_families);
  addFamilies(document.providers.reasoning_families, ['providers', 'reasoning_families']);

  const defaultModel = pick('default_model');
  const effort = pick('default_reasoning_effort');
  return {
    ...(defaultModel === undefined ? {} : { defaultModel }),
    reasoningFamilies: families,
    defaultReasoningEffort: effort?.name ?? FALLBACK_REASONING_EFFORT,
    conflicts,
  };
}
