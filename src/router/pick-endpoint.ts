import type { ModelEndpoint } from '../config/runtime-config.js';

/**
 * Picks an endpoint at random in proportion to `weight` (Athena takes the highest weight;
 * spreading by weight lets one model use several backends). `random` returns [0, 1).
 * Non-positive weights never win unless every weight is non-positive; then the pick is
 * uniform. Returns undefined only for an empty list.
 */
export function pickEndpoint(endpoints: readonly ModelEndpoint[], random: () => number): ModelEndpoint | undefined {
  const weights = endpoints.map((endpoint) => (endpoint.weight > 0 ? endpoint.weight : 0));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  if (total === 0) return endpoints[Math.min(Math.floor(random() * endpoints.length), endpoints.length - 1)];
  let remaining = random() * total;
  for (const [index, endpoint] of endpoints.entries()) {
    remaining -= weights[index]!;
    if (remaining < 0) return endpoint;
  }
  // Float rounding can leave `remaining` at 0 after the last positive weight.
  return endpoints.findLast((_, index) => weights[index]! > 0);
}
