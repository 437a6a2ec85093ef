import type { ModelPricing, RuntimeConfig } from '../config/runtime-config.js';

/** Token counts of one request; `estimated` when the upstream reported none and they were counted from text. */
export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly estimated: boolean;
}

/** The model "saved" is priced against, and its prices; no pricing when no model has one. */
export interface CostBaseline {
  readonly model: string;
  readonly pricing: ModelPricing | undefined;
}

/** What tokens cost at a model's prices; 0 for a model without pricing (a local model is free). */
export function tokenCost(pricing: ModelPricing | undefined, promptTokens: number, completionTokens: number): number {
  if (pricing === undefined) return 0;
  return (promptTokens * pricing.promptPer1M + completionTokens * pricing.completionPer1M) / 1_000_000;
}

/** The most expensive priced model: highest prompt price, then highest completion price. */
export function mostExpensiveModel(config: RuntimeConfig): CostBaseline {
  let best: CostBaseline = { model: config.defaultModel, pricing: undefined };
  for (const model of config.models.values()) {
    const price = model.pricing;
    if (price === undefined) continue;
    const current = best.pricing;
    if (current === undefined || price.promptPer1M > current.promptPer1M || (price.promptPer1M === current.promptPer1M && price.completionPer1M > current.completionPer1M)) {
      best = { model: model.name, pricing: price };
    }
  }
  return best;
}

/** `observability.cost_baseline_model` when set (checked to be priced at load), else the most expensive model. */
export function costBaseline(config: RuntimeConfig): CostBaseline {
  const named = config.observability?.costBaselineModel;
  if (named !== undefined) return { model: named, pricing: config.models.get(named)?.pricing };
  return mostExpensiveModel(config);
}
