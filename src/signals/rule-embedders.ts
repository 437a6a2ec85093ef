import { BUNDLED_ENCODER_DIR } from '../classifiers/bundled-models.js';
import type { Embedder } from '../classifiers/embedder.js';
import { leaseEmbedder, modelFolder, type ModelLease } from './model-cache.js';
import { ruleError } from './rule-error.js';

/** The part of a rule that picks its embedder. */
export interface EmbedderRule {
  readonly name: string;
  /** An embedder folder (sentence encoder or word vectors), relative to the config file; defaults to models/use-lite. */
  readonly model_path?: string;
}

/**
 * Leases the embedder of every rule of a signal type, in rule order. A failure names the rule,
 * and the leases the other rules already took are released, so a rejected config holds no model.
 */
export async function leaseRuleEmbedders(type: string, rules: readonly EmbedderRule[], configDir: string): Promise<ModelLease<Embedder>[]> {
  const settled = await Promise.allSettled(rules.map((rule) => leaseEmbedder(modelFolder(rule.model_path, configDir, BUNDLED_ENCODER_DIR))));
  const failed = settled.findIndex((outcome) => outcome.status === 'rejected');
  if (failed === -1) return settled.map((outcome) => (outcome as PromiseFulfilledResult<ModelLease<Embedder>>).value);
  for (const outcome of settled) if (outcome.status === 'fulfilled') outcome.value.release();
  throw ruleError(type, rules[failed]!.name, (settled[failed] as PromiseRejectedResult).reason);
}

/**
 * Embeds the prompt once per embedder, however many rules share it (and the encoder's memo of recent
 * texts shares the vector across signal types and the semantic cache of the same request).
 */
export async function promptVectors(rules: readonly { readonly embedder: Embedder }[], text: string): Promise<Map<Embedder, Float32Array>> {
  const vectors = new Map<Embedder, Float32Array>();
  for (const { embedder } of rules) {
    if (!vectors.has(embedder)) vectors.set(embedder, (await embedder.embed([text]))[0]!);
  }
  return vectors;
}
