import { answerConfidence } from '../../../src/selection/looper/answer-confidence.js';
import { parameterCount } from '../../../src/selection/looper/confidence-looper.js';

function completion(tokens: readonly { logprob: number; top?: readonly number[] }[]): Record<string, unknown> {
  return {
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'x' },
        logprobs: { content: tokens.map((token) => ({ token: 't', logprob: token.logprob, top_logprobs: (token.top ?? []).map((logprob) => ({ token: 'a', logprob })) })) },
      },
    ],
  };
}

const WEIGHTS = { logprob: 0.5, margin: 0.5 };

describe('answer confidence', () => {
  it('averages token log-probabilities', () => {
    expect(answerConfidence(completion([{ logprob: -0.5 }, { logprob: -1.5 }]), 'avg_logprob', WEIGHTS)).toBeCloseTo(-1);
  });

  it('averages the margin between the two likeliest tokens, whatever order they are listed in', () => {
    const margin = answerConfidence(completion([{ logprob: Math.log(0.7), top: [Math.log(0.2), Math.log(0.7)] }, { logprob: Math.log(0.5), top: [Math.log(0.5), Math.log(0.4)] }]), 'margin', WEIGHTS);
    expect(margin).toBeCloseTo((0.5 + 0.1) / 2);
  });

  it('blends mean token probability and margin under hybrid, by weight', () => {
    const answer = completion([{ logprob: Math.log(0.8), top: [Math.log(0.8), Math.log(0.1)] }]);
    expect(answerConfidence(answer, 'hybrid', { logprob: 3, margin: 1 })).toBeCloseTo((3 * 0.8 + 0.7) / 4);
  });

  it('has no confidence without logprobs, without a runner-up for margin, or with an empty answer', () => {
    expect(answerConfidence({ choices: [{ message: { content: 'x' }, logprobs: null }] }, 'avg_logprob', WEIGHTS)).toBeUndefined();
    expect(answerConfidence(completion([{ logprob: -0.1, top: [-0.1] }]), 'margin', WEIGHTS)).toBeUndefined();
    expect(answerConfidence(completion([{ logprob: -0.1, top: [-0.1] }]), 'hybrid', WEIGHTS)).toBeUndefined();
    expect(answerConfidence(completion([]), 'avg_logprob', WEIGHTS)).toBeUndefined();
    expect(answerConfidence({ choices: 'nope' }, 'avg_logprob', WEIGHTS)).toBeUndefined();
  });
});

describe('param_size', () => {
  it.each([
    ['7b', 7e9],
    ['1.5B', 1.5e9],
    ['8x7b', 56e9],
    ['400m', 4e8],
    [' 70 B ', 70e9],
    ['big', undefined],
    [undefined, undefined],
  ])('%s is %s parameters', (size, count) => {
    expect(parameterCount(size)).toBe(count);
  });
});
