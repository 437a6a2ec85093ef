import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { inProcessSidecar } from '../../src/extproc/in-process-transport.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';
import { startGateway, type Gateway } from '../../src/gateway/http-gateway.js';
import type { RequestLogEntry } from '../../src/telemetry/request-log.js';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';
import { loadConfigOrThrow, SEED_CONFIG_PATH } from '../helpers/config-fixture.js';
import { CLOUD_MODEL, LOCAL_MODEL } from '../helpers/e2e-stack.js';
import { captureLog } from '../helpers/log-capture.js';
import { EXT_PROC_TRANSPORTS, type ExtProcTransportName } from '../conformance/gateway-harness.js';

const USER = (content: string) => [{ role: 'user' as const, content }];
/** Seed config prices: the cloud model is the most expensive, so it is the baseline. */
const CLOUD = { prompt: 1.25, completion: 10 };

/** Sidecar + gateway on the seed config, every cluster pointed at one upstream port; records collected in memory. */
interface AccountingStack {
  readonly config: RuntimeConfig;
  readonly gatewayUrl: string;
  readonly records: RequestLogEntry[];
  /** ext_proc messages the gateway has sent to the sidecar so far. */
  messagesSent(): number;
  close(): Promise<void>;
}

/**
 * Over gRPC (Envoy's way, and `serve --sidecar`) the sidecar reads response bodies in STREAMED
 * mode; in-process (`serve`) the gateway reads them and the body never reaches the sidecar.
 */
async function startAccountingStack(upstreamPort: number, transport: ExtProcTransportName): Promise<AccountingStack> {
  const config = await loadConfigOrThrow(SEED_CONFIG_PATH);
  const records: RequestLogEntry[] = [];
  const log = captureLog('warn');
  const sidecar: ExtProcServer = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => config }, logger: log.logger, records: { record: (entry) => records.push(entry) } });
  const clusters = new Map(
    [...config.models.values()].flatMap((model) => model.endpoints.map((endpoint) => [endpoint.cluster, { baseUrl: `http://127.0.0.1:${upstreamPort}`, hostname: endpoint.host }] as const)),
  );
  const gateway: Gateway = await startGateway({
    listen: { address: '127.0.0.1', port: 0 },
    sidecar: transport === 'grpc' ? { address: '127.0.0.1', port: sidecar.port } : { inProcess: inProcessSidecar(sidecar.streamDependencies) },
    settings: config.envoy,
    clusterHeader: config.router.clusterHeader,
    clusters: () => clusters,
  });
  return {
    config,
    gatewayUrl: `http://127.0.0.1:${gateway.port}`,
    records,
    messagesSent: () => gateway.counters().stream_msgs_sent,
    async close() {
      await gateway.close();
      await sidecar.close();
      await config.close();
    },
  };
}

