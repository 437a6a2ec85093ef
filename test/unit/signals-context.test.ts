import { contextSignalPlugin, estimateConversationTokens, parseTokenSize, type ContextRule } from '../../src/signals/context.js';
import type { RequestView } from '../../src/signals/signal.js';

function conversation(...texts: string[]): RequestView {
  return { lastUserText: texts[texts.length - 1] ?? '', messages: texts.map((text) => ({ role: 'user', text })), headers: new Map() };
}

async function evaluate(rules: readonly ContextRule[], request: RequestView) {
  const extractor = await contextSignalPlugin.create(rules, { configDir: '.' });
  return extractor.extract(request, new AbortController().signal);
}

describe('parseTokenSize', () => {
  it.each([
    [512, 512],
    ['512', 512],
    ['4K', 4000],
    ['4k', 4000],
    ['1.5M', 1_500_000],
    ['2m', 2_000_000],
    [' 8 K ', 8000],
    ['0', 0],
    [0, 0],
  ] as const)('%j -> %d', (input, expected) => {
    expect(parseTokenSize(input)).toBe(expected);
  });

  it.each(['', 'K', '4KB', '4G', '-1', '1e3', 'four', '1.5.2K'])('rejects %j', (input) => {
    expect(() => parseTokenSize(input)).toThrow(/token size must look like/);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects the number %d', (input) => {
    expect(() => parseTokenSize(input)).toThrow(/non-negative number/);
  });
});

describe('context signal', () => {
  it('estimates ceil(UTF-8 bytes / 4) over the whole conversation', () => {
    expect(estimateConversationTokens(conversation('abcd', 'abcde'))).toBe(3);
    expect(estimateConversationTokens(conversation('数学'))).toBe(2);
    expect(estimateConversationTokens(conversation(''))).toBe(0);
  });

  it('matches every rule whose bounds hold the count, inclusive, and reports the count', async () => {
    const rules: ContextRule[] = [
      { name: 'short', max_tokens: 10 },
      { name: 'exactly', min_tokens: 10, max_tokens: '10' },
      { name: 'long', min_tokens: '0.011K' },
      { name: 'any' },
    ];
    const tenTokens = conversation('x'.repeat(20), 'y'.repeat(20));
    expect(await evaluate(rules, tenTokens)).toEqual([
      { type: 'context', name: 'short', matched: true, confidence: 1, value: 10 },
      { type: 'context', name: 'exactly', matched: true, confidence: 1, value: 10 },
      { type: 'context', name: 'long', matched: false, confidence: 0, value: 10 },
      { type: 'context', name: 'any', matched: true, confidence: 1, value: 10 },
    ]);
    const elevenTokens = conversation('x'.repeat(41));
    expect((await evaluate(rules, elevenTokens)).filter((r) => r.matched).map((r) => r.name)).toEqual(['long', 'any']);
  });

  it('handles K/M thresholds on a large conversation', async () => {
    const big = conversation('a'.repeat(16_004));
    const results = await evaluate([{ name: 'over4k', min_tokens: '4K' }, { name: 'under4k', max_tokens: '4k' }], big);
    expect(results.map((r) => [r.name, r.matched, r.value])).toEqual([
      ['over4k', true, 4001],
      ['under4k', false, 4001],
    ]);
  });

  it('rejects garbage and min above max, naming the rule', () => {
    expect(() => contextSignalPlugin.create([{ name: 'bad', min_tokens: 'lots' }], { configDir: '.' })).toThrow(/context rule "bad": token size/);
    expect(() => contextSignalPlugin.create([{ name: 'upside', min_tokens: '8K', max_tokens: '4K' }], { configDir: '.' })).toThrow(
      /context rule "upside": min_tokens \(8000\) is above max_tokens \(4000\)/,
    );
  });
});
