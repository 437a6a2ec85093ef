import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import OpenAI from 'openai';
import { READY_LINE_PREFIX } from '../../src/cli/commands/serve.js';
import type { SwitchyardPorts } from '../../src/serve-stack/switchyard-stack.js';
import { REPO_ROOT } from '../helpers/config-fixture.js';
import type { SeedStubs } from '../helpers/e2e-stack.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { startCacheStubs } from '../fixtures/cache/cache-stack.js';

const ENTRY = path.join(REPO_ROOT, 'test', 'fixtures', 'cache', 'serve-entry.ts');

interface ServeProcess {
  readonly client: OpenAI;
  stop(): Promise<void>;
}

/** `switchyard serve` as its own process (run from source with tsx) on free ports. */
async function startServe(configPath: string): Promise<ServeProcess> {
  const args = ['--import', 'tsx', ENTRY, 'serve', '--config', configPath, '--grpc-port', '0', '--listen-port', '0', '--admin-port', '0', '--workers', '1'];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  const ports = await new Promise<SwitchyardPorts>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith(READY_LINE_PREFIX)) return;
      lines.close();
      resolve(JSON.parse(line.slice(READY_LINE_PREFIX.length)) as SwitchyardPorts);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
  });
  return {
    client: new OpenAI({ baseURL: `http://127.0.0.1:${ports.listeners[0]}/v1`, apiKey: 'cache-test', maxRetries: 0 }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('two `switchyard serve` processes sharing one Redis', () => {
  let redis: RedisServer;
  let stubs: SeedStubs;
  let a: ServeProcess;
  let b: ServeProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
    stubs = await startCacheStubs({ semanticCache: { backend_type: 'redis', redis: { url: redis.url, key_prefix: 'processes:' } } });
    [a, b] = await Promise.all([startServe(stubs.config.path), startServe(stubs.config.path)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await stubs.close();
    await redis.stop();
  });

  it('a miss answered through replica A is a hit through replica B', async () => {
    const messages = [{ role: 'user' as const, content: 'What is the tallest mountain in the world?' }];
    const first = await a.client.chat.completions.create({ model: 'auto', messages }).withResponse();
    expect(first.response.headers.get('x-vsr-cache-hit')).not.toBe('true');
    const calls = stubs.local.requests.length;
    // A writes after its response completed, then tells B over pub/sub: give that a moment, then
    // ask once (a miss on B would write B's own entry and prove nothing).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const again = await b.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: "what's the tallest mountain in the world" }] }).withResponse();
    expect(again.response.headers.get('x-vsr-cache-hit')).toBe('true');
    expect(again.data.choices[0]?.message.content).toBe(first.data.choices[0]!.message.content);
    expect(stubs.local.requests.length).toBe(calls);
  }, 30_000);
});
