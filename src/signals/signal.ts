import type { StageSpan } from '../telemetry/stage-span.js';

/** A chat message as signals see it: the role and its text (content parts joined). */
export interface ConversationMessage {
  readonly role: string;
  readonly text: string;
}

/** What signals read from a request. Built once per request by the router. */
export interface RequestView {
  /** Text of the last user message (string content, or the text parts joined with "\n"). */
  readonly lastUserText: string;
  /** Every message of the conversation, in order. */
  readonly messages: readonly ConversationMessage[];
  /** Request headers, lower-case names, first value. */
  readonly headers: ReadonlyMap<string, string>;
  /**
   * Set when the texts above are samples (a conversation too large to bring onto the event loop,
   * read on the JSON worker): the UTF-8 size of every message's full text.
   */
  readonly conversationBytes?: number;
  /** Set with `conversationBytes`: the view at each text budget, sampled from the full texts (see bounded-text.ts). */
  readonly presampled?: ReadonlyMap<number, RequestView>;
}

/** How a decision leaf names a signal: `${type}:${name}`, e.g. "keyword:coding_keywords". */
export type SignalId = `${string}:${string}`;

/** The outcome of one signal rule for one request. */
export interface SignalResult {
  readonly type: string;
  readonly name: string;
  readonly matched: boolean;
  /** 0..1; deterministic signals report 1 when matched. */
  readonly confidence: number;
  /** A raw number behind the result (token count, similarity), when there is one. */
  readonly value?: number;
  /** For signals that match when `value` reaches a bar: the bar. Read by explanations (`route --explain`). */
  readonly threshold?: number;
  /** A classifier's best labels with their probabilities, highest first. Read by explanations. */
  readonly topLabels?: readonly { readonly label: string; readonly score: number }[];
  /** The entity types behind a match (the PII types a rule denied), sorted; for `llm_pii_violations_total{pii_type}`. */
  readonly entityTypes?: readonly string[];
  /** Set when the extractor failed; the rule then does not match and the failure is reported. */
  readonly error?: string;
}

/** Every evaluated signal result of a request, keyed by SignalId. */
export type SignalSet = ReadonlyMap<SignalId, SignalResult>;

/** One compiled signal type with the rules of that type that some decision references. */
export interface SignalExtractor {
  readonly type: string;
  /**
   * How many UTF-16 code units of each text the extractor reads (see bounded-text.ts): the
   * pipeline passes it a view sampled down to this. Absent: the whole request, for extractors
   * that only count bytes or read headers.
   */
  readonly textBudget?: number;
  /**
   * Everything of the (bounded) request its results depend on, as one string, for an extractor whose
   * results are a pure function of the text (model-backed signals): the pipeline then reuses the
   * results for a text seen recently (signal-memo.ts). Absent: the extractor runs on every request.
   */
  memoKey?(request: RequestView): string;
  /** Evaluates every rule of this type and reports each, matched or not. */
  extract(request: RequestView, abort: AbortSignal): readonly SignalResult[] | Promise<readonly SignalResult[]>;
}

/** Runs the referenced extractors of a config and merges their results. */
export interface SignalPipeline {
  /** The signal types that run; a type no decision references is absent. */
  readonly types: readonly string[];
  /** `stages` is the request's trace stage the per-type `signal` stages hang under (absent: untimed). */
  evaluate(request: RequestView, abort: AbortSignal, stages?: StageSpan): Promise<SignalSet>;
  /**
   * Runs every extractor once on a short request, with no timeout, so that the first real
   * request does not pay for lazy model initialisation (ONNX session set-up, first-call
   * compilation) inside its signal timeouts.
   */
  warmUp(): Promise<void>;
  /** Releases what the extractors hold (model sessions); called when a config is retired. */
  close?(): Promise<void>;
}

/** A source position for diagnostics about one rule. */
export interface RuleLocation {
  readonly pointer: string;
}

/**
 * A signal type plug-in: one file plus one line in `signals/registry.ts`.
 * `configKey` is the key under `signals:` in YAML (Athena's vllm-sr name, e.g. "keywords"),
 * `type` is the leaf `type` in decisions (e.g. "keyword").
 */
export interface SignalPlugin<Rule extends { readonly name: string } = { readonly name: string }> {
  readonly type: string;
  readonly configKey: string;
  /** JSON Schema of one rule object under `signals.<configKey>[]`, merged into the config schema. */
  readonly ruleSchema: Record<string, unknown>;
  /** The signal names a rule emits (usually its name; complexity emits "name:hard" etc.). */
  emittedNames(rule: Rule): readonly string[];
  /**
   * Fields of a rule that are accepted (so Athena configs load) but not acted on, each with its
   * path inside the rule and why; reported as config warnings.
   */
  unsupportedFields?(rule: Rule): readonly UnsupportedField[];
  /** Builds the extractor for the rules that decisions reference. Throws a message on a bad rule. */
  create(rules: readonly Rule[], context: SignalBuildContext): SignalExtractor | Promise<SignalExtractor>;
}

/** What a signal plug-in may use while it is built. */
export interface SignalBuildContext {
  /** Directory of the config file, to resolve relative model paths. */
  readonly configDir: string;
  /** `ignore`: extractors run to completion whatever their rules' `timeout_ms` (offline tools). Enforced when absent. */
  readonly timeouts?: SignalTimeouts;
}

/** Whether signal rules' `timeout_ms` apply. */
export type SignalTimeouts = 'enforce' | 'ignore';

/** A rule field a plug-in accepts without acting on it. */
export interface UnsupportedField {
  readonly path: readonly (string | number)[];
  readonly reason: string;
}
