import { resolve } from 'node:path';
import { BUNDLED_EMBEDDER_DIR, BUNDLED_ENCODER_DIR, BUNDLED_JAILBREAK_DIR } from '../classifiers/bundled-models.js';
import { maxSimilarity, type Embedder } from '../classifiers/embedder.js';
import { WordVectorEmbedder } from '../classifiers/word-vector-embedder.js';
import { normalizeForDetection } from '../router/text-normalization.js';
import { sharedJailbreakClassifier } from './jailbreak/jailbreak-classifier.js';
import { JailbreakEncoderHead, jailbreakHeadBase } from './jailbreak/jailbreak-encoder-head.js';
import type { ClosableSignalExtractor } from './closable-extractor.js';
import { leaseEmbedder, type ModelLease } from './model-cache.js';
import type { RequestView, SignalBuildContext, SignalExtractor, SignalPlugin, SignalResult } from './signal.js';
import { SIGNAL_POLICY_PROPERTIES, type SignalPolicyFields } from './signal-policy.js';
import { MODEL_TEXT_BUDGET } from './bounded-text.js';
import { lastUserTextKey, userTurnsKey } from './signal-memo.js';

/** One `signals.jailbreak[]` rule (Athena §1.3 field names). */
export interface JailbreakRule extends SignalPolicyFields {
  readonly name: string;
  readonly description?: string;
  readonly method?: 'classifier' | 'contrastive';
  /** classifier: probability at or above which the rule matches (default: the model's recommended value). contrastive: similarity margin. */
  readonly threshold?: number;
  /** Also score earlier user turns, one by one and joined, and take the highest score. */
  readonly include_history?: boolean;
  readonly jailbreak_patterns?: readonly string[];
  readonly benign_patterns?: readonly string[];
  /** A model folder in the bundled layout, relative to the config file; defaults to models/jailbreak (models/jailbreak-head: the encoder head). */
  readonly model_path?: string;
}

const PATTERNS = { type: 'array', items: { type: 'string', minLength: 1, pattern: '\\S' } } as const;

const JAILBREAK_RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    method: { enum: ['classifier', 'contrastive'] },
    threshold: { type: 'number', minimum: -1, maximum: 1 },
    include_history: { type: 'boolean' },
    jailbreak_patterns: PATTERNS,
    benign_patterns: PATTERNS,
    model_path: { type: 'string', minLength: 1 },
    ...SIGNAL_POLICY_PROPERTIES,
  },
} as const;

/** Athena's usual contrastive margin: a prompt must sit clearly closer to an attack than to any benign pattern. */
const DEFAULT_CONTRASTIVE_THRESHOLD = 0.1;

/** The user texts a rule scores: the last user message, or with history every user turn and all of them joined. */
export function userTexts(request: RequestView, includeHistory: boolean): string[] {
  if (!includeHistory) return [request.lastUserText];
  const turns = request.messages.filter((m) => m.role === 'user').map((m) => m.text);
  // Joined turns catch an attack split across messages that no single turn carries.
  return turns.length > 1 ? [...turns, turns.join('\n')] : turns.length === 1 ? turns : [request.lastUserText];
}

type Scorer = (texts: readonly string[]) => Promise<number[]>;

let sharedEmbedder: Promise<Embedder> | undefined;
function bundledEmbedder(): Promise<Embedder> {
  sharedEmbedder ??= WordVectorEmbedder.load(BUNDLED_EMBEDDER_DIR);
  return sharedEmbedder;
}

async function contrastiveScorer(rule: JailbreakRule): Promise<Scorer> {
  const embedder = await bundledEmbedder();
  const attacks = await embedder.embed((rule.jailbreak_patterns ?? []).map(normalizeForDetection));
  const benign = await embedder.embed((rule.benign_patterns ?? []).map(normalizeForDetection));
  return async (texts) => {
    const vectors = await embedder.embed(texts.map(normalizeForDetection));
    return vectors.map((v) => maxSimilarity(v, attacks) - (benign.length === 0 ? 0 : maxSimilarity(v, benign)));
  };
}

