import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LIVE_ROWS_PER_BATCH, LiveFeed, type LiveBatch } from '../../src/dashboard/live-feed.js';
import { RequestStore } from '../../src/dashboard/request-store.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';
import type { RequestLogEntry } from '../../src/telemetry/request-log.js';

/** The live table's SSE feed over a real HTTP server and client on loopback. */

const logger = createSilentLogger();

function entry(requestId: string, model = 'm'): RequestLogEntry {
  return {
    requestId, method: 'POST', path: '/v1/chat/completions', decision: 'coding-route', model, reasoning: false, blocked: false, cached: false, status: 200,
    routingMs: 1, upstreamMs: 2, latencyMs: 3, traceId: null, prompt: 'a secret prompt', selection: { algorithm: 'static', reason: 'first modelRef' },
    signals: { keyword: ['coding_keywords'] }, promptTokens: 12, completionTokens: 34, cost: 0.0001, baselineModel: 'big', responsePath: 'upstream',
  } as RequestLogEntry;
}

interface Harness {
  readonly store: RequestStore;
  readonly feed: LiveFeed;
  readonly server: http.Server;
  /** The server side of the last client that connected. */
  response(): http.ServerResponse;
  connect(): Promise<{ events: LiveBatch[]; incoming: http.IncomingMessage; close(): void }>;
  close(): Promise<void>;
}

