import { ruleError } from './rule-error.js';
import type { RequestView, SignalExtractor, SignalPlugin, SignalResult } from './signal.js';
import { SIGNAL_POLICY_PROPERTIES, type SignalPolicyFields } from './signal-policy.js';
import { KEYWORD_TEXT_BUDGET } from './bounded-text.js';

/** One `signals.keywords[]` rule. */
export interface KeywordRule extends SignalPolicyFields {
  readonly name: string;
  readonly operator: 'OR' | 'AND' | 'NOR';
  readonly keywords: readonly string[];
  readonly case_sensitive?: boolean;
}

const KEYWORD_RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'operator', 'keywords'],
  properties: {
    name: { type: 'string', minLength: 1 },
    operator: { enum: ['OR', 'AND', 'NOR'] },
    keywords: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, pattern: '\\S' } },
    case_sensitive: { type: 'boolean' },
    ...SIGNAL_POLICY_PROPERTIES,
  },
} as const;

// A Unicode-aware \w: plain \w is ASCII-only, so "café" would match inside "cafés".
const WORD_CHAR = String.raw`[\p{L}\p{M}\p{N}_]`;
const WORD_CHAR_TEST = new RegExp(`^${WORD_CHAR}$`, 'u');
// Scripts written without spaces between words: a boundary check there would stop
// "数学" from matching in "我喜欢数学", so such edges get no lookaround.
const UNSPACED_SCRIPT_TEST = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]$/u;

function needsWordBoundary(char: string | undefined): boolean {
  return char !== undefined && WORD_CHAR_TEST.test(char) && !UNSPACED_SCRIPT_TEST.test(char);
}

// Only syntax characters and "/" may be escaped under the `u` flag ("\-" is a syntax error there).
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * The whole-word (or whole-phrase) pattern of one keyword. Boundaries are lookarounds on
 * word characters, added only on an edge that is itself a word character, so "c++" and
 * ".net" still match; any whitespace run inside a phrase matches any whitespace run.
 */
export function keywordPattern(keyword: string, caseSensitive: boolean): RegExp {
  const trimmed = keyword.trim();
  if (trimmed === '') throw new Error('a keyword is empty');
  const chars = Array.from(trimmed);
  const body = trimmed.split(/\s+/u).map(escapeRegExp).join(String.raw`\s+`);
  const start = needsWordBoundary(chars[0]) ? `(?<!${WORD_CHAR})` : '';
  const end = needsWordBoundary(chars[chars.length - 1]) ? `(?!${WORD_CHAR})` : '';
  return new RegExp(`${start}${body}${end}`, caseSensitive ? 'u' : 'iu');
}

interface CompiledKeywordRule {
  readonly name: string;
  readonly operator: KeywordRule['operator'];
  readonly patterns: readonly RegExp[];
}

function ruleMatches(rule: CompiledKeywordRule, text: string): boolean {
  switch (rule.operator) {
    case 'OR':
      return rule.patterns.some((pattern) => pattern.test(text));
    case 'AND':
      return rule.patterns.every((pattern) => pattern.test(text));
    case 'NOR':
      return !rule.patterns.some((pattern) => pattern.test(text));
  }
}

function compileKeywordRule(rule: KeywordRule): CompiledKeywordRule {
  if (rule.operator !== 'OR' && rule.operator !== 'AND' && rule.operator !== 'NOR') {
    throw new Error(`keyword rule "${rule.name}": operator must be OR, AND or NOR, got ${JSON.stringify(rule.operator)}`);
  }
  try {
    const caseSensitive = rule.case_sensitive === true;
    return { name: rule.name, operator: rule.operator, patterns: rule.keywords.map((k) => keywordPattern(k, caseSensitive)) };
  } catch (error) {
    throw ruleError('keyword', rule.name, error);
  }
}

/**
 * Keyword signal: matches keywords and phrases in the last user message. Unlike Athena,
 * which stops at the first matching rule, every rule is evaluated and reported.
 */
export const keywordSignalPlugin: SignalPlugin<KeywordRule> = {
  type: 'keyword',
  configKey: 'keywords',
  ruleSchema: KEYWORD_RULE_SCHEMA,
  emittedNames: (rule) => [rule.name],
  create(rules): SignalExtractor {
    const compiled = rules.map(compileKeywordRule);
    return {
      type: 'keyword',
      textBudget: KEYWORD_TEXT_BUDGET,
      extract(request: RequestView): readonly SignalResult[] {
        const text = request.lastUserText;
        return compiled.map((rule) => {
          const matched = ruleMatches(rule, text);
          return { type: 'keyword', name: rule.name, matched, confidence: matched ? 1 : 0 };
        });
      },
    };
  },
};
