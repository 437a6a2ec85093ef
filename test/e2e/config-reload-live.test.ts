import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { parseDocument } from 'yaml';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { loadConfigFile } from '../../src/config/load.js';
import { startSwitchyard, type SwitchyardStack } from '../../src/serve-stack/switchyard-stack.js';
import { unusedPort } from '../helpers/free-port.js';
import { LOCAL_MODEL, startSeedStubs, type SeedStubs } from '../helpers/e2e-stack.js';
import { captureLog, type CapturedLog } from '../helpers/log-capture.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

/** `switchyard serve` in this process, watching its config file, with its log kept. */
interface WatchedStack {
  readonly stubs: SeedStubs;
  readonly switchyard: SwitchyardStack;
  readonly log: CapturedLog;
  readonly client: OpenAI;
  /** Rewrites the config file with `edit` and waits for the reload line it causes. */
  reload(edit: (document: ReturnType<typeof parseDocument>) => void): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

const RELOAD_MESSAGE = /^config reloaded/;

/**
 * Starts on free ports: given as flags (`--listen-port 0` etc.) by default, or with `portsInFile`
 * written into the config file, as a user without flags runs it.
 */
async function startWatchedStack(options: { readonly portsInFile?: boolean } = {}): Promise<WatchedStack> {
  const stubs = await startSeedStubs();
  const log = captureLog('info');
  if (options.portsInFile === true) {
    const document = parseDocument(await readFile(stubs.config.path, 'utf8'));
    document.setIn(['listeners', 0, 'port'], await unusedPort());
    document.setIn(['envoy', 'extproc_port'], await unusedPort());
    document.setIn(['envoy', 'admin_port'], await unusedPort());
    await writeFile(stubs.config.path, document.toString());
  }
  const { config, diagnostics } = await loadConfigFile(stubs.config.path, { env: {} });
  if (config === undefined) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
  const ports = options.portsInFile === true ? {} : { grpcPort: 0, listenPort: 0, adminPort: 0 };
  const switchyard = await startSwitchyard({ config, ...ports, watchPath: stubs.config.path, env: {}, logger: log.logger });
  return {
    stubs,
    switchyard,
    log,
    client: new OpenAI({ baseURL: `http://127.0.0.1:${switchyard.ports.listeners[0]}/v1`, apiKey: 'reload-test', maxRetries: 0 }),
    async reload(edit) {
      const before = log.lines.filter((line) => RELOAD_MESSAGE.test(String(line['msg']))).length;
      const document = parseDocument(await readFile(stubs.config.path, 'utf8'));
      edit(document);
      await writeFile(stubs.config.path, document.toString());
      for (let waited = 0; waited < 20_000; waited += 25) {
        const reloads = log.lines.filter((line) => RELOAD_MESSAGE.test(String(line['msg'])));
        if (reloads.length > before) return reloads.at(-1)!;
        const rejected = log.lines.find((line) => String(line['msg']).startsWith('config reload rejected'));
        if (rejected !== undefined) throw new Error(`the reload was rejected: ${JSON.stringify(rejected)}`);
        await delay(25);
      }
      throw new Error('no reload was logged');
    },
    async close() {
      await switchyard.close();
      await stubs.close();
    },
  };
}

async function cacheHit(client: OpenAI, content: string): Promise<boolean> {
  const answer = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content }] }).withResponse();
  return answer.response.headers.get('x-vsr-cache-hit') === 'true';
}

