import { randomUUID } from 'node:crypto';
import { isRecord, numberOf, parseArguments, recordsOf, stringOf, type JsonObject } from './wire-json.js';

const FINISH_OF_STOP_REASON: Readonly<Record<string, string>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

const STOP_REASON_OF_FINISH: Readonly<Record<string, string>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

/** An Anthropic `stop_reason` as a chat `finish_reason`. */
export function finishReasonOf(stopReason: unknown): string | null {
  return typeof stopReason === 'string' ? (FINISH_OF_STOP_REASON[stopReason] ?? 'stop') : null;
}

/** A chat `finish_reason` as an Anthropic `stop_reason`. */
export function stopReasonOf(finishReason: unknown): string | null {
  return typeof finishReason === 'string' ? (STOP_REASON_OF_FINISH[finishReason] ?? 'end_turn') : null;
}

/** Anthropic usage as chat usage: cache reads and writes are prompt tokens too. */
export function chatUsageOf(usage: unknown): JsonObject | undefined {
  if (!isRecord(usage)) return undefined;
  const cached = numberOf(usage.cache_read_input_tokens) ?? 0;
  const prompt = (numberOf(usage.input_tokens) ?? 0) + cached + (numberOf(usage.cache_creation_input_tokens) ?? 0);
  const completion = numberOf(usage.output_tokens) ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, ...(cached > 0 ? { prompt_tokens_details: { cached_tokens: cached } } : {}) };
}

/** Chat usage as Anthropic usage. */
export function anthropicUsageOf(usage: unknown): JsonObject {
  const record = isRecord(usage) ? usage : {};
  return { input_tokens: numberOf(record.prompt_tokens) ?? 0, output_tokens: numberOf(record.completion_tokens) ?? 0 };
}

/** An Anthropic message (the non-streamed answer) as a chat completion. */
export function chatCompletionFromAnthropic(message: JsonObject): JsonObject {
  const blocks = recordsOf(message.content);
  const text = blocks.flatMap((block) => (block.type === 'text' && typeof block.text === 'string' ? [block.text] : [])).join('');
  const thinking = blocks.flatMap((block) => (block.type === 'thinking' && typeof block.thinking === 'string' ? [block.thinking] : [])).join('');
  const calls = blocks
    .filter((block) => block.type === 'tool_use')
    .map((block) => ({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } }));
  const reply: JsonObject = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text };
  if (thinking !== '') reply.reasoning_content = thinking;
  if (calls.length > 0) reply.tool_calls = calls;
  const usage = chatUsageOf(message.usage);
  return {
    id: stringOf(message.id) ?? `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: message.model,
    choices: [{ index: 0, message: reply, finish_reason: finishReasonOf(message.stop_reason) ?? 'stop' }],
    ...(usage === undefined ? {} : { usage }),
  };
}

/** A chat completion (the non-streamed answer) as an Anthropic message. */
export function anthropicMessageFromChat(completion: JsonObject): JsonObject {
  const choice = recordsOf(completion.choices)[0] ?? {};
  const message = isRecord(choice.message) ? choice.message : {};
  const content: JsonObject[] = [];
  if (typeof message.content === 'string' && message.content !== '') content.push({ type: 'text', text: message.content });
  for (const call of recordsOf(message.tool_calls)) {
    const fn = isRecord(call.function) ? call.function : {};
    content.push({ type: 'tool_use', id: call.id, name: fn.name, input: parseArguments(fn.arguments) });
  }
  return {
    id: `msg_${stringOf(completion.id) ?? randomUUID()}`,
    type: 'message',
    role: 'assistant',
    model: completion.model,
    content,
    stop_reason: stopReasonOf(choice.finish_reason) ?? 'end_turn',
    stop_sequence: null,
    usage: anthropicUsageOf(completion.usage),
  };
}
