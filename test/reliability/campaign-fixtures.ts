import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { pointModelsAtStubs, writeConfigCopy, type ConfigCopy } from '../../src/demo/stub-config.js';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';
import { unusedPort } from '../helpers/free-port.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The config the campaign runs: the shipped default, every default signal on. */
export const DEFAULT_CONFIG_PATH = path.join(REPO_ROOT, 'examples', 'default.yaml');
export const SEED_CONFIG_PATH = path.join(REPO_ROOT, 'examples', 'seed-tutorial.yaml');

/** Model names the campaign adds next to the default config's two, one per upstream fault. */
export const FAULT_MODELS = {
  slow: 'campaign-slow',
  down: 'campaign-down',
  reset: 'campaign-reset',
  midStreamReset: 'campaign-midstream-reset',
} as const;

/** How long the slow upstream waits before its headers; longer than {@link LISTENER_TIMEOUT}. */
export const SLOW_UPSTREAM_MS = 4_000;
/** The campaign listener's upstream deadline: a slow upstream gets 504 after it. */
export const LISTENER_TIMEOUT = '2s';

/**
 * A raw TCP upstream that misbehaves: `reset` destroys the connection once the request
 * headers arrive; `mid-stream` sends SSE headers and one event, then destroys it.
 */
async function startBrokenUpstream(mode: 'reset' | 'mid-stream'): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let seen = '';
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      if (mode === 'reset') {
        socket.resetAndDestroy();
        return;
      }
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n');
      const event = 'data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"par"}}]}\n\n';
      socket.write(`${Buffer.byteLength(event).toString(16)}\r\n${event}\r\n`);
      setTimeout(() => socket.resetAndDestroy(), 20);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Everything the main serve process talks to, and its config on disk. */
export interface CampaignUpstreams {
  readonly local: StubUpstream;
  readonly cloud: StubUpstream;
  readonly slow: StubUpstream;
  /** Absent when redis-server is not installed (the Redis fault is then skipped). */
  readonly redis?: RedisServer;
  readonly config: ConfigCopy;
  /** The config text as written, to restore after the bad-reload fault. */
  readonly configText: string;
  close(): Promise<void>;
}

function hasRedisServer(): Promise<boolean> {
  return startRedisServer().then(
    async (server) => {
      await server.stop();
      return true;
    },
    () => false,
  );
}

/**
 * Starts stubs for the default config's models, a slow stub, two broken upstreams and a
 * redis-server, and writes examples/default.yaml pointed at them: one loopback listener with
 * a short upstream deadline, four fault models, and the semantic cache on Redis.
 */
export async function startCampaignUpstreams(): Promise<CampaignUpstreams> {
  const local = await startStubUpstream({ port: 0, model: 'local' });
  const cloud = await startStubUpstream({ port: 0, model: 'cloud' });
  const slow = await startStubUpstream({ port: 0, model: 'slow', latencyMs: SLOW_UPSTREAM_MS });
  const reset = await startBrokenUpstream('reset');
  const midStream = await startBrokenUpstream('mid-stream');
  const downPort = await unusedPort();
  const redis = (await hasRedisServer()) ? await startRedisServer() : undefined;

  const stubs = new Map([
    ['local-model', { host: '127.0.0.1', port: local.port }],
    ['cloud-model', { host: '127.0.0.1', port: cloud.port }],
  ]);
  const document = parseDocument(pointModelsAtStubs(await readFile(DEFAULT_CONFIG_PATH, 'utf8'), { stubs, keepPathPrefix: true, loopbackListener: true }));
  document.setIn(['listeners', 0, 'timeout'], LISTENER_TIMEOUT);
  const faultModel = (name: string, port: number): unknown => ({ name, endpoints: [{ name: 'upstream', endpoint: `127.0.0.1:${port}`, protocol: 'http' }] });
  for (const model of [
    faultModel(FAULT_MODELS.slow, slow.port),
    faultModel(FAULT_MODELS.down, downPort),
    faultModel(FAULT_MODELS.reset, reset.port),
    faultModel(FAULT_MODELS.midStreamReset, midStream.port),
  ]) {
    document.addIn(['providers', 'models'], document.createNode(model));
  }
  if (redis !== undefined) {
    document.setIn(['semantic_cache', 'backend_type'], 'redis');
    document.setIn(['semantic_cache', 'redis'], document.createNode({ url: redis.url }));
  }
  const configText = document.toString();
  const config = await writeConfigCopy(configText);
  return {
    local,
    cloud,
    slow,
    ...(redis === undefined ? {} : { redis }),
    config,
    configText,
    async close() {
      await Promise.all([local.close(), cloud.close(), slow.close(), reset.close(), midStream.close()]);
      await redis?.stop();
      await config.remove();
    },
  };
}

/** Stubs and a seed-tutorial config for the SIGTERM run: answers take a while, streams several chunks. */
export interface DrainUpstreams {
  readonly local: StubUpstream;
  readonly cloud: StubUpstream;
  readonly config: ConfigCopy;
  close(): Promise<void>;
}

export async function startDrainUpstreams(latencyMs: number, chunkIntervalMs: number): Promise<DrainUpstreams> {
  const local = await startStubUpstream({ port: 0, model: 'local', latencyMs, chunkIntervalMs });
  const cloud = await startStubUpstream({ port: 0, model: 'cloud', latencyMs, chunkIntervalMs });
  const stubs = new Map([
    ['mlx-community/Qwen3-Coder-Next-4bit', { host: '127.0.0.1', port: local.port }],
    ['gemini-2.5-pro', { host: '127.0.0.1', port: cloud.port }],
  ]);
  const config = await writeConfigCopy(pointModelsAtStubs(await readFile(SEED_CONFIG_PATH, 'utf8'), { stubs, keepPathPrefix: true, loopbackListener: true }));
  return {
    local,
    cloud,
    config,
    async close() {
      await Promise.all([local.close(), cloud.close()]);
      await config.remove();
    },
  };
}