/** The record of a request id; the sidecar writes it when the stream ends, a little after the response. */
async function recordFor(records: readonly RequestLogEntry[], requestId: string): Promise<RequestLogEntry> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const found = records.find((record) => record.requestId === requestId);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no record for ${requestId}`);
}

/** What differs between two answers of the stub to the same request: its random id and the clock. */
function normalised(text: string): string {
  return text.replace(/"id":"chatcmpl-[0-9a-f-]+"/g, '"id":"X"').replace(/"created":\d+/g, '"created":0');
}

async function rawBody(url: string, body: unknown, requestId: string): Promise<string> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': requestId }, body: JSON.stringify(body) });
  return response.text();
}

function money(value: number | null | undefined): string {
  return (value ?? NaN).toFixed(12);
}

/** request_headers, request_body, response_headers: all a request sends when its response body stays out of the sidecar. */
const HEADERS_AND_REQUEST_BODY = 3;

describe.each(EXT_PROC_TRANSPORTS)('usage and cost from a real OpenAI-format upstream (stub), through the built-in gateway over %s', (transport) => {
  let stub: StubUpstream;
  let stack: AccountingStack;
  let viaRouter: OpenAI;
  let direct: OpenAI;

  beforeAll(async () => {
    stub = await startStubUpstream({ port: 0, model: 'stub' });
    stack = await startAccountingStack(stub.port, transport);
    viaRouter = new OpenAI({ baseURL: `${stack.gatewayUrl}/v1`, apiKey: 'test', maxRetries: 0 });
    direct = new OpenAI({ baseURL: `http://127.0.0.1:${stub.port}/v1`, apiKey: 'test', maxRetries: 0 });
  });
  afterAll(async () => {
    await stack.close();
    await stub.close();
  });

  it('asks the upstream for usage on a stream whose client did not, and the client gets exactly the stream it asked for', async () => {
    const request = { model: LOCAL_MODEL, messages: USER('Implement a queue class in TypeScript.'), stream: true as const };
    const routedChunks: unknown[] = [];
    const sentBefore = stack.messagesSent();
    for await (const chunk of await viaRouter.chat.completions.create(request, { headers: { 'x-request-id': 'stream-no-usage' } })) routedChunks.push(chunk);
    await recordFor(stack.records, 'stream-no-usage');
    const sent = stack.messagesSent() - sentBefore;
    // In-process the gateway strips the usage chunk itself; over gRPC every SSE chunk goes through the sidecar.
    if (transport === 'in-process') expect(sent).toBe(HEADERS_AND_REQUEST_BODY);
    else expect(sent).toBeGreaterThanOrEqual(HEADERS_AND_REQUEST_BODY + 2);
    const upstreamBody = JSON.parse(stub.requests.at(-1)!.body) as { stream_options?: unknown };
    expect(upstreamBody.stream_options).toEqual({ include_usage: true });

    const directChunks: unknown[] = [];
    for await (const chunk of await direct.chat.completions.create(request)) directChunks.push(chunk);
    expect(normalised(JSON.stringify(routedChunks))).toBe(normalised(JSON.stringify(directChunks)));
    expect(routedChunks.some((chunk) => (chunk as { usage?: unknown }).usage !== undefined)).toBe(false);

    // Byte for byte: the SSE text through the router equals the stub's own answer to the client's request.
    const routedText = await rawBody(`${stack.gatewayUrl}/v1/chat/completions`, request, 'stream-no-usage-raw');
    const directText = await rawBody(`http://127.0.0.1:${stub.port}/v1/chat/completions`, request, 'direct');
    expect(normalised(routedText)).toBe(normalised(directText));

    const record = await recordFor(stack.records, 'stream-no-usage');
    expect(record).toMatchObject({ responsePath: 'upstream', model: LOCAL_MODEL, tokensEstimated: false, cost: 0, currency: 'USD', baselineModel: CLOUD_MODEL, reason: null });
    expect(record.promptTokens).toBeGreaterThan(0);
    expect(record.completionTokens).toBeGreaterThan(0);
    const baseline = (record.promptTokens! * CLOUD.prompt + record.completionTokens! * CLOUD.completion) / 1e6;
    expect(money(record.baselineCost)).toBe(money(baseline));
    expect(money(record.saved)).toBe(money(baseline));
    expect(record.ttftMs).toBeGreaterThan(0);
  });

  it('leaves a stream whose client asked for usage as it is, and takes the usage from it', async () => {
    const request = { model: CLOUD_MODEL, messages: USER('Summarise the plot of Hamlet.'), stream: true as const, stream_options: { include_usage: true } };
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of await viaRouter.chat.completions.create(request, { headers: { 'x-request-id': 'stream-with-usage' } })) chunks.push(chunk);
    const usage = chunks.at(-1)!.usage!;
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    const record = await recordFor(stack.records, 'stream-with-usage');
    const cost = (usage.prompt_tokens * CLOUD.prompt + usage.completion_tokens * CLOUD.completion) / 1e6;
    expect(record).toMatchObject({ promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens, tokensEstimated: false, saved: 0 });
    expect(money(record.cost)).toBe(money(cost));
  });

  it('prices a JSON answer from its usage at the routed model', async () => {
    const sentBefore = stack.messagesSent();
    const completion = await viaRouter.chat.completions.create({ model: CLOUD_MODEL, messages: USER('What is 2+2?') }, { headers: { 'x-request-id': 'json-usage' } });
    const record = await recordFor(stack.records, 'json-usage');
    expect(stack.messagesSent() - sentBefore).toBe(transport === 'in-process' ? HEADERS_AND_REQUEST_BODY : HEADERS_AND_REQUEST_BODY + 2);
    const usage = completion.usage!;
    expect(record).toMatchObject({ responsePath: 'upstream', promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens, tokensEstimated: false });
    expect(money(record.cost)).toBe(money((usage.prompt_tokens * CLOUD.prompt + usage.completion_tokens * CLOUD.completion) / 1e6));
    expect(record.latencyMs).toBeGreaterThan(0);
  });
});

