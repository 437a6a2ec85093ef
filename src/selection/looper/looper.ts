/** One model a looper called and what came of it. */
export interface LooperTry {
  readonly model: string;
  readonly outcome: 'answered' | 'escalated' | 'failed';
  /** The answer's confidence; absent when the call failed or the answer had no log-probabilities. */
  readonly confidence?: number;
  readonly error?: string;
  /** The round the call belonged to, for multi-round strategies (remom); absent otherwise. */
  readonly round?: number;
}

/** A chat completion body as an upstream returned it (JSON). */
export type Completion = Readonly<Record<string, unknown>>;

/** Changes a request's JSON body (a looper asks for logprobs, for no stream, for a synthesis prompt). */
export type JsonEdit = (json: Readonly<Record<string, unknown>>) => Record<string, unknown>;

/** Router-made evidence added to a held answer under its own top-level key (remom's rounds). */
export interface AnswerExtension {
  readonly name: string;
  readonly value: unknown;
}

/** How a looper reaches the decision's candidates: one upstream call, the client's request with `edit` applied. */
export interface LooperCalls {
  /** Aborted when the client goes away; a call that fails then is not a reason to escalate. */
  readonly signal: AbortSignal;
  call(candidate: number, iteration: number, edit: JsonEdit): Promise<Completion>;
}

/**
 * How a looper run ends: an answer it already holds (sent to the client as it is), or the
 * candidate the request should simply be routed to (the last of a cascade, whose answer is final
 * anyway, so it streams from the upstream like any routed request).
 */
export type LooperOutcome =
  | {
      readonly kind: 'answer';
      readonly candidate: number;
      readonly completion: Completion;
      readonly tries: readonly LooperTry[];
      readonly reason: string;
      readonly extension?: AnswerExtension;
    }
  | {
      readonly kind: 'route';
      readonly candidate: number;
      readonly tries: readonly LooperTry[];
      readonly reason: string;
      /** A change to the client's request before it is routed (remom's synthesis prompt). */
      readonly edit?: JsonEdit;
    };

/**
 * A multi-model strategy of one decision (Athena's "looper"): it calls candidates itself during
 * routing. Its selector answers `route` output, which calls no upstream, with the plan.
 */
export interface Looper {
  run(calls: LooperCalls): Promise<LooperOutcome>;
}

/** Settings of the top-level `looper` section, for every looper call. */
export interface LooperSettings {
  /** Per upstream call (`timeout_seconds`). */
  readonly timeoutMs: number;
  /** Extra attempts after a connection failure, a 429 or a 5xx (`retry_count`). */
  readonly retryCount: number;
  /** Added to every looper call (`headers`). */
  readonly headers: readonly (readonly [string, string])[];
}

/** Athena's defaults: 30 s per call, no retry. */
export const DEFAULT_LOOPER_SETTINGS: LooperSettings = { timeoutMs: 30_000, retryCount: 0, headers: [] };
