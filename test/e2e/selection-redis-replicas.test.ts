import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import OpenAI from 'openai';
import { READY_LINE_PREFIX } from '../../src/cli/commands/serve.js';
import type { SwitchyardPorts } from '../../src/serve-stack/switchyard-stack.js';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';
import { eloTwoModelConfig } from '../fixtures/selection/elo-two-models.js';
import { REPO_ROOT } from '../helpers/config-fixture.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const ENTRY = path.join(REPO_ROOT, 'test', 'fixtures', 'cache', 'serve-entry.ts');

interface Replica {
  readonly admin: string;
  readonly client: OpenAI;
  /** JSON log lines written after start-up. */
  readonly logs: string[];
  stop(): Promise<void>;
}

async function startReplica(configPath: string): Promise<Replica> {
  const args = ['--import', 'tsx', ENTRY, 'serve', '--config', configPath, '--grpc-port', '0', '--listen-port', '0', '--admin-port', '0', '--workers', '1'];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  const logs: string[] = [];
  const ports = await new Promise<SwitchyardPorts>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith(READY_LINE_PREFIX)) resolve(JSON.parse(line.slice(READY_LINE_PREFIX.length)) as SwitchyardPorts);
      else logs.push(line);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
  });
  return {
    admin: `http://127.0.0.1:${ports.admin}`,
    client: new OpenAI({ baseURL: `http://127.0.0.1:${ports.listeners[0]}/v1`, apiKey: 'replica-test', maxRetries: 0 }),
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function config(redisUrl: string, cheap: number, strong: number): string {
  return eloTwoModelConfig(
    { cheap, strong },
    {
      tail: `model_selection:
  store: redis
  redis: {url: "${redisUrl}", key_prefix: "replicas:", sync_interval: "200ms"}
`,
    },
  );
}

async function feedback(replica: Replica, body: unknown): Promise<number> {
  const response = await fetch(`${replica.admin}/api/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await response.arrayBuffer();
  return response.status;
}

async function json(url: string): Promise<unknown> {
  return (await fetch(url)).json();
}

describe('two `switchyard serve` replicas sharing model-selection state through Redis', () => {
  let redis: RedisServer;
  let cheap: StubUpstream;
  let strong: StubUpstream;
  let dir: string;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    redis = await startRedisServer();
    cheap = await startStubUpstream({ port: 0, model: 'cheap' });
    strong = await startStubUpstream({ port: 0, model: 'strong' });
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-replicas-'));
    const file = path.join(dir, 'config.yaml');
    await writeFile(file, config(redis.url, cheap.port, strong.port));
    [a, b] = await Promise.all([startReplica(file), startReplica(file)]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await cheap?.close();
    await strong?.close();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('feedback sent to both replicas at once converges to one state (atomic Elo updates in Redis)', async () => {
    const votes: Promise<number>[] = [];
    for (let i = 0; i < 30; i++) {
      const winner = i % 3 === 0 ? 'cheap' : 'strong';
      const body = { decision_name: 'general', winner_model: winner, loser_model: winner === 'cheap' ? 'strong' : 'cheap' };
      votes.push(feedback(i % 2 === 0 ? a : b, body));
    }
    expect(new Set(await Promise.all(votes))).toEqual(new Set([200]));
    await new Promise((resolve) => setTimeout(resolve, 600));
    const [ratingsA, ratingsB] = await Promise.all([json(`${a.admin}/api/v1/ratings`), json(`${b.admin}/api/v1/ratings`)]);
    expect(ratingsA).toEqual(ratingsB);
    const global = (ratingsA as { global: { model: string; games: number }[] }).global;
    // 30 games, each counted once for both models: no update was lost to a race.
    expect(global.map((entry) => [entry.model, entry.games])).toEqual([
      ['strong', 30],
      ['cheap', 30],
    ]);
    for (const replica of [a, b]) {
      const { response } = await replica.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'a question' }] }).withResponse();
      expect(response.headers.get('x-vsr-selected-model')).toBe('strong');
    }
  }, 30_000);

  it('a Redis outage falls back to local state: requests and feedback still succeed, the failure is counted and logged', async () => {
    await redis.kill();
    const { response } = await a.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'a question' }] }).withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('x-vsr-selection-algorithm')).toBe('elo');
    expect(await feedback(a, { decision_name: 'general', winner_model: 'cheap', loser_model: 'strong' })).toBe(200);
    const metrics = await (await fetch(`${a.admin}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_selection_events_total\{event="store_error"\} [1-9]/);
    expect(a.logs.some((line) => line.includes('model selection store unavailable'))).toBe(true);
    const ratings = (await json(`${a.admin}/api/v1/ratings`)) as { global: { model: string; games: number }[] };
    expect(ratings.global.find((entry) => entry.model === 'cheap')?.games).toBe(31);
  }, 30_000);
});
