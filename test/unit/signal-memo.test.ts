/**
 * The memo of signal results for recently seen texts (src/signals/signal-memo.ts), with the real
 * models of examples/default.yaml: a repeated text runs no model, anything else the extractor reads
 * (an earlier user turn for jailbreak with include_history) still counts, a new pipeline (a config
 * reload) starts empty, and the memo is bounded.
 */
import { fileURLToPath } from 'node:url';
import { inferenceCounts } from '../../src/classifiers/inference-threads.js';
import { loadConfigFile } from '../../src/config/load.js';
import { SignalMemo } from '../../src/signals/signal-memo.js';
import type { RequestView, SignalResult } from '../../src/signals/signal.js';

const CONFIG = fileURLToPath(new URL('../../examples/default.yaml', import.meta.url));
const abort = new AbortController().signal;

function conversation(...userTurns: string[]): RequestView {
  return { lastUserText: userTurns.at(-1)!, messages: userTurns.map((text) => ({ role: 'user', text })), headers: new Map() };
}

describe('signal memo', () => {
  let before = 0;
  const runsSince = (): number => inferenceCounts().runs - before;
  const mark = (): void => {
    before = inferenceCounts().runs;
  };

  it('answers a repeated text without running a model, and runs them again for anything new it reads', async () => {
    const first = (await loadConfigFile(CONFIG, { env: {} })).config!;
    const reloaded = (await loadConfigFile(CONFIG, { env: {} })).config!;
    try {
      const question = 'Prove that the sum of two even integers is even, as a short lemma.';
      mark();
      const fresh = await first.signals.evaluate(conversation(question), abort);
      // Every model of the config runs for a new text: encoder, domain head and its base, difficulty, jailbreak.
      expect(runsSince()).toBeGreaterThanOrEqual(5);

      mark();
      const again = await first.signals.evaluate(conversation(question), abort);
      expect(runsSince()).toBe(0);
      expect(again).toEqual(fresh);

      // jailbreak reads the earlier user turns (include_history): it runs, the last-message signals do not.
      mark();
      const withHistory = await first.signals.evaluate(conversation('Hi there, I have a maths question.', question), abort);
      expect(runsSince()).toBe(1);
      expect(withHistory.get('embedding:formal_reasoning')).toEqual(fresh.get('embedding:formal_reasoning'));

      // Another config generation has its own memo: the same text runs its models again.
      mark();
      expect(await reloaded.signals.evaluate(conversation(question), abort)).toEqual(fresh);
      expect(runsSince()).toBeGreaterThanOrEqual(4);
    } finally {
      await first.close();
      await reloaded.close();
    }
  });

  it('is bounded, keeps the recently used entries and never keeps a failed result', () => {
    const memo = new SignalMemo((request) => request.lastUserText, 2);
    const result = (name: string): SignalResult[] => [{ type: 't', name, matched: true, confidence: 1 }];
    const key = (text: string): string => memo.keyOf(conversation(text));
    memo.remember(key('a'), result('a'));
    memo.remember(key('b'), result('b'));
    expect(memo.recall(key('a'))).toEqual(result('a'));
    memo.remember(key('c'), result('c'));
    expect(memo.size).toBe(2);
    expect(memo.recall(key('b'))).toBeUndefined();
    expect(memo.recall(key('a'))).toEqual(result('a'));
    memo.remember(key('d'), [{ type: 't', name: 'd', matched: false, confidence: 0, error: 'timed out' }]);
    expect(memo.recall(key('d'))).toBeUndefined();
    // The key is a digest of the whole text: texts that share a long head stay apart.
    expect(key(`${'x'.repeat(5000)}1`)).not.toBe(key(`${'x'.repeat(5000)}2`));
  });
});
