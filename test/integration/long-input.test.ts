import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { findDecisionPluginType } from '../../src/plugins/registry.js';
import { parseChatRequest } from '../../src/router/chat-request.js';
import type { RouteResult } from '../../src/router/route-result.js';
import { routeChatCompletion } from '../../src/router/route-request.js';
import { createSignalPipeline } from '../../src/signals/pipeline.js';
import { findSignalPluginByConfigKey, SIGNAL_PLUGINS } from '../../src/signals/registry.js';
import type { RequestView, SignalId, SignalPipeline } from '../../src/signals/signal.js';
import { loadConfigOrThrow, REPO_ROOT } from '../helpers/config-fixture.js';

/**
 * Issue 12, items 1 and 2: no input makes a signal or a plug-in slower than linear, and a long
 * request gives the event loop back while it is routed. The budgets are loose enough for a loaded
 * CI machine; the quadratic patterns they guard against took minutes on these inputs (the e-mail
 * pattern alone took 1.7 s on 40k letters, and grows with the square of the run).
 */
const SIZE = 1_000_000;
const SIGNAL_BUDGET_MS = 4000;
const PLUGIN_BUDGET_MS = 8000;
/**
 * Longest the event loop may stand still while one long request is routed, on a loaded CI machine
 * (bench/routing-default.ts measures the real figure). Before the fix it stood still for the whole
 * request: minutes for the 1 MB prompt below.
 */
const LOOP_GAP_BUDGET_MS = 1000;

/** Runs of one character, of characters that PII patterns start or continue on, and no whitespace. */
const ADVERSARIAL: Readonly<Record<string, string>> = {
  'letters': 'a'.repeat(SIZE),
  'at signs': '@'.repeat(SIZE),
  'dots': '.'.repeat(SIZE),
  'digits': '7'.repeat(SIZE),
  'letter-dot pairs': 'a.'.repeat(SIZE / 2),
  'letter-at pairs': 'a@'.repeat(SIZE / 2),
  'digit-dash pairs': '1-'.repeat(SIZE / 2),
  'hex-colon pairs': 'a:'.repeat(SIZE / 2),
  'digit groups': '12 '.repeat(SIZE / 3),
  'a URL ending in punctuation': `http://example.com/${'.'.repeat(SIZE)}x`,
};

/** Every signal type with a rule, timeouts out of the way: the budget here is the test's. */
const SIGNALS: Readonly<Record<string, readonly Record<string, unknown>[]>> = {
  keywords: [{ name: 'kw', operator: 'OR', keywords: ['prove', 'by induction', 'c++', 'a'], case_sensitive: false, timeout_ms: 60_000 }],
  context: [{ name: 'long', min_tokens: '8K', timeout_ms: 60_000 }],
  embeddings: [{ name: 'emb', threshold: 0.5, candidates: ['Prove that the statement holds.'], timeout_ms: 60_000 }],
  domains: [{ name: 'math', threshold: 0.5, timeout_ms: 60_000 }],
  complexity: [{ name: 'cx', threshold: 0.1, hard: { candidates: ['Prove the theorem.'] }, easy: { candidates: ['hello'] }, timeout_ms: 60_000 }],
  difficulty: [{ name: 'hard', threshold: 0.5, timeout_ms: 60_000 }],
  jailbreak: [{ name: 'jb', include_history: true, timeout_ms: 60_000 }],
  pii: [{ name: 'pii', include_history: true, timeout_ms: 60_000 }],
  language: [{ name: 'en', timeout_ms: 60_000 }],
  role_bindings: [{ name: 'admins', role: 'admin', subjects: [{ kind: 'User', name: 'ada' }] }],
};

