import { randomUUID } from 'node:crypto';
import { RouterError } from '../errors.js';
import { copyFields, isRecord, recordsOf, type JsonObject } from './wire-json.js';

function invalid(param: string, expected: string): RouterError {
  return new RouterError('SY_ERR_REQUEST_INVALID_FIELD', `'${param}' must be ${expected}`, { param });
}

/**
 * A request's `input` as Responses API items, each with an id (what `GET /v1/responses/{id}/input_items`
 * lists): a string is one user message. Throws a RouterError (400) for anything else.
 */
export function inputItemsOf(request: JsonObject): JsonObject[] {
  const input = request.input;
  if (input === undefined) throw new RouterError('SY_ERR_REQUEST_MISSING_FIELD', "'input' is required", { param: 'input' });
  if (typeof input === 'string') return [{ id: `msg_${randomUUID()}`, type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  if (!Array.isArray(input)) throw invalid('input', 'a string or an array of input items');
  return input.map((item: unknown, index) => {
    if (!isRecord(item)) throw invalid(`input[${index}]`, 'an object');
    const type = item.type ?? 'message';
    if (type === 'message' && typeof item.role !== 'string') throw invalid(`input[${index}].role`, 'a string');
    return { id: typeof item.id === 'string' ? item.id : `${type === 'message' ? 'msg' : 'item'}_${randomUUID()}`, ...item, type };
  });
}

function chatContent(content: unknown): unknown {
  if (typeof content === 'string') return content;
  const parts = recordsOf(content).flatMap((part): JsonObject[] => {
    if ((part.type === 'input_text' || part.type === 'output_text' || part.type === 'text') && typeof part.text === 'string') return [{ type: 'text', text: part.text }];
    if (part.type === 'input_image' && typeof part.image_url === 'string') {
      return [{ type: 'image_url', image_url: { url: part.image_url, ...(part.detail === undefined ? {} : { detail: part.detail }) } }];
    }
    return [];
  });
  const only = parts.length === 1 ? parts[0] : undefined;
  return only?.type === 'text' ? only.text : parts;
}

/** Responses items (history first, then this request's input) as chat messages. */
function chatMessagesOfItems(items: readonly JsonObject[]): JsonObject[] {
  const messages: JsonObject[] = [];
  for (const item of items) {
    if (item.type === 'message') {
      messages.push({ role: item.role, content: chatContent(item.content) });
    } else if (item.type === 'function_call') {
      const call = { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments ?? '{}' } };
      const last = messages.at(-1);
      // Parallel calls are consecutive items in the Responses API and one assistant message in chat.
      if (last?.role === 'assistant' && Array.isArray(last.tool_calls) && (last.content === null || last.content === '')) (last.tool_calls as JsonObject[]).push(call);
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (item.type === 'function_call_output') {
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: typeof item.output === 'string' ? item.output : JSON.stringify(item.output) });
    }
    // Reasoning items and hosted-tool items have no chat form; a chat backend never produced them.
  }
  return messages;
}

function chatTools(tools: unknown): JsonObject[] | undefined {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) throw invalid('tools', 'an array');
  return tools.map((tool: unknown, index) => {
    if (!isRecord(tool) || tool.type !== 'function') throw invalid(`tools[${index}].type`, '"function" for a model that speaks only chat completions');
    const fn: JsonObject = { name: tool.name, parameters: tool.parameters ?? { type: 'object', properties: {} } };
    copyFields(tool, fn, { description: 'description', strict: 'strict' });
    return { type: 'function', function: fn };
  });
}

function chatResponseFormat(text: unknown): JsonObject | undefined {
  const format = isRecord(text) && isRecord(text.format) ? text.format : undefined;
  if (format?.type === 'json_object') return { type: 'json_object' };
  if (format?.type !== 'json_schema') return undefined;
  const schema: JsonObject = { name: format.name, schema: format.schema };
  copyFields(format, schema, { strict: 'strict', description: 'description' });
  return { type: 'json_schema', json_schema: schema };
}

/**
 * A Responses API request as a chat completion request: `instructions` become the system
 * message, `history` (the stored turns `previous_response_id` points at) and `input` become the
 * messages, function tools and structured output keep their meaning, `reasoning.effort` becomes
 * `reasoning_effort`. Throws a RouterError (400) for what chat cannot express.
 */
export function chatRequestFromResponses(request: JsonObject, history: readonly JsonObject[]): JsonObject {
  if (typeof request.model !== 'string') throw new RouterError('SY_ERR_REQUEST_MISSING_FIELD', "'model' is required and must be a string", { param: 'model' });
  const messages = chatMessagesOfItems([...history, ...inputItemsOf(request)]);
  if (typeof request.instructions === 'string' && request.instructions !== '') messages.unshift({ role: 'system', content: request.instructions });
  if (messages.length === 0) throw invalid('input', 'a non-empty list of messages');
  const chat: JsonObject = { model: request.model, messages };
  copyFields(request, chat, { max_output_tokens: 'max_tokens', temperature: 'temperature', top_p: 'top_p', parallel_tool_calls: 'parallel_tool_calls', user: 'user', stream: 'stream' });
  if (request.stream === true) chat.stream_options = { include_usage: true };
  const tools = chatTools(request.tools);
  if (tools !== undefined && tools.length > 0) chat.tools = tools;
  const choice = request.tool_choice;
  if (typeof choice === 'string') chat.tool_choice = choice;
  else if (isRecord(choice) && choice.type === 'function') chat.tool_choice = { type: 'function', function: { name: choice.name } };
  const format = chatResponseFormat(request.text);
  if (format !== undefined) chat.response_format = format;
  if (isRecord(request.reasoning) && typeof request.reasoning.effort === 'string') chat.reasoning_effort = request.reasoning.effort;
  return chat;
}