interface CompiledJailbreakRule {
  readonly name: string;
  readonly threshold: number;
  readonly includeHistory: boolean;
  readonly score: Scorer;
  /** The shared sentence encoder an encoder head leased, handed back when the config retires. */
  readonly encoderLease?: ModelLease<Embedder>;
}

/** A classifier folder: the windowed n-gram model (the default), or an encoder head stacked on one. */
async function classifierScorer(dir: string): Promise<{ score: Scorer; recommendedThreshold: number; encoderLease?: ModelLease<Embedder> }> {
  const baseDir = jailbreakHeadBase(dir);
  if (baseDir === undefined) return sharedJailbreakClassifier(dir, bundledEmbedder()).then((c) => ({ score: (texts) => c.score(texts), recommendedThreshold: c.recommendedThreshold }));
  const encoderLease = await leaseEmbedder(BUNDLED_ENCODER_DIR);
  try {
    const head = await JailbreakEncoderHead.load(dir, await sharedJailbreakClassifier(baseDir, bundledEmbedder()), encoderLease.model);
    return { score: (texts) => head.score(texts), recommendedThreshold: head.recommendedThreshold, encoderLease };
  } catch (error) {
    encoderLease.release();
    throw error;
  }
}

async function compileRule(rule: JailbreakRule, context: SignalBuildContext): Promise<CompiledJailbreakRule> {
  const includeHistory = rule.include_history === true;
  if (rule.method === 'contrastive') {
    if ((rule.jailbreak_patterns ?? []).length === 0) throw new Error('method contrastive needs at least one jailbreak_patterns entry');
    return { name: rule.name, includeHistory, threshold: rule.threshold ?? DEFAULT_CONTRASTIVE_THRESHOLD, score: await contrastiveScorer(rule) };
  }
  if (rule.threshold !== undefined && rule.threshold < 0) throw new Error(`jailbreak rule "${rule.name}": a classifier threshold is a probability in [0, 1]`);
  const dir = rule.model_path === undefined ? BUNDLED_JAILBREAK_DIR : resolve(context.configDir, rule.model_path);
  const classifier = await classifierScorer(dir);
  return { name: rule.name, includeHistory, threshold: rule.threshold ?? classifier.recommendedThreshold, score: classifier.score, encoderLease: classifier.encoderLease };
}

/**
 * Jailbreak and prompt-injection signal. `classifier` runs the bundled model; `contrastive` compares
 * the prompt's embedding with attack and benign example prompts. Text is normalised against
 * Unicode tricks first; the score is the highest over the scored texts, reported in `value`.
 */
export const jailbreakSignalPlugin: SignalPlugin<JailbreakRule> = {
  type: 'jailbreak',
  configKey: 'jailbreak',
  ruleSchema: JAILBREAK_RULE_SCHEMA,
  emittedNames: (rule) => [rule.name],
  async create(rules, context): Promise<ClosableSignalExtractor> {
    const settled = await Promise.allSettled(rules.map((rule) => compileRule(rule, context)));
    const compiled = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const release = (): void => compiled.forEach((rule) => rule.encoderLease?.release());
    const failed = settled.findIndex((s) => s.status === 'rejected');
    if (failed >= 0) {
      release();
      const error = (settled[failed] as PromiseRejectedResult).reason as Error;
      throw new Error(`jailbreak rule "${rules[failed]!.name}": ${error.message}`, { cause: error });
    }
    return {
      close: release,
      type: 'jailbreak',
      textBudget: MODEL_TEXT_BUDGET,
      memoKey: compiled.some((rule) => rule.includeHistory) ? userTurnsKey : lastUserTextKey,
      async extract(request: RequestView): Promise<readonly SignalResult[]> {
        return Promise.all(
          compiled.map(async (rule): Promise<SignalResult> => {
            const texts = userTexts(request, rule.includeHistory).filter((text) => text.trim() !== '');
            const score = texts.length === 0 ? 0 : Math.max(...(await rule.score(texts)));
            const matched = score >= rule.threshold;
            return { type: 'jailbreak', name: rule.name, matched, confidence: Math.min(1, Math.max(0, score)), value: score, threshold: rule.threshold };
          }),
        );
      },
    };
  },
};