/** Every plug-in type, configured as a decision would configure it. */
const PLUGINS: readonly { readonly type: string; readonly configuration: Record<string, unknown> }[] = [
  { type: 'block', configuration: { reason: 'blocked' } },
  { type: 'fast_response', configuration: { message: 'hi' } },
  { type: 'pii', configuration: { action: 'redact', pii_types_allowed: [] } },
  { type: 'pii', configuration: { action: 'block', pii_types_allowed: [] } },
  { type: 'system_prompt', configuration: { system_prompt: 'Be brief.', mode: 'insert' } },
  { type: 'header_mutation', configuration: { add: [{ name: 'x-a', value: '1' }], update: [], delete: [] } },
  { type: 'semantic-cache', configuration: { enabled: true } },
];

function view(text: string): RequestView {
  return { lastUserText: text, messages: [{ role: 'user', text }, { role: 'assistant', text }, { role: 'user', text }], headers: new Map([['x-authz-user-id', 'ada']]) };
}

function chatBody(text: string): Buffer {
  return Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: text }] }));
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

describe('adversarial long input', () => {
  const pipelines = new Map<string, SignalPipeline>();

  beforeAll(async () => {
    for (const [configKey, rules] of Object.entries(SIGNALS)) {
      const plugin = findSignalPluginByConfigKey(configKey)!;
      const referenced = new Set<SignalId>(rules.flatMap((rule) => plugin.emittedNames(rule as { name: string }).map((name): SignalId => `${plugin.type}:${name}`)));
      pipelines.set(plugin.type, await createSignalPipeline({ [configKey]: rules }, referenced, { configDir: REPO_ROOT }));
    }
  }, 120_000);

  afterAll(async () => {
    for (const pipeline of pipelines.values()) await pipeline.close?.();
  });

  it('covers every signal type', () => {
    expect([...pipelines.keys()].sort()).toEqual(SIGNAL_PLUGINS.map((plugin) => plugin.type).sort());
  });

  for (const [name, text] of Object.entries(ADVERSARIAL)) {
    it(`every signal type reads 1 MB of ${name} within its budget`, async () => {
      const request = view(text);
      for (const [type, pipeline] of pipelines) {
        const { ms, value } = await timed(() => pipeline.evaluate(request, new AbortController().signal));
        expect({ type, ms: ms < SIGNAL_BUDGET_MS ? 'within budget' : ms }).toEqual({ type, ms: 'within budget' });
        expect([...value.values()].filter((result) => result.error !== undefined)).toEqual([]);
      }
    }, 120_000);

    it(`every plug-in handles a 1 MB body of ${name} within its budget`, async () => {
      const body = chatBody(text);
      const request = await parseChatRequest(body, new Map());
      for (const { type, configuration } of PLUGINS) {
        const plugin = findDecisionPluginType(type)!.compile(configuration as never);
        const { ms } = await timed(async () => {
          const effect = await plugin.apply({ decision: 'd', request, trace: { decision: 'd', model: 'm', reasoning: false, blocked: false, signals: {}, confidence: 1 } });
          if (effect.editJson !== undefined) JSON.stringify(effect.editJson(request.json));
          if (effect.editBody !== undefined) await effect.editBody(body);
        });
        expect({ type, ms: ms < PLUGIN_BUDGET_MS ? 'within budget' : ms }).toEqual({ type, ms: 'within budget' });
      }
    }, 180_000);
  }
});

