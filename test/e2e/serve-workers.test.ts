import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';
import { startCacheStubs } from '../fixtures/cache/cache-stack.js';
import { eloTwoModelConfig } from '../fixtures/selection/elo-two-models.js';
import { startSeedStubs, type SeedStubs } from '../helpers/e2e-stack.js';
import { startServeLogging, type ServeProcess } from '../helpers/serve-process.js';

// `switchyard serve --workers 2` as a user runs it (the compiled CLI; `make test` builds first).

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly error?: string;
}

/** Longer than any answer here takes, even on a loaded machine: a request still open then is stuck. */
const STUCK_MS = 60_000;

/** A chat request on a connection of its own (node:cluster hands each new connection to the next worker). */
function chat(port: number, requestId: string, content: string, stream = false, onFirstByte?: () => void): Promise<Reply> {
  const body = JSON.stringify({ model: 'auto', stream, messages: [{ role: 'user', content }] });
  return new Promise((resolve) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/chat/completions',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (text === '') onFirstByte?.();
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
        response.on('error', (error) => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text, error: error.message }));
      },
    );
    request.on('error', (error) => resolve({ status: 0, headers: {}, body: '', error: error.message }));
    request.setTimeout(STUCK_MS, () => request.destroy(new Error('stuck')));
    request.end(body);
  });
}

interface RequestLine {
  readonly worker: number;
  readonly requestId: string;
  readonly cached: boolean;
  readonly model: string | null;
}

/** The request log line of `requestId` (written by the worker that served it), waiting for it a little. */
async function logged(serve: ServeProcess, requestId: string): Promise<RequestLine> {
  for (let attempt = 0; attempt < 50; attempt++) {
    for (const line of serve.logs) {
      if (!line.includes(`"requestId":"${requestId}"`) || !line.includes('"msg":"request"')) continue;
      return JSON.parse(line) as RequestLine;
    }
    await delay(100);
  }
  throw new Error(`no request line for ${requestId}`);
}

/** Sends requests (fresh connections) until both workers have served one; returns every reply with its worker. */
async function onBothWorkers(serve: ServeProcess, prefix: string, content: string): Promise<{ reply: Reply; line: RequestLine }[]> {
  const served: { reply: Reply; line: RequestLine }[] = [];
  for (let i = 0; i < 12 && new Set(served.map(({ line }) => line.worker)).size < 2; i++) {
    const requestId = `${prefix}-${i}`;
    const reply = await chat(serve.ports.listeners[0]!, requestId, content);
    served.push({ reply, line: await logged(serve, requestId) });
  }
  expect(new Set(served.map(({ line }) => line.worker)).size).toBe(2);
  return served;
}

