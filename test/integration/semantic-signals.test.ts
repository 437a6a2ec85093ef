import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';
import { leaseClassifier, type ModelLease } from '../../src/signals/model-cache.js';
import type { TextClassifier } from '../../src/classifiers/text-classifier.js';
import { PrometheusRouterMetrics } from '../../src/telemetry/metrics.js';
import { REPO_ROOT, loadConfigOrThrow } from '../helpers/config-fixture.js';
import { ExtProcTestClient, setHeaders, type DecodedReply } from '../helpers/extproc-client.js';
import { captureLog } from '../helpers/log-capture.js';

const TINY_BERT = path.join(REPO_ROOT, 'test', 'fixtures', 'models', 'tiny-bert');

const MODELS = `
providers:
  models:
    - name: local
      endpoints: [{ name: l, endpoint: "127.0.0.1:8000" }]
    - name: cloud
      endpoints: [{ name: c, endpoint: "127.0.0.1:8001" }]
  default_model: local
`;

function config(signals: string, decisions: string): string {
  return `version: v0.1\n${MODELS}\nsignals:\n${signals}\ndecisions:\n${decisions}`;
}

/** One decision sending `leaf` matches to the cloud model. */
function cloudWhen(type: string, name: string): string {
  return `  - name: semantic-route
    priority: 10
    rules: { operator: OR, conditions: [{ type: ${type}, name: "${name}" }] }
    modelRefs: [{ model: cloud, use_reasoning: false }]
`;
}

function chatBody(content: string): string {
  return JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }] });
}

function routedModel(reply: DecodedReply | undefined): string {
  return JSON.parse(Buffer.from(reply?.['request_body']?.response?.body_mutation?.body ?? []).toString('utf8')).model as string;
}

