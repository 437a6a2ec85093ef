import type { SelectionAlgorithm } from '../selection-algorithm.js';
import type { Looper } from './looper.js';
import { callConcurrently, checkFailures, composedCompletion, failureNotes, firstMessage, triesOf, unstreamed } from './looper-answers.js';

export interface RatingsParameters {
  /** At most this many calls in flight; every candidate at once when unset. */
  readonly max_concurrent?: number;
  /** Overrides the decision's `algorithm.on_error` (Athena's place for it). */
  readonly on_error?: 'skip' | 'fail';
}

/**
 * Athena's `ratings` looper (its CLI calls it `concurrent`): an arena. Every candidate answers
 * the same request, `max_concurrent` at a time, and the reply holds one choice per model that
 * answered (choice i is the i-th model of `x-vsr-looper-models-used`, and says so in its `model`
 * key), with the usage of every call. A failed call is left out under `on_error: skip` (502 when
 * all fail) and fails the request under `fail`. The answers are compared side by side, so none
 * can be routed: a streaming client gets the held answers as SSE.
 */
export const ratingsLooper: SelectionAlgorithm<RatingsParameters> = {
  type: 'ratings',
  aliases: ['concurrent'],
  parameterSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      max_concurrent: { type: 'integer', minimum: 1 },
      on_error: { enum: ['skip', 'fail'] },
    },
  },
  defaults: {},
  globalKey: undefined,
  create(parameters, context) {
    const candidates = context.candidates;
    if (candidates.length < 2) throw new Error('a ratings arena needs at least two modelRefs');
    const onError = parameters.on_error ?? context.onError;
    const limit = parameters.max_concurrent ?? candidates.length;
    const nameOf = (candidate: number): string => candidates[candidate]!.target.name;
    const names = candidates.map((candidate) => candidate.target.name);
    const plan = `arena of ${names.join(', ')}, ${Math.min(limit, names.length)} at a time`;
    const looper: Looper = {
      async run(calls) {
        const results = await callConcurrently(calls, candidates.map((_, candidate) => ({ candidate, iteration: candidate + 1 })), limit, unstreamed);
        checkFailures('ratings', results, nameOf, onError);
        const answered = results.filter((result) => result.completion !== undefined);
        const models = answered.map((result) => nameOf(result.candidate));
        const choices = answered.map((result) => {
          const choice = (result.completion!.choices as readonly Record<string, unknown>[])[0] ?? {};
          return { message: { role: 'assistant', ...firstMessage(result.completion!) }, logprobs: choice.logprobs ?? null, finish_reason: choice.finish_reason ?? 'stop', model: nameOf(result.candidate) };
        });
        const completion = composedCompletion(models.join(','), choices, answered.map((result) => result.completion!));
        const failures = failureNotes(results, nameOf);
        const reason = `${answered.length} of ${results.length} answered${failures === '' ? '' : ` (${failures})`}`;
        return { kind: 'answer', candidate: answered.at(-1)!.candidate, completion, tries: triesOf(results, nameOf), reason };
      },
    };
    return { needsEmbedding: false, select: () => ({ index: 0, reason: plan }), looper };
  },
};
