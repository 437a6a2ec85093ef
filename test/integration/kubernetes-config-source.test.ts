import { KubeConfig } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { KubernetesConfigSource } from '../../src/config/kubernetes/kubernetes-config-source.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { compileDslText } from '../../src/dsl/compile-dsl.js';
import { routeChatCompletion } from '../../src/router/route-request.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';
import { FakeKubernetesApi } from '../helpers/fake-kubernetes-api.js';
import { REPO_ROOT, SEED_CONFIG_PATH } from '../helpers/config-fixture.js';

const NAMESPACE = 'llm';
const HEADERS: ReadonlyMap<string, string> = new Map([['content-type', 'application/json']]);

async function routedModel(config: RuntimeConfig, text: string): Promise<string> {
  const body = Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: text }] }));
  const result = await routeChatCompletion(config, body, HEADERS, new AbortController().signal, () => 0);
  if (result.kind === 'passthrough' || result.trace === undefined) throw new Error('not routed');
  return result.trace.model;
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('config_source: kubernetes (list/watch against a loopback API server)', () => {
  let api: FakeKubernetesApi;
  let source: KubernetesConfigSource | undefined;
  let applied: RuntimeConfig[];
  let seed: Record<string, any>;
  let refuseApply: string | undefined;
  let refusedApplies: number;

  beforeEach(async () => {
    api = new FakeKubernetesApi(NAMESPACE);
    const server = await api.listen();
    applied = [];
    refuseApply = undefined;
    refusedApplies = 0;
    seed = parse(await readFile(SEED_CONFIG_PATH, 'utf8')) as Record<string, any>;
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser({ name: 'loopback', server, skipTLSVerify: true }, { name: 'router', token: 'test-token' });
    source = new KubernetesConfigSource({
      kubeConfig,
      namespace: NAMESPACE,
      baseDocument: { version: 'v0.1', listeners: seed.listeners },
      configDir: REPO_ROOT,
      apply: async (config) => {
        if (refuseApply !== undefined) {
          refusedApplies += 1;
          // As swapInConfig does when preparing fails: the config is closed, the old one serves on.
          await config.close();
          throw new Error(refuseApply);
        }
        applied.push(config);
      },
      logger: createSilentLogger(),
      restartDelayMs: 50,
    });
  });

  afterEach(async () => {
    await source?.stop();
    await api.close();
    await Promise.all(applied.map((config) => config.close()));
  });

  const routerSpec = (config: Record<string, unknown>): Record<string, unknown> => ({ config });
  const condition = (plural: string, name: string, type: string): Record<string, any> | undefined =>
    (api.get(plural, name)?.status?.conditions as Record<string, any>[] | undefined)?.find((entry) => entry.type === type);

  it('applies a SemanticRouter written by `dsl compile --format crd`, marks it Ready, and follows changes', async () => {
    const dsl = await readFile(path.join(REPO_ROOT, 'examples', 'seed-tutorial.dsl'), 'utf8');
    const document = compileDslText(dsl, 'seed-tutorial.dsl').document!;
    api.apply('semanticrouters', 'router', routerSpec(document));
    await source!.start();
    expect(applied).toHaveLength(1);
    expect(await routedModel(applied[0]!, 'Prove that the square root of 2 is irrational')).toBe('gemini-2.5-pro');
    await until(() => condition('semanticrouters', 'router', 'Ready')?.status === 'True', 'Ready=True');
    expect(condition('semanticrouters', 'router', 'Ready')).toMatchObject({ reason: 'ConfigApplied', observedGeneration: 1 });

    // An edit arrives over the watch (no polling) and is swapped in.
    const decisions = structuredClone(document.decisions) as Record<string, any>[];
    decisions[0]!.modelRefs = [{ model: 'mlx-community/Qwen3-Coder-Next-4bit', use_reasoning: false }];
    api.apply('semanticrouters', 'router', routerSpec({ ...document, decisions }));
    await until(() => applied.length === 2, 'the edited config');
    expect(await routedModel(applied[1]!, 'Prove that the square root of 2 is irrational')).toBe('mlx-community/Qwen3-Coder-Next-4bit');
    expect(api.requests.filter((request) => request.includes('watch=true')).length).toBeGreaterThanOrEqual(3);
  });

  it('keeps the old config and sets ValidationFailed with every problem when an edit is invalid', async () => {
    api.apply('semanticrouters', 'router', routerSpec({ providers: seed.providers, signals: seed.signals, decisions: seed.decisions }));
    await source!.start();
    expect(applied).toHaveLength(1);
    const broken = structuredClone(seed.decisions) as any[];
    broken[0].modelRefs[0].model = 'gemini-2.5-prp';
    broken[1].rules.conditions[0].name = 'no_such_rule';
    api.apply('semanticrouters', 'router', routerSpec({ providers: seed.providers, signals: seed.signals, decisions: broken }));
    await until(() => condition('semanticrouters', 'router', 'ValidationFailed')?.status === 'True', 'ValidationFailed=True');
    const failed = condition('semanticrouters', 'router', 'ValidationFailed')!;
    expect(failed.message).toContain('spec.config.decisions[0].modelRefs[0].model: decision "reasoning-route" refers to model "gemini-2.5-prp"');
    expect(failed.message).toContain('did you mean "gemini-2.5-pro"?');
    expect(failed.message).toContain('spec.config.decisions[1].rules.conditions[0].name');
    expect(condition('semanticrouters', 'router', 'Ready')).toMatchObject({ status: 'False', observedGeneration: 2 });
    expect(applied).toHaveLength(1);
  });

  it('resumes a dropped watch and re-lists after an expired resourceVersion (410), missing no change', async () => {
    api.apply('semanticrouters', 'router', routerSpec({ providers: seed.providers, signals: seed.signals, decisions: seed.decisions }));
    await source!.start();
    await until(() => api.openWatches() === 3, 'three open watches');

    api.dropWatches();
    await until(() => api.openWatches() === 3, 'watches resumed after the drop');
    const second = structuredClone(seed.decisions) as any[];
    second[0].priority = 150;
    api.apply('semanticrouters', 'router', routerSpec({ providers: seed.providers, signals: seed.signals, decisions: second }));
    await until(() => applied.length === 2, 'the change after the drop');

    // The history the client would resume from is compacted while its watches are down.
    api.expireVersionsBefore();
    api.dropWatches();
    const third = structuredClone(second);
    third[0].priority = 175;
    api.apply('semanticrouters', 'router', routerSpec({ providers: seed.providers, signals: seed.signals, decisions: third }));
    await until(() => applied.length === 3, 'the change after the 410 re-list');
    const lists = api.requests.filter((request) => request.startsWith('GET') && !request.includes('watch=true') && request.includes('semanticrouters'));
    expect(lists.length).toBeGreaterThanOrEqual(2);
    expect(applied[2]!.decisions.decisions.find((decision) => decision.name === 'reasoning-route')?.priority).toBe(175);
  });

  it('sets UpdateFailed when a valid config cannot be put in force, and retries it after a delay, not in a loop on its own status echo', async () => {
    refuseApply = 'redis://cache:6379 is unreachable';
    api.apply('semanticrouters', 'router', routerSpec({ providers: seed.providers, signals: seed.signals, decisions: seed.decisions }));
    await source!.start();
    await until(() => condition('semanticrouters', 'router', 'UpdateFailed')?.status === 'True', 'UpdateFailed=True');
    expect(condition('semanticrouters', 'router', 'UpdateFailed')!.message).toContain('redis://cache:6379 is unreachable');
    expect(condition('semanticrouters', 'router', 'Ready')).toMatchObject({ status: 'False', reason: 'ConfigRejected' });
    expect(condition('semanticrouters', 'router', 'ValidationFailed')?.status).toBe('False');
    // 500 ms of failures at a 50 ms retry delay: about ten attempts, not one per status echo.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(refusedApplies).toBeGreaterThanOrEqual(2);
    expect(refusedApplies).toBeLessThanOrEqual(12);
    expect(applied).toHaveLength(0);
    refuseApply = undefined;
    await until(() => applied.length === 1, 'the retried config');
    await until(() => condition('semanticrouters', 'router', 'Ready')?.status === 'True', 'Ready=True');
    expect(condition('semanticrouters', 'router', 'UpdateFailed')?.status).toBe('False');
  });

  it("converts Athena's IntelligentPool + IntelligentRoute pair, warning about fields it does not act on", async () => {
    api.apply('intelligentpools', 'pool', {
      defaultModel: 'local',
      models: [
        { name: 'local', endpoints: [{ name: 'a', endpoint: '127.0.0.1:8000' }], pricing: { inputTokenPrice: 0, outputTokenPrice: 0 } },
        { name: 'cloud', endpoints: [{ name: 'a', endpoint: 'api.example.com/v1', protocol: 'https' }], loras: [{ name: 'math-lora' }] },
      ],
    });
    api.apply('intelligentroutes', 'route', {
      signals: { keywords: [{ name: 'proofs', operator: 'OR', keywords: ['prove'], caseSensitive: false }] },
      decisions: [
        { name: 'proofs', priority: 10, signals: { operator: 'OR', conditions: [{ type: 'keyword', name: 'proofs' }] }, modelRefs: [{ model: 'cloud', useReasoning: true }] },
        { name: 'default', priority: 1, modelRefs: [{ model: 'local' }] },
      ],
    });
    await source!.start();
    expect(applied).toHaveLength(1);
    expect(await routedModel(applied[0]!, 'Prove Fermat')).toBe('cloud');
    expect(await routedModel(applied[0]!, 'Say hello')).toBe('local');
    await until(() => condition('intelligentpools', 'pool', 'Ready')?.status === 'True', 'pool Ready');
    expect(condition('intelligentpools', 'pool', 'Ready')!.message).toContain('ignored: IntelligentPool spec.models[1].loras');
    expect(condition('intelligentroutes', 'route', 'Ready')?.status).toBe('True');
  });
});
