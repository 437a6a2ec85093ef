import { randomUUID } from 'node:crypto';
import { RouterError } from '../../errors.js';
import type { Completion, JsonEdit, LooperCalls, LooperTry } from './looper.js';

/** One call a multi-model looper plans: which candidate, as which iteration (x-vsr-looper-iteration). */
export interface PlannedCall {
  readonly candidate: number;
  readonly iteration: number;
}

/** What came of a planned call: the completion, or why it failed. */
export interface CallResult extends PlannedCall {
  readonly completion?: Completion;
  readonly error?: string;
}

/**
 * Makes the planned calls, at most `limit` at a time, in plan order. A failed call is a result
 * (the looper's `on_error` decides what it means); a call that fails because the client went away
 * ends the whole run, and the shared abort signal has already cancelled the calls in flight.
 */
export async function callConcurrently(calls: LooperCalls, plan: readonly PlannedCall[], limit: number, edit: JsonEdit): Promise<CallResult[]> {
  const results: CallResult[] = new Array<CallResult>(plan.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.length) {
      const position = next++;
      const planned = plan[position]!;
      try {
        results[position] = { ...planned, completion: await calls.call(planned.candidate, planned.iteration, edit) };
      } catch (error) {
        if (calls.signal.aborted) throw error;
        results[position] = { ...planned, error: (error as Error).message };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, plan.length)) }, worker));
  return results;
}

/** The tries of finished calls, for headers, metrics and the access log. */
export function triesOf(results: readonly CallResult[], nameOf: (candidate: number) => string, round?: number): LooperTry[] {
  return results.map((result) => ({
    model: nameOf(result.candidate),
    outcome: result.error === undefined ? 'answered' : 'failed',
    ...(result.error === undefined ? {} : { error: result.error }),
    ...(round === undefined ? {} : { round }),
  }));
}

/** "a failed: why; b failed: why" for the failed calls, empty when none failed. */
export function failureNotes(results: readonly CallResult[], nameOf: (candidate: number) => string): string {
  return results.flatMap((result) => (result.error === undefined ? [] : [`${nameOf(result.candidate)} failed: ${result.error}`])).join('; ');
}

/** Under `on_error: fail` one failed call fails the request with a 502; under `skip` all must have failed. */
export function checkFailures(algorithm: string, results: readonly CallResult[], nameOf: (candidate: number) => string, onError: 'skip' | 'fail'): void {
  const failed = results.filter((result) => result.error !== undefined);
  const first = failed[0];
  if (first === undefined) return;
  if (onError === 'fail') throw new RouterError('SY_ERR_UPSTREAM_FAILED', `${algorithm} looper: ${nameOf(first.candidate)} failed: ${first.error}`);
  if (failed.length === results.length) throw new RouterError('SY_ERR_UPSTREAM_FAILED', `${algorithm} looper: every call failed (${failureNotes(results, nameOf)})`);
}

interface Message {
  readonly content?: unknown;
  readonly reasoning_content?: unknown;
  readonly reasoning?: unknown;
  readonly tool_calls?: unknown;
}

/** The first choice's message of a completion. */
export function firstMessage(completion: Completion): Message {
  const choice = (completion.choices as readonly { message?: Message }[])[0];
  return choice?.message ?? {};
}

/** The text of the first choice (empty when the answer is only a tool call). */
export function answerText(completion: Completion): string {
  const content = firstMessage(completion).content;
  return typeof content === 'string' ? content : '';
}

/** The reasoning a thinking model returned beside its answer (vLLM's `reasoning_content`, or `reasoning`). */
export function reasoningText(completion: Completion): string {
  const message = firstMessage(completion);
  const reasoning = message.reasoning_content ?? message.reasoning;
  return typeof reasoning === 'string' ? reasoning : '';
}

interface Usage {
  readonly prompt_tokens?: unknown;
  readonly completion_tokens?: unknown;
  readonly total_tokens?: unknown;
}

/** Token usage summed over every call a looper paid for; undefined when no answer reported any. */
export function summedUsage(completions: readonly Completion[]): { prompt_tokens: number; completion_tokens: number; total_tokens: number } | undefined {
  const usages = completions.flatMap((completion) => (typeof completion.usage === 'object' && completion.usage !== null ? [completion.usage as Usage] : []));
  if (usages.length === 0) return undefined;
  const sum = (key: keyof Usage): number => usages.reduce((total, usage) => total + (typeof usage[key] === 'number' ? (usage[key] as number) : 0), 0);
  return { prompt_tokens: sum('prompt_tokens'), completion_tokens: sum('completion_tokens'), total_tokens: sum('total_tokens') };
}

/**
 * A chat completion the looper writes itself (several models' answers in one), with the
 * `chatcmpl-looper-` id Athena uses for it and the usage of every call it made.
 */
export function composedCompletion(model: string, choices: readonly Record<string, unknown>[], paid: readonly Completion[]): Completion {
  const usage = summedUsage(paid);
  return {
    id: `chatcmpl-looper-${randomUUID().replaceAll('-', '')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: choices.map((choice, index) => ({ ...choice, index })),
    ...(usage === undefined ? {} : { usage }),
  };
}

/** The request without streaming (a looper reads whole answers) and without `stream_options`, which only streams may carry. */
export function unstreamed(json: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { stream_options: _streamOptions, ...rest } = json;
  return { ...rest, stream: false };
}