describe('a live config reload', () => {
  let stack: WatchedStack;
  let redis: RedisServer | undefined;

  afterEach(async () => {
    await stack.close();
    await redis?.stop();
    redis = undefined;
  });

  it('turns the semantic cache on without a restart, and moves it memory -> redis -> memory', async () => {
    stack = await startWatchedStack();
    expect(await cacheHit(stack.client, 'What is the speed of light?')).toBe(false);
    expect(await cacheHit(stack.client, 'What is the speed of light?')).toBe(false);

    const cacheOn = await stack.reload((document) => document.set('semantic_cache', document.createNode({ enabled: true })));
    expect(cacheOn['msg']).toBe('config reloaded (applied for new streams: semantic_cache)');
    expect(await cacheHit(stack.client, 'What is the speed of light?')).toBe(false);
    expect(await cacheHit(stack.client, 'What is the speed of light?')).toBe(true);

    redis = await startRedisServer();
    const toRedis = await stack.reload((document) =>
      document.set('semantic_cache', document.createNode({ enabled: true, backend_type: 'redis', redis: { url: redis!.url, key_prefix: 'live:' } })),
    );
    expect(toRedis['applied']).toEqual(['semantic_cache']);
    expect(await cacheHit(stack.client, 'How do vaccines work?')).toBe(false);
    expect(await cacheHit(stack.client, 'How do vaccines work?')).toBe(true);
    const client = new Redis(redis.url);
    try {
      expect(await client.zcard('live:entries')).toBe(1);
    } finally {
      client.disconnect();
    }

    await stack.reload((document) => document.set('semantic_cache', document.createNode({ enabled: true, backend_type: 'memory' })));
    // A new in-process cache starts empty.
    expect(await cacheHit(stack.client, 'How do vaccines work?')).toBe(false);
    expect(await cacheHit(stack.client, 'How do vaccines work?')).toBe(true);
    // Three reloads, each loading the cache's embedder, and a redis-server start: slow on a loaded machine.
  }, 90_000);

  it('warns about each listener and port change, keeps serving the old values, and applies the rest', async () => {
    stack = await startWatchedStack({ portsInFile: true });
    const serving = stack.switchyard.store.current();
    expect(stack.switchyard.ports.listeners[0]).toBe(serving.listeners[0]!.port);
    const newPort = await unusedPort();
    const reload = await stack.reload((document) => {
      document.setIn(['listeners', 0, 'port'], newPort);
      document.setIn(['envoy', 'extproc_port'], 50999);
      document.setIn(['envoy', 'admin_port'], 50998);
      // A live change in the same edit: the catch-all decision now sends everything to the cloud model.
      document.setIn(['decisions', 2, 'modelRefs', 0, 'model'], 'gemini-2.5-pro');
    });

    const warnings = stack.log.lines.filter((line) => line['level'] === 40).map((line) => [line['field'], line['serving'], line['configured']]);
    expect(warnings).toEqual([
      ['listeners[0].port', String(serving.listeners[0]!.port), String(newPort)],
      ['envoy.extproc_port', String(serving.envoy.extprocPort), '50999'],
      ['envoy.admin_port', String(serving.envoy.adminPort), '50998'],
    ]);
    expect(reload['msg']).toBe(
      'config reloaded in part (applied for new streams: decisions; not applied until a restart: listeners[0].port, envoy.extproc_port, envoy.admin_port)',
    );
    expect(stack.switchyard.store.current().listeners[0]!.port).toBe(serving.listeners[0]!.port);
    expect(stack.switchyard.store.current().envoy).toBe(serving.envoy);

    // The old gateway port still answers, with the new decision in force.
    const completion = await stack.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'What is a monad?' }] });
    expect(completion.model).toBe('gemini-2.5-pro');
    expect(completion.model).not.toBe(LOCAL_MODEL);
    await expect(fetch(`http://127.0.0.1:${newPort}/v1/models`)).rejects.toThrow();
    expect(stack.log.lines.find((line) => line['level'] === 40)?.['msg']).toBe(
      `config reload: listeners[0].port changed from ${serving.listeners[0]!.port} to ${newPort}, which needs a restart; still serving ${serving.listeners[0]!.port}`,
    );
  });

  it('says so when a flag, not the file, sets the port that changed', async () => {
    stack = await startWatchedStack();
    await stack.reload((document) => document.setIn(['listeners', 0, 'port'], 18_001));
    const warning = stack.log.lines.find((line) => line['level'] === 40)!;
    expect(warning['flag']).toBe('--listen-port');
    expect(warning['msg']).toBe("config reload: listeners[0].port changed from 8899 to 18001 in the file, but --listen-port sets it in this process; the file's value is not used");
  });
});
