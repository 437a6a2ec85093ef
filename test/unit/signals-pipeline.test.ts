import { createSignalPipeline } from '../../src/signals/pipeline.js';
import { findSignalPlugin, findSignalPluginByConfigKey, SIGNAL_PLUGINS } from '../../src/signals/registry.js';
import type { RequestView, SignalId } from '../../src/signals/signal.js';

const request: RequestView = {
  lastUserText: 'please debug this function',
  messages: [{ role: 'user', text: 'please debug this function' }],
  headers: new Map(),
};
const context = { configDir: '.' };
const abort = new AbortController().signal;

const SIGNALS = {
  keywords: [
    { name: 'coding', operator: 'OR', keywords: ['debug'] },
    { name: 'math', operator: 'OR', keywords: ['integral'] },
    { name: 'unused', operator: 'OR', keywords: ['debug'] },
  ],
  context: [{ name: 'short', max_tokens: '1K' }],
};

describe('signal registry', () => {
  it('finds plug-ins by leaf type and by config key', () => {
    const pairs = SIGNAL_PLUGINS.map((plugin) => [plugin.type, plugin.configKey]);
    expect(pairs).toEqual(expect.arrayContaining([['keyword', 'keywords'], ['context', 'context']]));
    expect(new Set(pairs.map(([type]) => type)).size).toBe(pairs.length);
    expect(new Set(pairs.map(([, configKey]) => configKey)).size).toBe(pairs.length);
    expect(findSignalPlugin('keyword')?.configKey).toBe('keywords');
    expect(findSignalPluginByConfigKey('keywords')?.type).toBe('keyword');
    expect(findSignalPlugin('keywords')).toBeUndefined();
  });
});

describe('createSignalPipeline', () => {
  it('builds and runs only referenced rules, merging results by SignalId', async () => {
    const referenced = new Set<SignalId>(['keyword:coding', 'keyword:math', 'context:short']);
    const pipeline = await createSignalPipeline(SIGNALS, referenced, context);
    expect(pipeline.types).toEqual(['keyword', 'context']);
    const signals = await pipeline.evaluate(request, abort);
    expect([...signals.keys()]).toEqual(['keyword:coding', 'keyword:math', 'context:short']);
    expect(signals.get('keyword:coding')).toMatchObject({ matched: true, confidence: 1 });
    expect(signals.get('keyword:math')).toMatchObject({ matched: false });
    expect(signals.get('context:short')).toMatchObject({ matched: true, value: 7 });
  });

  it('does not run a type with no referenced rule, nor validate its unreferenced rules', async () => {
    const pipeline = await createSignalPipeline(
      { ...SIGNALS, context: [{ name: 'broken', min_tokens: 'lots' }] },
      new Set<SignalId>(['keyword:coding']),
      context,
    );
    expect(pipeline.types).toEqual(['keyword']);
    expect([...(await pipeline.evaluate(request, abort)).keys()]).toEqual(['keyword:coding']);
  });

  it('runs nothing when nothing is referenced', async () => {
    const pipeline = await createSignalPipeline(SIGNALS, new Set(), context);
    expect(pipeline.types).toEqual([]);
    expect((await pipeline.evaluate(request, abort)).size).toBe(0);
  });

  it('rejects an unknown config key and a rule without a name', async () => {
    await expect(createSignalPipeline({ embeddingz: [] }, new Set(), context)).rejects.toThrow('signals.embeddingz: unknown signal type');
    await expect(createSignalPipeline({ keywords: [{ operator: 'OR' }] }, new Set(), context)).rejects.toThrow(
      'signals.keywords[0]: a signal rule must be an object with a string "name"',
    );
  });

  it('propagates a plug-in rejecting a referenced rule', async () => {
    await expect(
      createSignalPipeline({ context: [{ name: 'broken', min_tokens: 'lots' }] }, new Set<SignalId>(['context:broken']), context),
    ).rejects.toThrow(/context rule "broken"/);
  });

  it('turns a throwing extractor into unmatched results with the error, keeping other types', async () => {
    const pipeline = await createSignalPipeline(SIGNALS, new Set<SignalId>(['keyword:coding', 'context:short']), context);
    // A view whose message list throws when read breaks the context extractor only.
    const failing: RequestView = {
      ...request,
      get messages(): never {
        throw new Error('boom');
      },
    };
    const signals = await pipeline.evaluate(failing, abort);
    expect(signals.get('context:short')).toEqual({ type: 'context', name: 'short', matched: false, confidence: 0, error: 'boom' });
    expect(signals.get('keyword:coding')).toMatchObject({ matched: true });
  });
});
