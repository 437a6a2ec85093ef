import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { openAIErrorBody, type ErrorCode, ERROR_CODES } from '../errors.js';
import { answerAnthropicMessages } from './anthropic-wire.js';
import { writeEventStream } from './event-stream-writer.js';
import { answerResponses } from './responses-wire.js';
import { countWords, lastUserText, promptWords, stubAnswerText, tokenLogprobs, type StubChatRequest } from './stub-answer.js';
import { pieces, requiredToolName } from './stub-tools.js';

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
  /**
   * Log-probability of each answer token, from the last user message, when a request asks for
   * `logprobs` (-0.1 when unset): lets a test make the stub sure of one prompt and unsure of another.
   */
  readonly tokenLogprob?: (userText: string) => number;
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

function sendError(response: http.ServerResponse, code: ErrorCode, message: string): void {
  const body = JSON.stringify(openAIErrorBody(code, message));
  response.writeHead(ERROR_CODES[code].status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

/**
 * An upstream for tests and local runs that speaks three wire formats exactly: OpenAI chat
 * (POST …/chat/completions), the Responses API (POST …/responses, see responses-wire.ts) and
 * Anthropic Messages (POST …/messages, see anthropic-wire.ts), plus GET …/models. Chat answers
 * are JSON or SSE (with stream_options.include_usage); a request that requires a tool gets a tool
 * call (stub-tools.ts). Any base path works, since a provider's OpenAI-compatible base URL may
 * carry a prefix (Gemini's /v1beta/openai). It records every request and notices
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
    if (request.method === 'POST' && path.endsWith('/messages')) return answerAnthropicMessages(options.model, request, record.body, response, options.chunkIntervalMs, signal);
    if (request.method === 'POST' && path.endsWith('/responses')) return answerResponses(options.model, record.body, response, options.chunkIntervalMs, signal);
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
    const messages = Array.isArray(chat.messages) ? (chat.messages as { role?: unknown; content?: unknown }[]) : [];
    const toolNames = (Array.isArray(chat.tools) ? (chat.tools as { function?: { name?: unknown } }[]) : []).flatMap((tool) => (typeof tool?.function?.name === 'string' ? [tool.function.name] : []));
    const toolName = messages.at(-1)?.role === 'user' ? requiredToolName(toolNames, chat.tool_choice) : undefined;
    const lastContent = messages.at(-1)?.content;
    const toolCall = toolName === undefined ? undefined : { id: `call_${randomUUID().replaceAll('-', '')}`, type: 'function', function: { name: toolName, arguments: JSON.stringify({ text: typeof lastContent === 'string' ? lastContent : '' }) } };
    const logprob = chat.logprobs === true ? (options.tokenLogprob?.(lastUserText(chat)) ?? -0.1) : undefined;
    const top = typeof chat.top_logprobs === 'number' ? chat.top_logprobs : 0;
    const logprobs = (piece: string) => (logprob === undefined ? {} : { logprobs: { content: tokenLogprobs(piece, logprob, top) } });
    if (chat.stream !== true) {
      const message = toolCall === undefined ? { role: 'assistant', content: text } : { role: 'assistant', content: null, tool_calls: [toolCall] };
      const body = JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message, ...(toolCall === undefined ? logprobs(text) : {}), finish_reason: toolCall === undefined ? 'stop' : 'tool_calls' }],
        usage,
      });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    const chunk = (choices: unknown[], extra: object = {}): string =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`;
    const deltas =
      toolCall === undefined
        ? pieces(text, 4).map((piece) => chunk([{ index: 0, delta: { content: piece }, ...logprobs(piece), finish_reason: null }]))
        : [
            chunk([{ index: 0, delta: { tool_calls: [{ index: 0, id: toolCall.id, type: 'function', function: { name: toolCall.function.name, arguments: '' } }] }, finish_reason: null }]),
            ...pieces(toolCall.function.arguments, 3).map((piece) => chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] }, finish_reason: null }])),
          ];
    const events = [
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
      ...deltas,
      chunk([{ index: 0, delta: {}, finish_reason: toolCall === undefined ? 'stop' : 'tool_calls' }]),
      ...(chat.stream_options?.include_usage === true ? [chunk([], { usage })] : []),
      'data: [DONE]\n\n',
    ];
    await writeEventStream(response, events, options.chunkIntervalMs, signal);
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
