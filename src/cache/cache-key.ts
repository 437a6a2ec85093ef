import { createHash } from 'node:crypto';

/**
 * Where a request sits in the cache. The cache key rule:
 *
 * - `namespace` is an exact fingerprint (SHA-256 of canonical JSON) of everything that changes the
 *   answer except the wording of the last user message: the model routing chose, every request
 *   parameter except the transport-only ones in {@link TRANSPORT_ONLY_FIELDS} (so temperature,
 *   top_p, tools, tool_choice, response_format, seed, stop, max_tokens, reasoning fields, … all
 *   count), every earlier message with its role (system prompts and history included), and the
 *   last user message's non-text parts and `name`.
 * - `query` is the text of the last user message; it is compared by embedding similarity (plus
 *   the near-miss guard), only against entries of the same namespace.
 *
 * `stream` and `stream_options` are transport, so a streamed answer serves a non-streamed request
 * and the reverse. Not cacheable: a conversation that does not end in a user message with text
 * (tool results, assistant prefill) and `n` > 1 (the client asked for variety).
 */
export interface CacheKey {
  /** Hex SHA-256 of the exact part. */
  readonly namespace: string;
  /** The last user message's text, as sent. */
  readonly query: string;
  /** Namespace plus whitespace-normalised query: identical requests share it (coalescing). */
  readonly identity: string;
}

/** Body fields that do not change the answer's content. */
export const TRANSPORT_ONLY_FIELDS: ReadonlySet<string> = new Set([
  'stream',
  'stream_options',
  'user',
  'metadata',
  'store',
  'safety_identifier',
  'prompt_cache_key',
  'service_tier',
]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSON with object keys sorted at every level, so equal values hash equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, child]) => child !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function isRecord(value: unknown): value is Record<string, Json> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Splits a user message's content into its text and its other parts (images, audio, files). */
function splitContent(content: unknown): { text: string; otherParts: unknown[] } | undefined {
  if (typeof content === 'string') return { text: content, otherParts: [] };
  if (!Array.isArray(content)) return undefined;
  const texts: string[] = [];
  const otherParts: unknown[] = [];
  for (const part of content) {
    if (isRecord(part) && part['type'] === 'text' && typeof part['text'] === 'string') texts.push(part['text']);
    else otherParts.push(part);
  }
  return { text: texts.join('\n'), otherParts };
}

/**
 * The cache key of a chat request body as it goes upstream, for the model routing chose;
 * undefined when the request is not cacheable (see {@link CacheKey}).
 */
export function cacheKeyOf(body: unknown, model: string): CacheKey | undefined {
  if (!isRecord(body)) return undefined;
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  const n = body['n'];
  if (typeof n === 'number' && n > 1) return undefined;
  const last = messages[messages.length - 1];
  if (!isRecord(last) || last['role'] !== 'user') return undefined;
  const content = splitContent(last['content']);
  if (content === undefined || content.text.trim() === '') return undefined;

  const parameters: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(body)) {
    if (field !== 'messages' && field !== 'model' && !TRANSPORT_ONLY_FIELDS.has(field)) parameters[field] = value;
  }
  const lastExtras = { ...last, content: content.otherParts };
  const exact = canonicalJson({ v: 1, model, parameters, history: messages.slice(0, -1), last: lastExtras });
  const namespace = createHash('sha256').update(exact).digest('hex');
  return { namespace, query: content.text, identity: `${namespace}\n${content.text.trim().replace(/\s+/g, ' ')}` };
}
