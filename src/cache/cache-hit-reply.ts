import { randomUUID } from 'node:crypto';
import type { ImmediateReply } from '../router/route-result.js';
import type { CachedCompletion } from './cached-completion.js';

/** Response header that marks an answer served from the semantic cache. */
export const CACHE_HIT_HEADER = 'x-vsr-cache-hit';

/** How the client asked for the answer. */
export interface ReplayRequest {
  readonly stream: boolean;
  /** `stream_options.include_usage`. */
  readonly includeUsage: boolean;
}

/** Pieces of a streamed replay: words with the whitespace before them, a few per chunk (cache hits, looper answers). */
export function contentPieces(content: string): string[] {
  const words = content.match(/\s*\S+/g) ?? [];
  const trailing = content.slice(words.join('').length);
  const perChunk = Math.max(1, Math.ceil(words.length / 16));
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += perChunk) pieces.push(words.slice(i, i + perChunk).join(''));
  if (trailing !== '') pieces.push(trailing);
  return pieces;
}

function eventStream(completion: CachedCompletion, id: string, created: number, includeUsage: boolean): string {
  const base = {
    id,
    object: 'chat.completion.chunk',
    created,
    model: completion.model,
    ...(completion.systemFingerprint === undefined ? {} : { system_fingerprint: completion.systemFingerprint }),
  };
  const chunk = (choices: unknown[], extra: object = {}): string => `data: ${JSON.stringify({ ...base, choices, ...extra })}\n\n`;
  const events = [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
    ...contentPieces(completion.content).map((piece) => chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }])),
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
  ];
  // The usage of the original answer; unknown when it was streamed without include_usage.
  if (includeUsage && completion.usage !== undefined) events.push(chunk([], { usage: completion.usage }));
  events.push('data: [DONE]\n\n');
  return events.join('');
}

/** Content headers of a chat completion answered locally: SSE for a streaming client, else JSON. */
export function completionContentType(stream: boolean): readonly (readonly [string, string])[] {
  return stream ? [['content-type', 'text/event-stream'], ['cache-control', 'no-cache']] : [['content-type', 'application/json']];
}

/**
 * The local reply for a cache hit: a chat completion with a fresh id and created time and the
 * original model, as JSON or, for a streaming client, as SSE chunks ending in `[DONE]`.
 */
export function cacheHitReply(completion: CachedCompletion, request: ReplayRequest, headers: readonly (readonly [string, string])[]): ImmediateReply {
  const id = `chatcmpl-cache-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const body = request.stream
    ? eventStream(completion, id, created, request.includeUsage)
    : JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model: completion.model,
        choices: [{ index: 0, message: { role: 'assistant', content: completion.content }, logprobs: null, finish_reason: 'stop' }],
        ...(completion.usage === undefined ? {} : { usage: completion.usage }),
        ...(completion.systemFingerprint === undefined ? {} : { system_fingerprint: completion.systemFingerprint }),
      });
  return {
    kind: 'immediate',
    status: 200,
    // The routing headers may already say "x-vsr-cache-hit: false" for the upstream path.
    headers: [...completionContentType(request.stream), ...headers.filter(([name]) => name.toLowerCase() !== CACHE_HIT_HEADER), [CACHE_HIT_HEADER, 'true']],
    body: Buffer.from(body),
    details: 'semantic_cache_hit',
  };
}
