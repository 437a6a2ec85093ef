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
