import { isClosable } from '../../src/signals/closable-extractor.js';
import { complexityLevel, complexitySignalPlugin, type ComplexityRule } from '../../src/signals/complexity.js';
import type { RequestView } from '../../src/signals/signal.js';

function view(text: string): RequestView {
  return { lastUserText: text, messages: [{ role: 'user', text }], headers: new Map() };
}

const RULE: ComplexityRule = {
  name: 'reasoning',
  hard: { candidates: ['Prove that the square root of 3 is irrational', 'Derive the closed form of the recurrence and justify each step'] },
  easy: { candidates: ['hello, how are you?', 'tell me a joke', 'what is the capital of Spain'] },
};

describe('complexityLevel', () => {
  it('is hard above the threshold, easy below its negative and medium between', () => {
    expect(complexityLevel(0.2, 0.1)).toBe('hard');
    expect(complexityLevel(-0.2, 0.1)).toBe('easy');
    expect(complexityLevel(0.1, 0.1)).toBe('medium');
    expect(complexityLevel(-0.05, 0.1)).toBe('medium');
  });
});

describe('complexity signal', () => {
  it('emits name:hard, name:easy and name:medium', () => {
    expect(complexitySignalPlugin.emittedNames(RULE)).toEqual(['reasoning:hard', 'reasoning:easy', 'reasoning:medium']);
  });

  it('reports exactly one matching level with the similarity margin as value', async () => {
    const extractor = await complexitySignalPlugin.create([RULE], { configDir: '.' });
    try {
      const hard = await extractor.extract(view('Show that the square root of 2 is irrational'), new AbortController().signal);
      expect(hard.filter((r) => r.matched).map((r) => r.name)).toEqual(['reasoning:hard']);
      expect(hard[0]!.value!).toBeGreaterThan(0.1);
      expect(new Set(hard.map((r) => r.value)).size).toBe(1);
      const easy = await extractor.extract(view('hey, how are you doing?'), new AbortController().signal);
      expect(easy.filter((r) => r.matched).map((r) => r.name)).toEqual(['reasoning:easy']);
      expect(easy[0]!.value!).toBeLessThan(-0.1);
    } finally {
      if (isClosable(extractor)) await extractor.close();
    }
  });

  it('a wide threshold turns everything medium', async () => {
    const extractor = await complexitySignalPlugin.create([{ ...RULE, threshold: 2 }], { configDir: '.' });
    try {
      const results = await extractor.extract(view('Show that the square root of 2 is irrational'), new AbortController().signal);
      expect(results.filter((r) => r.matched).map((r) => r.name)).toEqual(['reasoning:medium']);
    } finally {
      if (isClosable(extractor)) await extractor.close();
    }
  });
});