describe('semantic signals through the ext_proc path', () => {
  let dir: string;
  const log = captureLog();
  let running: { config: RuntimeConfig; server: ExtProcServer; client: ExtProcTestClient } | undefined;
  let metrics: PrometheusRouterMetrics;

  async function serve(text: string): Promise<ExtProcTestClient> {
    const file = path.join(dir, 'config.yaml');
    await writeFile(file, text);
    const config = await loadConfigOrThrow(file);
    metrics = new PrometheusRouterMetrics();
    const server = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => config }, logger: log.logger, metrics });
    running = { config, server, client: new ExtProcTestClient(server.port) };
    return running.client;
  }

  /** Routes a prompt and returns the chosen model and the response's x-vsr-* headers. */
  async function route(client: ExtProcTestClient, prompt: string): Promise<{ model: string; headers: Map<string, { raw: string }> }> {
    const exchange = await client.exchange({ path: '/v1/chat/completions', body: chatBody(prompt) }, { headers: [['content-type', 'application/json']], chunks: ['{}'] });
    expect(exchange.immediate).toBeUndefined();
    return { model: routedModel(exchange.requestBody), headers: setHeaders(exchange.responseHeaders?.['response_headers']?.response?.header_mutation) };
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-semantic-'));
  });

  afterEach(async () => {
    if (running !== undefined) {
      running.client.close();
      await running.server.close();
      await running.config.close();
      running = undefined;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('embedding: a paraphrase of a candidate matches and is reported in x-vsr-matched-embeddings', async () => {
    const client = await serve(
      config(
        `  embeddings:
    - name: travel
      threshold: 0.6
      candidates: ["What is the capital of France?", "Book me a flight to Paris"]
`,
        cloudWhen('embedding', 'travel'),
      ),
    );
    const hit = await route(client, 'what is the capital city of France');
    expect(hit.model).toBe('cloud');
    expect(hit.headers.get('x-vsr-matched-embeddings')?.raw).toBe('travel');
    const miss = await route(client, 'How do I reverse a linked list in C?');
    expect(miss.model).toBe('local');
    expect(miss.headers.has('x-vsr-matched-embeddings')).toBe(false);
  });

  it('domain: the bundled classifier sends a biology question through mmlu_categories', async () => {
    const client = await serve(
      config(
        `  domains:
    - name: life_sciences
      mmlu_categories: [biology, health]
      threshold: 0.3
`,
        cloudWhen('domain', 'life_sciences'),
      ),
    );
    const hit = await route(client, 'Which organelle of the cell produces ATP through cellular respiration?');
    expect(hit.model).toBe('cloud');
    expect(hit.headers.get('x-vsr-matched-domains')?.raw).toBe('life_sciences');
    expect((await route(client, 'Who won the Battle of Hastings in 1066?')).model).toBe('local');
  });

  it('domain: a user model in Hugging Face export layout (model_path) classifies the prompt', async () => {
    const client = await serve(
      config(
        `  domains:
    - name: math
      model_path: ${JSON.stringify(path.relative(dir, TINY_BERT))}
      threshold: 0.5
`,
        cloudWhen('domain', 'math'),
      ),
    );
    const hit = await route(client, 'prove that the square root of 2 is irrational');
    expect(hit.model).toBe('cloud');
    expect(hit.headers.get('x-vsr-matched-domains')?.raw).toBe('math');
    expect((await route(client, 'hi how are you')).model).toBe('local');
  });

  it('complexity: hard and easy levels are emitted as name:level in x-vsr-matched-complexity', async () => {
    const client = await serve(
      config(
        `  complexity:
    - name: reasoning
      threshold: 0.1
      hard: { candidates: ["Prove that the square root of 3 is irrational", "Show that the sequence converges"] }
      easy: { candidates: ["hello, how are you?", "tell me a joke"] }
`,
        cloudWhen('complexity', 'reasoning:hard'),
      ),
    );
    const hard = await route(client, "Show that the square root of two is irrational");
    expect(hard.model).toBe('cloud');
    expect(hard.headers.get('x-vsr-matched-complexity')?.raw).toBe('reasoning:hard');
    const easy = await route(client, 'hey there, how is it going?');
    expect(easy.model).toBe('local');
    expect(easy.headers.get('x-vsr-matched-complexity')?.raw).toBe('reasoning:easy');
  });

  describe('a slow signal follows its on_error policy', () => {
    // Far above the rule's 20 ms timeout and above what a loaded CI machine adds to a request.
    const SLOW_CLASSIFY_MS = 2_000;
    let lease: ModelLease<TextClassifier>;
    beforeEach(async () => {
      // The config leases the same cached classifier, so slowing this instance slows its signal.
      lease = await leaseClassifier();
      jest.spyOn(lease.model, 'classify').mockImplementation(() => new Promise((resolve) => setTimeout(() => resolve([{ label: 'math', score: 1 }]), SLOW_CLASSIFY_MS)));
    });
    afterEach(() => {
      jest.restoreAllMocks();
      lease.release();
    });

    const slowDomain = (onError: string): string =>
      config(
        `  domains:
    - name: math
      timeout_ms: 20
      on_error: ${onError}
  keywords:
    - name: hello
      operator: OR
      keywords: [hello]
`,
        `${cloudWhen('domain', 'math')}  - name: greeting-route
    priority: 5
    rules: { operator: OR, conditions: [{ type: keyword, name: hello }] }
    modelRefs: [{ model: local, use_reasoning: false }]
`,
      );

    it('skip: the rule does not match and the other signals still route', async () => {
      const client = await serve(slowDomain('skip'));
      const started = Date.now();
      const routed = await route(client, 'hello, what is 2 + 2?');
      expect(Date.now() - started).toBeLessThan(SLOW_CLASSIFY_MS / 2);
      expect(routed.model).toBe('local');
      expect(routed.headers.get('x-vsr-selected-decision')?.raw).toBe('greeting-route');
      expect(routed.headers.has('x-vsr-matched-domains')).toBe(false);
      // Skipped, but never silent: logged and counted per signal.
      expect(await metrics.render()).toContain('switchyard_signal_failures_total{signal="domain:math"} 1');
      expect(log.lines.some((line) => line['signal'] === 'domain:math' && String(line['error']).includes('timed out'))).toBe(true);
    });

    it('fail: the request fails with 500 signal_failed naming the signal', async () => {
      const client = await serve(slowDomain('fail'));
      const exchange = await client.exchange({ path: '/v1/chat/completions', body: chatBody('hello, what is 2 + 2?') });
      expect(exchange.immediate?.['status']?.code).toBe('InternalServerError');
      const body = JSON.parse(Buffer.from(exchange.immediate?.['body'] ?? []).toString('utf8')) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('signal_failed');
      expect(body.error.message).toContain('domain:math');
      expect(body.error.message).toContain('timed out after 20 ms');
    });

    it('offline tools load with timeouts ignored: the slow signal runs to completion and matches', async () => {
      const file = path.join(dir, 'config.yaml');
      await writeFile(file, slowDomain('skip'));
      const { config: offline } = await loadConfigFile(file, { env: {}, signalTimeouts: 'ignore' });
      try {
        const signals = await offline!.signals.evaluate({ lastUserText: 'what is 2 + 2?', messages: [{ role: 'user', text: 'what is 2 + 2?' }], headers: new Map() }, new AbortController().signal);
        expect(signals.get('domain:math')).toMatchObject({ matched: true });
        expect(signals.get('domain:math')?.error).toBeUndefined();
      } finally {
        await offline?.close();
      }
    });
  });

  it('a broken model folder is a config diagnostic naming the path and the missing file', async () => {
    const broken = path.join(dir, 'my-classifier');
    await import('node:fs/promises').then(async (fs) => {
      await fs.mkdir(broken);
      await fs.writeFile(path.join(broken, 'config.json'), JSON.stringify({ id2label: { 0: 'a', 1: 'b' } }));
      await fs.writeFile(path.join(broken, 'model.onnx'), '');
    });
    const file = path.join(dir, 'config.yaml');
    await writeFile(file, config(`  domains:\n    - name: a\n      model_path: my-classifier\n`, cloudWhen('domain', 'a')));
    const { config: loaded, diagnostics } = await loadConfigFile(file, { env: {} });
    expect(loaded).toBeUndefined();
    const text = diagnostics.map(formatDiagnostic).join('\n');
    expect(text).toContain('SY_CFG_SIGNAL_BUILD');
    expect(text).toContain(`model folder ${broken} is missing tokenizer.json`);
    expect(text).toMatch(/config\.yaml:\d+:\d+:/);
  });

  it('examples/default.yaml routes a keyword-free proof to the cloud model with reasoning on', async () => {
    const defaults = await loadConfigOrThrow(path.join(REPO_ROOT, 'examples', 'default.yaml'));
    const server = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => defaults }, logger: log.logger, metrics: new PrometheusRouterMetrics() });
    running = { config: defaults, server, client: new ExtProcTestClient(server.port) };
    const body = (prompt: string) => ({ path: '/v1/chat/completions', body: chatBody(prompt) });
    const proof = await running.client.exchange(body('Why must every bounded monotone sequence of reals converge? Argue carefully.'));
    const json = JSON.parse(Buffer.from(proof.requestBody?.['request_body']?.response?.body_mutation?.body ?? []).toString('utf8')) as Record<string, unknown>;
    expect(json['model']).toBe('cloud-model');
    expect(json['reasoning_effort']).toBe('high');
    expect(routedModel((await running.client.exchange(body('Translate "see you tomorrow" into German.'))).requestBody)).toBe('local-model');
  });
});