/** An upstream that answers every chat request with one scripted raw HTTP response. */
async function startScriptedUpstream(answer: (response: http.ServerResponse) => void): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => answer(response));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const ANSWER = 'four words of answer';
const CHUNK = (extra: object) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', ...extra })}\n\n`;

describe.each(EXT_PROC_TRANSPORTS)('faults: an upstream answer is accounted as what it is, over %s', (transport) => {
  const cases: { name: string; answer: (response: http.ServerResponse) => void; stream: boolean; expected: Partial<RequestLogEntry> }[] = [
    {
      name: 'a JSON answer without usage is estimated from its text, and marked so',
      stream: false,
      answer: (response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }] })),
      expected: { responsePath: 'upstream', tokensEstimated: true, completionTokens: Math.ceil(ANSWER.length / 4), reason: null },
    },
    {
      name: 'a JSON answer with malformed usage is an error, with no cost',
      stream: false,
      answer: (response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }], usage: { prompt_tokens: 'many' } })),
      expected: { responsePath: 'error', reason: 'usage_malformed', cost: null, promptTokens: null, saved: null },
    },
    {
      name: 'a 500 is an upstream_5xx error, with no cost',
      stream: false,
      answer: (response) => response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'boom', type: 'server_error' } })),
      expected: { responsePath: 'error', reason: 'upstream_5xx', cost: null, completionTokens: null },
    },
    {
      name: 'a 429 is an upstream_4xx error',
      stream: false,
      answer: (response) => response.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'slow down', type: 'rate_limit' } })),
      expected: { responsePath: 'error', reason: 'upstream_4xx', cost: null },
    },
    {
      name: 'an SSE stream cut mid-way is an upstream_stream_cut error, with no cost',
      stream: true,
      answer: (response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(CHUNK({ choices: [{ index: 0, delta: { content: 'half an ans' }, finish_reason: null }] }));
        setTimeout(() => response.destroy(), 30);
      },
      expected: { responsePath: 'error', reason: 'upstream_stream_cut', cost: null },
    },
    {
      name: 'an SSE stream without usage (the upstream ignored include_usage) is estimated, marked so',
      stream: true,
      answer: (response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(CHUNK({ choices: [{ index: 0, delta: { content: ANSWER }, finish_reason: null }] }));
        response.end('data: [DONE]\n\n');
      },
      expected: { responsePath: 'upstream', tokensEstimated: true, completionTokens: Math.ceil(ANSWER.length / 4) },
    },
  ];

  it('a stream the client cancels mid-way is still logged once, as cut, with no cost', async () => {
    const upstream = await startScriptedUpstream((response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(CHUNK({ choices: [{ index: 0, delta: { content: 'the start' }, finish_reason: null }] }));
    });
    const stack = await startAccountingStack(upstream.port, transport);
    try {
      const requestId = `cancel-${Math.random()}`;
      const abort = new AbortController();
      const response = await fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify({ model: CLOUD_MODEL, messages: USER('Twelve characters'), stream: true }),
        signal: abort.signal,
      });
      const reader = response.body!.getReader();
      await reader.read();
      abort.abort();
      const record = await recordFor(stack.records, requestId);
      expect(record).toMatchObject({ responsePath: 'error', reason: 'upstream_stream_cut', cost: null });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(stack.records.filter((entry) => entry.requestId === requestId)).toHaveLength(1);
    } finally {
      await stack.close();
      await upstream.close();
    }
  });

  it.each(cases)('$name', async ({ answer, stream, expected }) => {
    const upstream = await startScriptedUpstream(answer);
    const stack = await startAccountingStack(upstream.port, transport);
    try {
      const requestId = `fault-${Math.random()}`;
      await fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify({ model: CLOUD_MODEL, messages: USER('Twelve characters'), stream }),
      })
        .then((response) => response.text())
        .catch(() => undefined);
      const record = await recordFor(stack.records, requestId);
      expect(record).toMatchObject(expected);
      if (record.tokensEstimated === true) expect(record.promptTokens).toBe(Math.ceil('Twelve characters'.length / 4));
    } finally {
      await stack.close();
      await upstream.close();
    }
  });
});