function metricValue(metrics: string, prefix: string): number {
  return metrics
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

describe('serve --workers 2: the semantic cache is one cache', () => {
  let stubs: SeedStubs;
  let serve: ServeProcess;

  beforeAll(async () => {
    stubs = await startCacheStubs({ semanticCache: { backend_type: 'memory' } });
    serve = await startServeLogging('info', stubs.config.path, '--workers', '2');
  }, 90_000);
  afterAll(async () => {
    await serve?.stop();
    await stubs?.close();
  });

  it('an answer written through one worker is a hit through the other, and /metrics sums both workers', async () => {
    const port = serve.ports.listeners[0]!;
    const first = await chat(port, 'cache-write', 'What is the tallest mountain in the world?');
    expect(first.status).toBe(200);
    expect(first.headers['x-vsr-cache-hit']).not.toBe('true');
    const writer = (await logged(serve, 'cache-write')).worker;
    const upstreamCalls = stubs.local.requests.length + stubs.cloud.requests.length;
    // The write lands after the response completed; the owner then tells the other worker.
    await delay(500);

    const served = await onBothWorkers(serve, 'cache-read', "what's the tallest mountain in the world");
    const other = served.find(({ line }) => line.worker !== writer)!;
    expect(other.reply.status).toBe(200);
    expect(other.reply.headers['x-vsr-cache-hit']).toBe('true');
    expect(other.line.cached).toBe(true);
    expect(JSON.parse(other.reply.body).choices[0].message.content).toBe(JSON.parse(first.body).choices[0].message.content);
    expect(stubs.local.requests.length + stubs.cloud.requests.length).toBe(upstreamCalls);

    const metrics = await (await fetch(`http://127.0.0.1:${serve.ports.admin}/metrics`)).text();
    // Every request of this test, whichever worker served it, counted once in one series.
    expect(metricValue(metrics, 'switchyard_requests_total{')).toBe(1 + served.length);
    expect(metricValue(metrics, 'switchyard_semantic_cache_events_total{event="hit"}')).toBe(served.length);
    expect(metrics.match(/^switchyard_extproc_streams_total /gm)).toHaveLength(1);
  }, 60_000);
});

function eloConfig(cheap: number, strong: number, first: 'cheap' | 'strong'): string {
  return eloTwoModelConfig({ cheap, strong }, { first });
}

describe('serve --workers 2: selection state has one owner', () => {
  let cheap: StubUpstream;
  let strong: StubUpstream;
  let dir: string;
  let file: string;
  let serve: ServeProcess;

  beforeAll(async () => {
    cheap = await startStubUpstream({ port: 0, model: 'cheap' });
    strong = await startStubUpstream({ port: 0, model: 'strong' });
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-workers-'));
    // serve's config is a link into another folder (as a deployment tool might lay it out): an
    // in-place edit of the target is invisible to the folder watch, so only SIGHUP reloads it.
    await mkdir(path.join(dir, 'versions'));
    await writeFile(path.join(dir, 'versions', 'a.yaml'), eloConfig(cheap.port, strong.port, 'cheap'));
    file = path.join(dir, 'config.yaml');
    await symlink(path.join(dir, 'versions', 'a.yaml'), file);
    serve = await startServeLogging('info', file, '--workers', '2');
  }, 90_000);
  afterAll(async () => {
    await serve?.stop();
    await cheap?.close();
    await strong?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('feedback posted to the admin port moves the rating every worker selects with', async () => {
    const admin = `http://127.0.0.1:${serve.ports.admin}`;
    for (let i = 0; i < 20; i++) {
      const winner = i % 4 === 0 ? 'cheap' : 'strong';
      const body = { decision_name: 'general', winner_model: winner, loser_model: winner === 'cheap' ? 'strong' : 'cheap' };
      const response = await fetch(`${admin}/api/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const ratings = (await (await fetch(`${admin}/api/v1/ratings`)).json()) as { global: { model: string; games: number }[] };
    expect(ratings.global.map((entry) => [entry.model, entry.games])).toEqual([
      ['strong', 20],
      ['cheap', 20],
    ]);
    for (const { reply } of await onBothWorkers(serve, 'elo', 'a question')) {
      expect(reply.status).toBe(200);
      expect(reply.headers['x-vsr-selected-model']).toBe('strong');
    }
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metricValue(metrics, 'switchyard_selection_events_total{event="feedback_accepted"}')).toBe(20);
  }, 60_000);

  it('a worker that dies is replaced; the other worker keeps serving, and the new one has the learnt state', async () => {
    const ready = (): number[] => serve.logs.filter((line) => line.includes('"msg":"serve worker ready"')).map((line) => (JSON.parse(line) as { pid: number }).pid);
    const [victim] = ready();
    expect(victim).toBeDefined();
    process.kill(victim!, 'SIGKILL');
    // A connection the primary hands to a worker in the instant it dies is lost with it (node:cluster
    // waits for the worker's acknowledgement); new connections are safe once the primary saw the exit.
    for (let i = 0; i < 300 && !serve.logs.some((line) => line.includes('serve worker died; starting a new one')); i++) await delay(100);
    // While it is down, every request is answered (by the other worker).
    for (let i = 0; i < 4; i++) {
      const reply = await chat(serve.ports.listeners[0]!, `during-crash-${i}`, 'a question');
      expect(reply.status).toBe(200);
      expect(reply.headers['x-vsr-selected-model']).toBe('strong');
    }
    // A worker's start-up (models loaded, config compiled) takes a while on a loaded machine.
    for (let i = 0; i < 2000 && ready().length < 3; i++) await delay(100);
    expect(ready()).toHaveLength(3);
    expect(serve.logs.some((line) => line.includes('serve worker died; starting a new one'))).toBe(true);
    expect((await fetch(`http://127.0.0.1:${serve.ports.admin}/readyz`)).status).toBe(200);
    // The replacement loaded the owner's ratings: both workers still pick the model the feedback favoured.
    for (const { reply } of await onBothWorkers(serve, 'after-crash', 'a question')) expect(reply.headers['x-vsr-selected-model']).toBe('strong');
  }, 300_000);

  it('a config edit reaches every worker (file watch), and SIGHUP reloads every worker', async () => {
    const staticConfig = (first: 'cheap' | 'strong'): string => eloConfig(cheap.port, strong.port, first).replace('{type: "elo", elo: {min_comparisons: 1}}', '{type: "static"}');
    const selectedEverywhere = async (prefix: string, model: string): Promise<boolean> => {
      const served = await onBothWorkers(serve, prefix, 'a question');
      return served.every(({ reply }) => reply.headers['x-vsr-selection-algorithm'] === 'static' && reply.headers['x-vsr-selected-model'] === model);
    };
    const waitFor = async (prefix: string, model: string): Promise<boolean> => {
      for (let i = 0; i < 30; i++) {
        if (await selectedEverywhere(`${prefix}-${i}`, model)) return true;
        await delay(300);
      }
      return false;
    };

    // A new version swapped in under the watched name: every worker's watch sees it.
    const next = path.join(dir, 'versions', 'b.yaml');
    await writeFile(next, staticConfig('cheap'));
    await symlink(next, path.join(dir, 'next.yaml'));
    await rename(path.join(dir, 'next.yaml'), file);
    expect(await waitFor('edit', 'cheap')).toBe(true);

    // Edited in place behind the link: no watch fires, nothing changes until SIGHUP.
    await writeFile(next, staticConfig('strong'));
    await delay(1500);
    expect(await selectedEverywhere('before-hup', 'cheap')).toBe(true);
    serve.child.kill('SIGHUP');
    expect(await waitFor('after-hup', 'strong')).toBe(true);
  }, 90_000);
});

describe('serve --workers 2: a crash does not disturb streams on the other worker', () => {
  let stubs: SeedStubs;
  let serve: ServeProcess;

  afterAll(async () => {
    await serve?.stop();
    await stubs?.close();
  });

  it('kills one worker mid-stream: the streams on the other finish whole', async () => {
    stubs = await startSeedStubs({ chunkIntervalMs: 300 });
    serve = await startServeLogging('info', stubs.config.path, '--workers', '2');
    const pids = serve.logs.filter((line) => line.includes('"msg":"serve worker ready"')).map((line) => JSON.parse(line) as { pid: number; worker: number });
    let streaming = 0;
    let streams: Promise<Reply>[] = [];
    // Every stream has its worker (its first bytes arrived) before one worker is killed.
    await new Promise<void>((resolve) => {
      const started = (): void => {
        streaming += 1;
        if (streaming === 4) resolve();
      };
      streams = Array.from({ length: 4 }, (_, i) => chat(serve.ports.listeners[0]!, `stream-${i}`, 'Explain what a Python decorator is.', true, started));
    });
    const victim = pids[0]!;
    process.kill(victim.pid, 'SIGKILL');
    const replies = await Promise.all(streams);
    const survivors = [];
    for (const [i, reply] of replies.entries()) {
      if (reply.body.trimEnd().endsWith('data: [DONE]') && reply.error === undefined) survivors.push((await logged(serve, `stream-${i}`)).worker);
    }
    // Every stream the surviving worker served finished; only the killed worker's were cut.
    expect(survivors.length).toBeGreaterThan(0);
    expect(survivors.every((worker) => worker !== victim.worker)).toBe(true);
    expect(replies.filter((reply) => !reply.body.trimEnd().endsWith('data: [DONE]')).length).toBeLessThanOrEqual(replies.length - survivors.length);
  }, 180_000);
});