describe('long prompts on examples/default.yaml', () => {
  let config: RuntimeConfig;
  const codeReview = readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'long-input', 'code-review-200k.txt'), 'utf8');

  beforeAll(async () => {
    config = await loadConfigOrThrow(path.join(REPO_ROOT, 'examples', 'default.yaml'));
  }, 120_000);

  afterAll(async () => {
    await config.close();
  });

  function route(body: Buffer): Promise<RouteResult> {
    return routeChatCompletion(config, body, new Map(), new AbortController().signal);
  }

  /** The default config's jailbreak rule, with `timeout_ms` set. */
  async function jailbreakPipeline(timeoutMs: number): Promise<SignalPipeline> {
    const document = parse(readFileSync(path.join(REPO_ROOT, 'examples', 'default.yaml'), 'utf8')) as { signals: { jailbreak: Record<string, unknown>[] } };
    const rules = document.signals.jailbreak.map((rule) => ({ ...rule, timeout_ms: timeoutMs }));
    return createSignalPipeline({ jailbreak: rules }, new Set<SignalId>(['jailbreak:jailbreak_detector']), { configDir: REPO_ROOT });
  }

  it('does not take a 200 KB code review for a jailbreak (it did when the whole text was windowed)', async () => {
    const pipeline = await jailbreakPipeline(60_000);
    try {
      const signals = await pipeline.evaluate(view(codeReview), new AbortController().signal);
      expect(signals.get('jailbreak:jailbreak_detector')).toMatchObject({ matched: false });
      expect(signals.get('jailbreak:jailbreak_detector')!.error).toBeUndefined();
    } finally {
      await pipeline.close?.();
    }
  }, 120_000);

  it('keeps the event loop turning while a 1 MB code review is routed and redacted', async () => {
    let text = '';
    while (text.length < 1_000_000) text += `${codeReview}\nContact: jane.roe@example.com\n`;
    const body = chatBody(text.slice(0, 1_000_000));
    let last = performance.now();
    let longestGap = 0;
    let ticks = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks++;
    }, 1);
    try {
      const result = await route(body);
      expect(result.kind).toBe('routed');
      if (result.kind === 'routed') {
        expect(result.trace.decision).toBe('long-context-route');
        expect(result.body.includes('jane.roe@example.com')).toBe(false);
        expect(result.body.includes('<EMAIL_ADDRESS_1>')).toBe(true);
      }
    } finally {
      clearInterval(ticker);
    }
    // Before the fix the loop stood still for the whole request (seconds to minutes).
    expect(ticks).toBeGreaterThan(10);
    expect(longestGap).toBeLessThan(LOOP_GAP_BUDGET_MS);
  }, 120_000);

  it('answers a 10 MB prompt with 413 from the PII plug-in while the loop keeps turning (JSON parsed off the loop)', async () => {
    const body = chatBody(codeReview.repeat(51));
    expect(body.length).toBeGreaterThan(10_000_000);
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 1);
    try {
      const result = await route(body);
      expect(result.kind === 'immediate' && result.status).toBe(413);
    } finally {
      clearInterval(ticker);
    }
    expect(longestGap).toBeLessThan(LOOP_GAP_BUDGET_MS);
  }, 60_000);

  it('answers malformed and too-deep large bodies with 400 from the JSON worker', async () => {
    const padding = 'x'.repeat(2_000_000);
    const deep = Buffer.from(`{"model":"auto","messages":[{"role":"user","content":"${padding}"}],"metadata":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    const broken = Buffer.from(`{"model":"auto","messages":[{"role":"user","content":"${padding}"}`);
    for (const [body, message] of [
      [deep, /^request body nests arrays and objects more than 128 levels deep$/],
      [broken, /^request body is not valid JSON: /],
    ] as const) {
      const result = await route(body);
      expect(result.kind === 'immediate' && result.status).toBe(400);
      if (result.kind === 'immediate') expect(JSON.parse(result.body.toString()).error.message).toMatch(message);
    }
  }, 60_000);

  it('refuses a conversation too large to scan for personal data with 413 rather than sending it on unscanned', async () => {
    const result = await route(chatBody('word '.repeat(300_000)));
    expect(result.kind).toBe('immediate');
    if (result.kind !== 'immediate') return;
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body.toString()).error).toMatchObject({ code: 'request_too_large', type: 'invalid_request_error' });
  }, 60_000);

  it('lets a jailbreak rule take timeout_ms, and the timeout fire while it works', async () => {
    const pipeline = await jailbreakPipeline(1);
    try {
      const signals = await pipeline.evaluate(view(codeReview), new AbortController().signal);
      expect(signals.get('jailbreak:jailbreak_detector')).toMatchObject({ matched: false, error: 'jailbreak signal timed out after 1 ms' });
    } finally {
      await pipeline.close?.();
    }
  }, 60_000);
});
