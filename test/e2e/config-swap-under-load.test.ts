import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import OpenAI from 'openai';
import { parse, parseDocument, stringify } from 'yaml';
import { CLOUD_MODEL, LOCAL_MODEL, startE2eStack, startSeedStubs, type E2eStack, type SeedStubs } from '../helpers/e2e-stack.js';
import { FakeKubernetesApi } from '../helpers/fake-kubernetes-api.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

/**
 * The target: a config change rolled out through the watched file (a ConfigMap) or the
 * custom resources swaps with zero failed requests under load. A load loop of official `openai`
 * SDK clients (plain and streamed) runs through the gateway while the config changes; every
 * request must succeed, and the routes must follow each change.
 */

/** A prompt no keyword matches: the catch-all decision routes it, and the edits move that decision. */
const PROMPT = 'What is a monad?';
const STUB_ANSWER: Readonly<Record<string, string>> = { [LOCAL_MODEL]: 'local', [CLOUD_MODEL]: 'cloud' };

interface LoadLoop {
  /** Served model of each completed request, in completion order. */
  readonly models: string[];
  readonly failures: string[];
  /** Resolves once `count` more requests completed with `model`. */
  seen(model: string, count?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** `workers` clients, each sending one request after another (every other one streamed) until stopped. */
function startLoadLoop(baseURL: string, workers = 4): LoadLoop {
  const client = new OpenAI({ baseURL, apiKey: 'load-test', maxRetries: 0, timeout: 30_000 });
  const models: string[] = [];
  const failures: string[] = [];
  let running = true;
  const once = async (stream: boolean): Promise<string> => {
    if (!stream) {
      const completion = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: PROMPT }] });
      if (completion.choices[0]?.message.content === undefined) throw new Error('no content');
      return completion.model;
    }
    let model = '';
    let content = '';
    for await (const chunk of await client.chat.completions.create({ model: 'auto', stream: true, messages: [{ role: 'user', content: PROMPT }] })) {
      model = chunk.model;
      content += chunk.choices[0]?.delta.content ?? '';
    }
    if (content === '') throw new Error(`a stream from ${model} carried no content`);
    return model;
  };
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let n = 0; running; n++) {
      try {
        models.push(await once((n + worker) % 2 === 1));
      } catch (error) {
        failures.push(String((error as Error).message ?? error));
      }
    }
  });
  return {
    models,
    failures,
    async seen(model, count = 5, timeoutMs = 30_000) {
      const from = models.length;
      const deadline = Date.now() + timeoutMs;
      while (models.slice(from).filter((served) => served === model).length < count) {
        if (Date.now() > deadline) throw new Error(`no ${count} answers from ${model} within ${timeoutMs} ms (last: ${models.slice(-5).join(', ')}; failures: ${failures.length})`);
        await delay(20);
      }
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Returns a copy of the seed's decisions with the catch-all route sent to `model`. */
function withCatchAll(decisions: readonly Record<string, any>[], model: string): Record<string, any>[] {
  const copy = structuredClone(decisions) as Record<string, any>[];
  const catchAll = copy.find((decision) => decision.name === 'default-route')!;
  catchAll.modelRefs = [{ model, use_reasoning: false }];
  return copy;
}

describe('a config swap under load loses no request', () => {
  it('a ConfigMap update of the watched config under load: 0 failed requests, and the route follows each update', async () => {
    const stack: E2eStack = await startE2eStack({ watch: true });
    const load = startLoadLoop(`${stack.gatewayUrl}/v1`);
    const folder = path.dirname(stack.config.path);
    // The kubelet's layout for a mounted ConfigMap: config.yaml -> ..data/config.yaml, ..data -> ..<version>/
    const mountVersion = async (version: number, text: string): Promise<void> => {
      await mkdir(path.join(folder, `..v${version}`));
      await writeFile(path.join(folder, `..v${version}`, 'config.yaml'), text);
      await symlink(`..v${version}`, path.join(folder, '..data_tmp'));
      await rename(path.join(folder, '..data_tmp'), path.join(folder, '..data'));
      if (version > 0) await rm(path.join(folder, `..v${version - 1}`), { recursive: true });
    };
    try {
      await load.seen(LOCAL_MODEL);
      const original = await readFile(stack.config.path, 'utf8');
      await mountVersion(0, original);
      await symlink(path.join('..data', 'config.yaml'), `${stack.config.path}.link`);
      await rename(`${stack.config.path}.link`, stack.config.path);
      for (const [index, model] of [CLOUD_MODEL, LOCAL_MODEL, CLOUD_MODEL].entries()) {
        const document = parseDocument(original);
        document.set('decisions', document.createNode(withCatchAll(parse(original).decisions, model)));
        // Only ..data changes: config.yaml stays the same link.
        await mountVersion(index + 1, document.toString());
        await load.seen(model);
      }
    } finally {
      await load.stop();
      await stack.close();
    }
    expect(load.failures).toEqual([]);
    expect(load.models.length).toBeGreaterThan(20);
    for (const model of load.models) expect(Object.keys(STUB_ANSWER)).toContain(model);
  }, 120_000);

  describe('`switchyard serve` with config_source: kubernetes', () => {
    const NAMESPACE = 'llm';
    let api: FakeKubernetesApi;
    let stubs: SeedStubs;
    let serve: ServeProcess | undefined;
    let folder: string;
    let seed: Record<string, any>;
    const savedKubeconfig = process.env['KUBECONFIG'];

    const routerSpec = (decisions: readonly Record<string, any>[]): Record<string, unknown> => ({ config: { providers: seed.providers, signals: seed.signals, decisions } });
    const condition = (type: string): Record<string, any> | undefined =>
      (api.get('semanticrouters', 'router')?.status?.conditions as Record<string, any>[] | undefined)?.find((entry) => entry.type === type);
    async function until(check: () => boolean, what: string): Promise<void> {
      for (const deadline = Date.now() + 20_000; !check(); await delay(20)) if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    }

    beforeEach(async () => {
      api = new FakeKubernetesApi(NAMESPACE);
      const server = await api.listen();
      folder = await mkdtemp(path.join(tmpdir(), 'switchyard-kube-'));
      const kubeconfig = {
        apiVersion: 'v1',
        kind: 'Config',
        // client-node refuses plain HTTP unless told to skip TLS verification.
        clusters: [{ name: 'loopback', cluster: { server, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'router', user: { token: 'test-token' } }],
        contexts: [{ name: 'test', context: { cluster: 'loopback', user: 'router', namespace: NAMESPACE } }],
        'current-context': 'test',
      };
      await writeFile(path.join(folder, 'kubeconfig'), stringify(kubeconfig));
      process.env['KUBECONFIG'] = path.join(folder, 'kubeconfig');
      stubs = await startSeedStubs();
      // The file: the seed pointed at the stubs (its catch-all on the local model), following the cluster.
      seed = parse(await readFile(stubs.config.path, 'utf8')) as Record<string, any>;
      await writeFile(stubs.config.path, stringify({ ...seed, config_source: 'kubernetes' }));
    });

    afterEach(async () => {
      if (savedKubeconfig === undefined) delete process.env['KUBECONFIG'];
      else process.env['KUBECONFIG'] = savedKubeconfig;
      await serve?.stop();
      serve = undefined;
      await stubs.close();
      await api.close();
      await rm(folder, { recursive: true, force: true });
    });

    it('serves the SemanticRouter from the start, swaps each edit under load with 0 failed requests, and keeps serving through an invalid edit', async () => {
      // The namespace comes from the kubeconfig context (the config names none).
      api.apply('semanticrouters', 'router', routerSpec(withCatchAll(seed.decisions, CLOUD_MODEL)));
      serve = await startServe(stubs.config.path);
      // Ready only once the resource is reconciled: its config is the one in force.
      expect(condition('Ready')).toMatchObject({ status: 'True', observedGeneration: 1 });
      const load = startLoadLoop(`http://127.0.0.1:${serve.ports.listeners[0]}/v1`);
      try {
        await load.seen(CLOUD_MODEL);
        expect(load.models.slice(0, 4)).not.toContain(LOCAL_MODEL);

        api.apply('semanticrouters', 'router', routerSpec(withCatchAll(seed.decisions, LOCAL_MODEL)));
        await load.seen(LOCAL_MODEL);
        await until(() => condition('Ready')?.observedGeneration === 2, 'Ready for generation 2');

        // An edit naming a model nobody defined: refused with the diagnostic, the last good config serves on.
        api.apply('semanticrouters', 'router', routerSpec(withCatchAll(seed.decisions, 'gemini-2.5-prp')));
        await until(() => condition('ValidationFailed')?.status === 'True', 'ValidationFailed=True');
        expect(condition('ValidationFailed')!.message).toContain('did you mean "gemini-2.5-pro"?');
        expect(condition('Ready')).toMatchObject({ status: 'False', observedGeneration: 3 });
        const servedAfterRefusal = load.models.length;
        await load.seen(LOCAL_MODEL);
        expect(load.models.slice(servedAfterRefusal)).not.toContain(CLOUD_MODEL);

        api.apply('semanticrouters', 'router', routerSpec(withCatchAll(seed.decisions, CLOUD_MODEL)));
        await load.seen(CLOUD_MODEL);
        await until(() => condition('Ready')?.status === 'True' && condition('ValidationFailed')?.status === 'False', 'Ready again');
      } finally {
        await load.stop();
      }
      expect(load.failures).toEqual([]);
      expect(load.models.length).toBeGreaterThan(20);
      // Watches, not polling: one list per kind at start, then watch requests only.
      expect(api.requests.filter((request) => request.startsWith('GET') && !request.includes('watch=true'))).toHaveLength(3);
      expect(serve.stderr()).not.toMatch(/"level":(50|60)/);
    }, 120_000);

    it('serves the file while the API server has no config for it, and takes the resource once it appears', async () => {
      serve = await startServe(stubs.config.path);
      const client = new OpenAI({ baseURL: `http://127.0.0.1:${serve.ports.listeners[0]}/v1`, apiKey: 'k', maxRetries: 0 });
      const ask = async (): Promise<string> => (await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: PROMPT }] })).model;
      expect(await ask()).toBe(LOCAL_MODEL);
      api.apply('semanticrouters', 'router', routerSpec(withCatchAll(seed.decisions, CLOUD_MODEL)));
      await until(() => condition('Ready')?.status === 'True', 'Ready=True');
      expect(await ask()).toBe(CLOUD_MODEL);
    }, 60_000);
  });
});
