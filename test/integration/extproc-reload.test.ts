import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Diagnostic } from '../../src/config/diagnostic.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { ConfigStore, watchConfig, type ConfigWatchHandle } from '../../src/config/watch.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';
import { loadConfigOrThrow, SEED_CONFIG_PATH } from '../helpers/config-fixture.js';
import { ExtProcTestClient } from '../helpers/extproc-client.js';

const PROOF_PROMPT = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Prove the theorem.' }] });

function nextEvent<T>(register: (resolve: (value: T) => void) => void): Promise<T> {
  return new Promise((resolve) => register(resolve));
}

describe('ext_proc sidecar with a watched config file', () => {
  let dir: string;
  let file: string;
  let store: ConfigStore;
  let watcher: ConfigWatchHandle;
  let server: ExtProcServer;
  let client: ExtProcTestClient;
  let onReload: (config: RuntimeConfig) => void = () => undefined;
  let onRejected: (diagnostics: readonly Diagnostic[]) => void = () => undefined;

  async function routedModel(): Promise<string> {
    const exchange = await client.exchange({ path: '/v1/chat/completions', body: PROOF_PROMPT });
    const body = Buffer.from(exchange.requestBody?.['request_body']?.response?.body_mutation?.body ?? []);
    return (JSON.parse(body.toString('utf8')) as { model: string }).model;
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-reload-'));
    file = path.join(dir, 'config.yaml');
    await writeFile(file, await readFile(SEED_CONFIG_PATH, 'utf8'));
    store = new ConfigStore(await loadConfigOrThrow(file));
    watcher = watchConfig(file, store, {
      env: {},
      debounceMs: 20,
      onReload: (plan) => onReload(plan.config),
      onRejected: (diagnostics) => onRejected(diagnostics),
    });
    server = await startExtProcServer({ address: '127.0.0.1', port: 0, store, logger: createSilentLogger() });
    client = new ExtProcTestClient(server.port);
  });

  afterAll(async () => {
    client.close();
    await server.close();
    await watcher.close();
    await store.current().close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps routing with the old config when the new file is broken, and picks up a good one', async () => {
    expect(await routedModel()).toBe('gemini-2.5-pro');

    const rejected = nextEvent<readonly Diagnostic[]>((resolve) => (onRejected = resolve));
    await writeFile(file, 'version: v0.1\nproviders: [unclosed\n');
    expect((await rejected).length).toBeGreaterThan(0);
    expect(await routedModel()).toBe('gemini-2.5-pro');

    const reloaded = nextEvent<RuntimeConfig>((resolve) => (onReload = resolve));
    const seed = await readFile(SEED_CONFIG_PATH, 'utf8');
    await writeFile(file, seed.replace('- model: "gemini-2.5-pro"', '- model: "mlx-community/Qwen3-Coder-Next-4bit"'));
    await reloaded;
    expect(await routedModel()).toBe('mlx-community/Qwen3-Coder-Next-4bit');
  });
});
