import type { ReasoningFamily } from '../config/runtime-config.js';

/** What routing decided about reasoning for one request. */
export interface ReasoningChoice {
  readonly enabled: boolean;
  /** The effort to ask for when enabled (modelRef effort, else the config default). */
  readonly effort: string;
}

/** The effort sent to a `reasoning_effort` model when the router turns reasoning off. */
const REASONING_OFF_EFFORT = 'low';

/**
 * Returns a copy of `body` with reasoning written the way vLLM reads it for the model's
 * family; other fields are untouched, and with no family the body is returned as is.
 *
 * - `chat_template_kwargs` families (qwen3, deepseek): `chat_template_kwargs[parameter]`
 *   is set to true/false, keeping the client's other template kwargs.
 * - `reasoning_effort` families (gpt-oss): vLLM reads the effort from the top-level field,
 *   so it goes there, not inside `chat_template_kwargs` as Athena writes it. On: the
 *   routed effort overrides the client's. Off: reasoning cannot be disabled for these
 *   models, only made cheap, so a client's own effort is respected and otherwise "low".
 */
export function applyReasoning(
  body: Readonly<Record<string, unknown>>,
  family: ReasoningFamily | undefined,
  choice: ReasoningChoice,
): Record<string, unknown> {
  if (family === undefined) return { ...body };
  if (family.type === 'chat_template_kwargs') {
    const existing = body.chat_template_kwargs;
    const kwargs = typeof existing === 'object' && existing !== null && !Array.isArray(existing) ? existing : {};
    return { ...body, chat_template_kwargs: { ...kwargs, [family.parameter]: choice.enabled } };
  }
  if (choice.enabled) return { ...body, [family.parameter]: choice.effort };
  const clientEffort = body[family.parameter];
  return { ...body, [family.parameter]: typeof clientEffort === 'string' ? clientEffort : REASONING_OFF_EFFORT };
}

/** What the router wrote into an upstream body to switch reasoning on (Athena's reasoning usage metrics read it). */
export interface ReasoningApplied {
  /** The model's reasoning family (configured or inferred from its name). */
  readonly family: string;
  /** The body field or template kwarg written: `enable_thinking`, `thinking`, `reasoning_effort`. */
  readonly parameter: string;
  /** The effort written, for `reasoning_effort` families; absent for template-flag families. */
  readonly effort?: string;
}

/**
 * What {@link applyReasoning} writes to switch reasoning on, or undefined when it switches nothing
 * on (reasoning off, or a model without a family). As in Athena, only reasoning turned on counts.
 */
export function reasoningApplied(family: ReasoningFamily | undefined, choice: ReasoningChoice): ReasoningApplied | undefined {
  if (family === undefined || !choice.enabled) return undefined;
  return family.type === 'reasoning_effort' ? { family: family.name, parameter: family.parameter, effort: choice.effort } : { family: family.name, parameter: family.parameter };
}
