import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { openAIErrorBody } from '../errors.js';
import { namedEvent, sendJson, writeEventStream } from './event-stream-writer.js';
import { countWords, promptWords, stubAnswerText, type StubChatRequest } from './stub-answer.js';
import { pieces, requiredToolName } from './stub-tools.js';

/** The part of a Responses API request the stub reads. */
interface ResponsesRequest {
  readonly model?: unknown;
  readonly input?: unknown;
  readonly instructions?: unknown;
  readonly stream?: unknown;
  readonly previous_response_id?: unknown;
  readonly reasoning?: { readonly effort?: unknown } | null;
  readonly tools?: readonly { readonly name?: unknown }[];
  readonly tool_choice?: unknown;
}

interface Item {
  readonly type?: unknown;
  readonly role?: unknown;
  readonly content?: unknown;
  readonly output?: unknown;
}

function itemText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as { type?: unknown; text?: unknown }[]).map((part) => (typeof part?.text === 'string' ? part.text : '')).join('');
}

/** The request as chat messages for the stub's answer text. */
function asChat(request: ResponsesRequest): StubChatRequest {
  const messages: { role: string; content: string }[] = [];
  if (typeof request.instructions === 'string') messages.push({ role: 'system', content: request.instructions });
  const items: Item[] = typeof request.input === 'string' ? [{ type: 'message', role: 'user', content: request.input }] : Array.isArray(request.input) ? (request.input as Item[]) : [];
  for (const item of items) {
    if (item.type === 'function_call_output') messages.push({ role: 'tool', content: typeof item.output === 'string' ? item.output : JSON.stringify(item.output) });
    else if ((item.type ?? 'message') === 'message') messages.push({ role: String(item.role), content: itemText(item.content) });
  }
  return { model: request.model, messages, ...(request.reasoning?.effort === undefined ? {} : { reasoning_effort: request.reasoning.effort }) };
}

/**
 * POST /v1/responses as OpenAI answers it: a response object, or the typed event stream
 * (response.created … response.output_text.delta … response.completed with usage). The stub
 * keeps no store, so a `previous_response_id` is always "not found": a router in front must
 * spell the conversation out.
 */
export async function answerResponses(stubModel: string, body: string, response: http.ServerResponse, intervalMs: number | undefined, signal: AbortSignal): Promise<void> {
  let parsed: ResponsesRequest;
  try {
    parsed = JSON.parse(body) as ResponsesRequest;
  } catch {
    return sendJson(response, 400, openAIErrorBody('SY_ERR_REQUEST_INVALID_JSON', 'request body is not valid JSON'));
  }
  if (typeof parsed.previous_response_id === 'string') {
    return sendJson(response, 400, openAIErrorBody('SY_ERR_REQUEST_INVALID_FIELD', `Previous response with id '${parsed.previous_response_id}' not found.`, 'previous_response_id'));
  }
  if (parsed.input === undefined) return sendJson(response, 400, openAIErrorBody('SY_ERR_REQUEST_MISSING_FIELD', "Missing required parameter: 'input'.", 'input'));
  const chat = asChat(parsed);
  const text = stubAnswerText(stubModel, chat);
  const toolNames = (parsed.tools ?? []).flatMap((tool) => (typeof tool?.name === 'string' ? [tool.name] : []));
  const last = (chat.messages as { role: string; content: string }[]).at(-1);
  const toolName = last?.role === 'user' ? requiredToolName(toolNames, parsed.tool_choice) : undefined;
  const usage = { input_tokens: promptWords(chat), input_tokens_details: { cached_tokens: 0 }, output_tokens: countWords(text), output_tokens_details: { reasoning_tokens: 0 }, total_tokens: promptWords(chat) + countWords(text) };
  const id = `resp_${randomUUID().replaceAll('-', '')}`;
  const itemId = `${toolName === undefined ? 'msg' : 'fc'}_${randomUUID().replaceAll('-', '')}`;
  const model = typeof parsed.model === 'string' ? parsed.model : stubModel;
  const args = JSON.stringify({ text: last?.content ?? '' });
  const callId = `call_${randomUUID().replaceAll('-', '')}`;
  const item = (status: string, full: boolean): object =>
    toolName === undefined
      ? { id: itemId, type: 'message', status, role: 'assistant', content: full ? [{ type: 'output_text', text, annotations: [] }] : [] }
      : { id: itemId, type: 'function_call', status, call_id: callId, name: toolName, arguments: full ? args : '' };
  const shell = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), error: null, incomplete_details: null, instructions: parsed.instructions ?? null, model, previous_response_id: null };
  const completed = { ...shell, status: 'completed', output: [item('completed', true)], usage };
  if (parsed.stream !== true) return sendJson(response, 200, completed);
  let sequence = 0;
  const event = (type: string, fields: object): string => namedEvent(type, { type, sequence_number: sequence++, ...fields });
  const inProgress = { ...shell, status: 'in_progress', output: [], usage: null };
  const frames = [event('response.created', { response: inProgress }), event('response.in_progress', { response: inProgress }), event('response.output_item.added', { output_index: 0, item: item('in_progress', false) })];
  if (toolName === undefined) {
    const at = { item_id: itemId, output_index: 0, content_index: 0 };
    frames.push(event('response.content_part.added', { ...at, part: { type: 'output_text', text: '', annotations: [] } }));
    for (const piece of pieces(text, 4)) frames.push(event('response.output_text.delta', { ...at, delta: piece, logprobs: [] }));
    frames.push(event('response.output_text.done', { ...at, text, logprobs: [] }), event('response.content_part.done', { ...at, part: { type: 'output_text', text, annotations: [] } }));
  } else {
    for (const piece of pieces(args, 3)) frames.push(event('response.function_call_arguments.delta', { item_id: itemId, output_index: 0, delta: piece }));
    frames.push(event('response.function_call_arguments.done', { item_id: itemId, output_index: 0, arguments: args }));
  }
  frames.push(event('response.output_item.done', { output_index: 0, item: completed.output[0] }), event('response.completed', { response: completed }));
  await writeEventStream(response, frames, intervalMs, signal);
}
