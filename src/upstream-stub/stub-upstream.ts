import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { openAIErrorBody, type ErrorCode, ERROR_CODES } from '../errors.js';
import { countWords, promptWords, stubAnswerText, type StubChatRequest } from './stub-answer.js';

export interface StubUpstreamOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** The model this stub pretends to be. */
  readonly model: string;
  readonly host?: string;
  /** Delay before the response starts. */
  readonly latencyMs?: number;
  /** Pause between SSE chunks, so each reaches a proxy as its own read. */
  readonly chunkIntervalMs?: number;
}

/** One request as the stub received it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-case names; repeated headers joined by Node's rules. */
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** The client went away before the stub finished answering. */
  aborted: boolean;
}

export interface StubUpstream {
  readonly port: number;
  /** Every request so far, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  close(): Promise<void>;
}

/** Splits text into a few pieces so a streamed answer arrives as several content chunks. */
function pieces(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / count));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function sendError(response: http.ServerResponse, code: ErrorCode, message: string): void {
  const body = JSON.stringify(openAIErrorBody(code, message));
  response.writeHead(ERROR_CODES[code].status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

/**
 * An OpenAI-compatible upstream for tests and local runs: POST …/chat/completions (JSON or SSE
 * with stream_options.include_usage) and GET …/models, under any base path, since a provider's
 * OpenAI-compatible base URL may carry a prefix (Gemini's /v1beta/openai). It records every request and notices
 * when a client aborts, which is how tests see "upstream request cancelled".
 */
export async function startStubUpstream(options: StubUpstreamOptions): Promise<StubUpstream> {
  const requests: RecordedRequest[] = [];
  const aborts = new Set<AbortController>();

  async function handle(request: http.IncomingMessage, response: http.ServerResponse, record: RecordedRequest, signal: AbortSignal): Promise<void> {
    if (options.latencyMs !== undefined && options.latencyMs > 0) await delay(options.latencyMs, undefined, { signal });
    const path = record.path.split('?')[0] ?? '';
    if (request.method === 'GET' && path.endsWith('/models')) {
      const body = JSON.stringify({ object: 'list', data: [{ id: options.model, object: 'model', created: 0, owned_by: 'switchyard-stub' }] });
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    if (!path.endsWith('/chat/completions')) return sendError(response, 'SY_ERR_MODEL_NOT_FOUND', `no route for ${record.path}`);
    if (request.method !== 'POST') return sendError(response, 'SY_ERR_METHOD_NOT_ALLOWED', 'use POST');
    let chat: StubChatRequest;
    try {
      chat = JSON.parse(record.body) as StubChatRequest;
    } catch {
      return sendError(response, 'SY_ERR_REQUEST_INVALID_JSON', 'request body is not valid JSON');
    }
    if (chat === null || typeof chat !== 'object' || Array.isArray(chat)) {
      return sendError(response, 'SY_ERR_REQUEST_INVALID_JSON', 'request body must be a JSON object');
    }
    const text = stubAnswerText(options.model, chat);
    const usage = { prompt_tokens: promptWords(chat), completion_tokens: countWords(text), total_tokens: promptWords(chat) + countWords(text) };
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const model = typeof chat.model === 'string' ? chat.model : options.model;
    if (chat.stream !== true) {
      const body = JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage,
      });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (choices: unknown[], extra: object = {}): string =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`;
    const events = [
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
      ...pieces(text, 4).map((piece) => chunk([{ index: 0, delta: { content: piece }, finish_reason: null }])),
      chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
      ...(chat.stream_options?.include_usage === true ? [chunk([], { usage })] : []),
      'data: [DONE]\n\n',
    ];
    for (const event of events) {
      if (signal.aborted) return;
      response.write(event);
      if (options.chunkIntervalMs !== undefined && options.chunkIntervalMs > 0) await delay(options.chunkIntervalMs, undefined, { signal });
    }
    response.end();
  }

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const record: RecordedRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        aborted: false,
      };
      requests.push(record);
      const abort = new AbortController();
      aborts.add(abort);
      response.on('close', () => {
        if (!response.writableFinished) {
          record.aborted = true;
          abort.abort();
        }
        aborts.delete(abort);
      });
      handle(request, response, record, abort.signal).catch(() => {
        if (!abort.signal.aborted) response.destroy();
      });
    });
  });
  server.listen(options.port, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const abort of aborts) abort.abort();
      server.closeAllConnections();
      await closed;
    },
  };
}