async function harness(): Promise<Harness> {
  const store = await RequestStore.open({ capacity: 5000, store: 'memory', redisUrl: '', redisKey: '' }, logger);
  const feed = new LiveFeed(store);
  let last: http.ServerResponse | undefined;
  const server = http.createServer((request, response) => {
    last = response;
    feed.serve(request, response, Number(new URL(request.url!, 'http://x').searchParams.get('since') ?? '0'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    store,
    feed,
    server,
    response: () => last!,
    async connect() {
      const events: LiveBatch[] = [];
      const request = http.get(`http://127.0.0.1:${port}/live?since=${Number.MAX_SAFE_INTEGER}`);
      const [incoming] = (await once(request, 'response')) as [http.IncomingMessage];
      let buffer = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => {
        buffer += chunk;
        const parts = buffer.split('\n\n');
        buffer = parts.pop() ?? '';
        for (const part of parts) events.push(JSON.parse(part.split('\n').find((line) => line.startsWith('data: '))!.slice(6)) as LiveBatch);
      });
      // The backlog event (empty: the cursor is past every record).
      while (events.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      return { events, incoming, close: () => request.destroy() };
    },
    async close() {
      feed.close();
      server.closeAllConnections();
      server.close();
      await store.close();
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 10_000) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the live feed', () => {
  it('sends one compact event per batch: the table columns only, no prompt, selection or accounting detail', async () => {
    const h = await harness();
    try {
      const client = await h.connect();
      for (let i = 1; i <= 3; i++) h.store.add(entry(`r${i}`), 1000 + i);
      h.feed.flush(Date.now());
      await until(() => client.events.length === 2);
      const [, batch] = client.events;
      expect(batch!.count).toBe(3);
      expect(batch!.skipped).toBeUndefined();
      expect(batch!.rows.map((row) => row.requestId)).toEqual(['r1', 'r2', 'r3']);
      expect(batch!.rows[0]).toEqual({
        seq: 1, time: 1001, requestId: 'r1', decision: 'coding-route', model: 'm', signals: { keyword: ['coding_keywords'] }, blocked: false, cached: false,
        promptTokens: 12, completionTokens: 34, cost: 0.0001, routingMs: 1, upstreamMs: 2, status: 200,
      });
      client.close();
    } finally {
      await h.close();
    }
  });

  it(`bounds an event to the newest ${LIVE_ROWS_PER_BATCH} rows and counts the rest`, async () => {
    const h = await harness();
    try {
      const client = await h.connect();
      for (let i = 1; i <= 250; i++) h.store.add(entry(`r${i}`), i);
      h.feed.flush(Date.now());
      await until(() => client.events.length === 2);
      const batch = client.events[1]!;
      expect(batch.count).toBe(250);
      expect(batch.skipped).toBe(150);
      expect(batch.rows).toHaveLength(LIVE_ROWS_PER_BATCH);
      expect(batch.rows[0]!.requestId).toBe('r151');
      expect(batch.rows.at(-1)!.requestId).toBe('r250');
      expect(h.feed.stats().rowsSkipped).toBe(150);
      client.close();
    } finally {
      await h.close();
    }
  });

  it('skips and counts events for a client that does not read, never buffering without bound, and it catches up after', async () => {
    const h = await harness();
    try {
      const client = await h.connect();
      client.incoming.pause();
      // Long model names make each event ~200 KB, so the socket's buffers fill after some tens of events.
      const model = 'x'.repeat(2000);
      let added = 0;
      let largestBuffered = 0;
      for (let flush = 0; flush < 400 && h.feed.stats().rowsSkipped === 0; flush++) {
        for (let i = 0; i < LIVE_ROWS_PER_BATCH; i++) h.store.add(entry(`r${++added}`, model), added);
        h.feed.flush(Date.now());
        largestBuffered = Math.max(largestBuffered, h.response().writableLength);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(h.feed.stats().rowsSkipped).toBeGreaterThan(0);
      // Skipping goes on while it does not read, and the server's buffer stays bounded (256 KB plus one event).
      for (let flush = 0; flush < 50; flush++) {
        for (let i = 0; i < LIVE_ROWS_PER_BATCH; i++) h.store.add(entry(`r${++added}`, model), added);
        h.feed.flush(Date.now());
        largestBuffered = Math.max(largestBuffered, h.response().writableLength);
      }
      expect(largestBuffered).toBeLessThan(256 * 1024 + 300 * 1024);
      // Once it reads again, the next event says how many it missed: every request is accounted for.
      client.incoming.resume();
      await until(() => h.response().writableLength === 0);
      h.store.add(entry('last'), 0);
      added++;
      h.feed.flush(Date.now());
      await until(() => client.events.at(-1)?.rows.at(-1)?.requestId === 'last');
      const accounted = client.events.reduce((sum, event) => sum + event.count, 0);
      const rows = client.events.reduce((sum, event) => sum + event.rows.length, 0);
      const skipped = client.events.reduce((sum, event) => sum + (event.skipped ?? 0), 0);
      expect(accounted).toBe(added);
      expect(rows + skipped).toBe(added);
      expect(skipped).toBeGreaterThan(0);
      client.close();
    } finally {
      await h.close();
    }
  });

  it('cuts a client that stays backed up for 30 s', async () => {
    const h = await harness();
    try {
      const client = await h.connect();
      client.incoming.pause();
      const model = 'x'.repeat(2000);
      const start = Date.now();
      for (let flush = 0; flush < 400 && h.feed.stats().rowsSkipped === 0; flush++) {
        for (let i = 0; i < LIVE_ROWS_PER_BATCH; i++) h.store.add(entry('r', model), 0);
        h.feed.flush(start);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(h.feed.stats().clients).toBe(1);
      h.store.add(entry('r'), 0);
      h.feed.flush(start + 20_000);
      expect(h.feed.stats().clients).toBe(1);
      h.store.add(entry('r'), 0);
      h.feed.flush(start + 31_000);
      expect(h.feed.stats()).toMatchObject({ clients: 0, clientsCut: 1 });
      client.close();
    } finally {
      await h.close();
    }
  });

  it('records nothing between events while no client is connected', async () => {
    const h = await harness();
    try {
      for (let i = 1; i <= 5; i++) h.store.add(entry(`early${i}`), i);
      const client = await h.connect();
      h.store.add(entry('late'), 6);
      h.feed.flush(Date.now());
      await until(() => client.events.length === 2);
      expect(client.events[1]!.rows.map((row) => row.requestId)).toEqual(['late']);
      client.close();
    } finally {
      await h.close();
    }
  });
});
