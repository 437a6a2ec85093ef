import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { namedEvent, sendJson, writeEventStream } from './event-stream-writer.js';
import { countWords, promptWords, stubAnswerText, type StubChatRequest } from './stub-answer.js';
import { pieces, requiredToolName } from './stub-tools.js';

/** The part of an Anthropic Messages request the stub reads. */
interface MessagesRequest {
  readonly model?: unknown;
  readonly max_tokens?: unknown;
  readonly system?: unknown;
  readonly messages?: unknown;
  readonly stream?: unknown;
  readonly tools?: readonly { readonly name?: unknown }[];
  readonly tool_choice?: unknown;
  readonly thinking?: unknown;
}

interface Block {
  readonly type?: unknown;
  readonly text?: unknown;
  readonly content?: unknown;
}

function anthropicError(response: http.ServerResponse, status: number, type: string, message: string): void {
  sendJson(response, status, { type: 'error', error: { type, message } });
}

function blockText(blocks: unknown): string {
  if (typeof blocks === 'string') return blocks;
  return Array.isArray(blocks) ? (blocks as Block[]).map((block) => (block?.type === 'text' && typeof block.text === 'string' ? block.text : '')).join('') : '';
}

/**
 * The request seen as chat messages for the stub's answer text: system first, a turn's
 * tool_result blocks as tool messages, its text as the turn's content.
 */
function asChat(request: MessagesRequest): StubChatRequest {
  const messages: { role: string; content: string }[] = [];
  if (request.system !== undefined) messages.push({ role: 'system', content: blockText(request.system) });
  for (const turn of Array.isArray(request.messages) ? (request.messages as { role?: unknown; content?: unknown }[]) : []) {
    const blocks = Array.isArray(turn.content) ? (turn.content as Block[]) : [];
    for (const block of blocks) if (block?.type === 'tool_result') messages.push({ role: 'tool', content: blockText(block.content) });
    const text = blockText(turn.content);
    if (text !== '' || blocks.length === 0) messages.push({ role: String(turn.role), content: text });
  }
  return { model: request.model, messages };
}

/**
 * POST /v1/messages as Anthropic answers it: `x-api-key` and `anthropic-version` required,
 * `max_tokens` required, a message object or the named-event stream (message_start,
 * content_block_start/delta/stop, message_delta with the stop reason and usage, message_stop).
 */
export async function answerAnthropicMessages(
  stubModel: string,
  request: http.IncomingMessage,
  body: string,
  response: http.ServerResponse,
  intervalMs: number | undefined,
  signal: AbortSignal,
): Promise<void> {
  if (request.headers['x-api-key'] === undefined) return anthropicError(response, 401, 'authentication_error', 'x-api-key header is required');
  if (request.headers['anthropic-version'] === undefined) return anthropicError(response, 400, 'invalid_request_error', 'anthropic-version header is required');
  let parsed: MessagesRequest;
  try {
    parsed = JSON.parse(body) as MessagesRequest;
  } catch {
    return anthropicError(response, 400, 'invalid_request_error', 'request body is not valid JSON');
  }
  if (typeof parsed.max_tokens !== 'number') return anthropicError(response, 400, 'invalid_request_error', 'max_tokens: Field required');
  if (!Array.isArray(parsed.messages) || parsed.messages.length === 0) return anthropicError(response, 400, 'invalid_request_error', 'messages: Field required');
  const chat = asChat(parsed);
  const text = `${stubAnswerText(stubModel, chat)}\nthinking: ${parsed.thinking === undefined ? 'none' : JSON.stringify(parsed.thinking)}`;
  const toolNames = (parsed.tools ?? []).flatMap((tool) => (typeof tool?.name === 'string' ? [tool.name] : []));
  const lastTurnIsUserText = chat.messages !== undefined && (chat.messages as { role: string }[]).at(-1)?.role === 'user';
  const toolName = lastTurnIsUserText ? requiredToolName(toolNames, parsed.tool_choice) : undefined;
  const lastUser = [...((chat.messages as { role: string; content: string }[]) ?? [])].reverse().find((message) => message.role === 'user')?.content ?? '';
  const toolInput = { text: lastUser };
  const usage = { input_tokens: promptWords(chat), output_tokens: countWords(text) };
  const id = `msg_${randomUUID().replaceAll('-', '')}`;
  const toolId = `toolu_${randomUUID().replaceAll('-', '')}`;
  const model = typeof parsed.model === 'string' ? parsed.model : stubModel;
  const stopReason = toolName === undefined ? 'end_turn' : 'tool_use';
  if (parsed.stream !== true) {
    const content = toolName === undefined ? [{ type: 'text', text }] : [{ type: 'tool_use', id: toolId, name: toolName, input: toolInput }];
    return sendJson(response, 200, { id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, usage });
  }
  const frames = [
    namedEvent('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: usage.input_tokens, output_tokens: 1 } } }),
    namedEvent('ping', { type: 'ping' }),
  ];
  if (toolName === undefined) {
    frames.push(namedEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
    for (const piece of pieces(text, 4)) frames.push(namedEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } }));
  } else {
    frames.push(namedEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: toolId, name: toolName, input: {} } }));
    for (const piece of pieces(JSON.stringify(toolInput), 3)) frames.push(namedEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: piece } }));
  }
  frames.push(
    namedEvent('content_block_stop', { type: 'content_block_stop', index: 0 }),
    namedEvent('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }),
    namedEvent('message_stop', { type: 'message_stop' }),
  );
  await writeEventStream(response, frames, intervalMs, signal);
}
