import type { CachedCompletion, CompletionUsage } from './cached-completion.js';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function usageOf(value: unknown): CompletionUsage | undefined {
  if (!isObject(value)) return undefined;
  const { prompt_tokens, completion_tokens, total_tokens } = value;
  if (typeof prompt_tokens !== 'number' || typeof completion_tokens !== 'number' || typeof total_tokens !== 'number') return undefined;
  return { prompt_tokens, completion_tokens, total_tokens };
}

function completion(model: unknown, content: string, usage: unknown, fingerprint: unknown): CachedCompletion | undefined {
  if (typeof model !== 'string') return undefined;
  const parsedUsage = usageOf(usage);
  return {
    model,
    content,
    ...(parsedUsage === undefined ? {} : { usage: parsedUsage }),
    ...(typeof fingerprint === 'string' ? { systemFingerprint: fingerprint } : {}),
  };
}

/** A buffered `chat.completion`: one choice, a plain assistant text, `finish_reason: "stop"`. */
export function completionFromJson(body: string): CachedCompletion | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isObject(json) || !Array.isArray(json['choices']) || json['choices'].length !== 1) return undefined;
  const choice: unknown = json['choices'][0];
  if (!isObject(choice) || choice['finish_reason'] !== 'stop' || !isObject(choice['message'])) return undefined;
  const message = choice['message'];
  if (typeof message['content'] !== 'string' || message['tool_calls'] !== undefined || message['function_call'] !== undefined) return undefined;
  return completion(json['model'], message['content'], json['usage'], json['system_fingerprint']);
}

/**
 * A streamed answer reassembled from its SSE deltas: cacheable only when it ends with
 * `data: [DONE]`, has a single choice whose last chunk says `finish_reason: "stop"`, carries
 * no tool calls and no error event.
 */
export function completionFromEventStream(body: string): CachedCompletion | undefined {
  let model: unknown;
  let usage: unknown;
  let fingerprint: unknown;
  let finishReason: unknown = null;
  let done = false;
  const content: string[] = [];
  for (const rawLine of body.split(/\r?\n/)) {
    if (!rawLine.startsWith('data:')) continue;
    const data = rawLine.slice(5).trim();
    if (done) return undefined;
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return undefined;
    }
    if (!isObject(chunk) || chunk['error'] !== undefined) return undefined;
    model ??= chunk['model'];
    fingerprint ??= chunk['system_fingerprint'];
    if (chunk['usage'] !== undefined && chunk['usage'] !== null) usage = chunk['usage'];
    const choices = chunk['choices'];
    if (!Array.isArray(choices)) continue;
    for (const choice of choices) {
      if (!isObject(choice) || choice['index'] !== 0) return undefined;
      const delta = choice['delta'];
      if (isObject(delta)) {
        if (delta['tool_calls'] !== undefined || delta['function_call'] !== undefined) return undefined;
        if (typeof delta['content'] === 'string') content.push(delta['content']);
      }
      if (choice['finish_reason'] !== null && choice['finish_reason'] !== undefined) finishReason = choice['finish_reason'];
    }
  }
  if (!done || finishReason !== 'stop') return undefined;
  return completion(model, content.join(''), usage, fingerprint);
}
