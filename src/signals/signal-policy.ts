/** What a failed or timed-out signal rule does to its request. */
export type SignalErrorPolicy = 'skip' | 'fail';

/** The failure-handling fields any signal rule may carry. */
export interface SignalPolicyFields {
  /** How long the rule's signal type may take per request, in milliseconds. */
  readonly timeout_ms?: number;
  /** `skip`: the rule does not match and routing goes on; `fail`: the request fails with SY_ERR_SIGNAL_FAILED. */
  readonly on_error?: SignalErrorPolicy;
}

/**
 * JSON Schema properties of {@link SignalPolicyFields}, for a plug-in to spread into its rule
 * schema. A type without them runs with the defaults below.
 */
export const SIGNAL_POLICY_PROPERTIES = {
  timeout_ms: { type: 'integer', minimum: 1, maximum: 60_000 },
  on_error: { enum: ['skip', 'fail'] },
} as const;

/**
 * Model-backed signals take well under 5 ms on two cores (bench/routing-default.ts); 250 ms
 * leaves room for a loaded machine and still bounds what a stuck model adds to a request.
 */
export const DEFAULT_SIGNAL_TIMEOUT_MS = 250;

/** A signal is an input to routing, not the request's purpose: by default a broken one is routed around. */
export const DEFAULT_SIGNAL_ERROR_POLICY: SignalErrorPolicy = 'skip';

/** The resolved policy of one rule. */
export interface SignalPolicy {
  readonly timeoutMs: number;
  readonly onError: SignalErrorPolicy;
}

/** The policy a rule asks for, defaults filled in. */
export function signalPolicy(rule: SignalPolicyFields): SignalPolicy {
  return { timeoutMs: rule.timeout_ms ?? DEFAULT_SIGNAL_TIMEOUT_MS, onError: rule.on_error ?? DEFAULT_SIGNAL_ERROR_POLICY };
}
