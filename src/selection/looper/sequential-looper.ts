import { RouterError } from '../../errors.js';
import type { SelectionAlgorithm } from '../selection-algorithm.js';
import type { Completion, Looper } from './looper.js';
import { answerText, checkFailures, composedCompletion, failureNotes, firstMessage, triesOf, unstreamed, type CallResult } from './looper-answers.js';

export interface SequentialParameters {
  /** Overrides the decision's `algorithm.on_error`. */
  readonly on_error?: 'skip' | 'fail';
}

/** Athena's separator between two models' answers. */
const SEPARATOR = '\n\n---\n\n';

/**
 * Athena's base looper, which its CLI calls `sequential`: every candidate answers in modelRef
 * order, one after the other, and the reply is their answers in one message, each under a
 * `**[model]:**` label, separated by a rule. The last answer's tool calls, if any, are kept. A
 * failed call is left out under `on_error: skip` (502 when all fail) and fails the request at
 * once under `fail`, without calling the models after it. A streaming client gets the joined
 * answer as SSE.
 */
export const sequentialLooper: SelectionAlgorithm<SequentialParameters> = {
  type: 'sequential',
  aliases: [],
  parameterSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { on_error: { enum: ['skip', 'fail'] } },
  },
  defaults: {},
  globalKey: undefined,
  create(parameters, context) {
    const candidates = context.candidates;
    if (candidates.length < 2) throw new Error('a sequential looper needs at least two modelRefs');
    const onError = parameters.on_error ?? context.onError;
    const nameOf = (candidate: number): string => candidates[candidate]!.target.name;
    const plan = `one after another: ${candidates.map((candidate) => candidate.target.name).join(', ')}`;
    const looper: Looper = {
      async run(calls) {
        const results: CallResult[] = [];
        for (let candidate = 0; candidate < candidates.length; candidate++) {
          try {
            results.push({ candidate, iteration: candidate + 1, completion: await calls.call(candidate, candidate + 1, unstreamed) });
          } catch (error) {
            if (calls.signal.aborted) throw error;
            results.push({ candidate, iteration: candidate + 1, error: (error as Error).message });
            if (onError === 'fail') throw new RouterError('SY_ERR_UPSTREAM_FAILED', `sequential looper: ${nameOf(candidate)} failed: ${(error as Error).message}`);
          }
        }
        checkFailures('sequential', results, nameOf, onError);
        const answered = results.filter((result): result is CallResult & { completion: Completion } => result.completion !== undefined);
        const last = answered.at(-1)!;
        const content = answered.map((result) => `**[${nameOf(result.candidate)}]:**\n${answerText(result.completion)}`).join(SEPARATOR);
        const toolCalls = firstMessage(last.completion).tool_calls;
        const message = { role: 'assistant', content, ...(Array.isArray(toolCalls) ? { tool_calls: toolCalls } : {}) };
        const completion = composedCompletion(nameOf(last.candidate), [{ message, logprobs: null, finish_reason: Array.isArray(toolCalls) ? 'tool_calls' : 'stop' }], answered.map((result) => result.completion));
        const failures = failureNotes(results, nameOf);
        const reason = `joined ${answered.map((result) => nameOf(result.candidate)).join(', ')}${failures === '' ? '' : `; ${failures}`}`;
        return { kind: 'answer', candidate: last.candidate, completion, tries: triesOf(results, nameOf), reason };
      },
    };
    return { needsEmbedding: false, select: () => ({ index: 0, reason: plan }), looper };
  },
};
