import { RouterError } from '../errors.js';
import { copyFields, isRecord, parseArguments, recordsOf, stringOf, type JsonObject } from './wire-json.js';

/** The Messages API version Switchyard speaks to Anthropic backends when the client named none. */
export const ANTHROPIC_VERSION = '2023-06-01';
/** Anthropic requires `max_tokens`; a chat request may omit it. Athena uses the same default. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

/** Thinking budget (tokens) per reasoning effort, for a routed reasoning request to a Claude model. */
const THINKING_BUDGET: Readonly<Record<string, number>> = { minimal: 1024, low: 2048, medium: 8192, high: 16384 };

function invalid(param: string, expected: string): RouterError {
  return new RouterError('SY_ERR_REQUEST_INVALID_FIELD', `'${param}' must be ${expected}`, { param });
}

// ---- OpenAI chat → Anthropic Messages (a chat client, an `api_format: anthropic` model) ----------------

/** An image part's URL as an Anthropic image source: a data URL becomes base64, anything else stays a URL. */
function imageSource(url: string): JsonObject {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return match === null ? { type: 'url', url } : { type: 'base64', media_type: match[1], data: match[2] };
}

function textOfChatContent(content: unknown): string {
  if (typeof content === 'string') return content;
  return recordsOf(content)
    .flatMap((part) => (part.type === 'text' && typeof part.text === 'string' ? [part.text] : []))
    .join('\n');
}

function blocksOfChatContent(content: unknown): JsonObject[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return recordsOf(content).flatMap((part): JsonObject[] => {
    if (part.type === 'text' && typeof part.text === 'string') return [{ type: 'text', text: part.text }];
    const image = isRecord(part.image_url) ? part.image_url.url : part.image_url;
    if (part.type === 'image_url' && typeof image === 'string') return [{ type: 'image', source: imageSource(image) }];
    return [];
  });
}

/** Appends blocks as a turn of `role`, merged into the previous turn when it has the same role (Anthropic alternates). */
function appendTurn(turns: JsonObject[], role: 'user' | 'assistant', blocks: JsonObject[]): void {
  if (blocks.length === 0) return;
  const last = turns.at(-1);
  if (last?.role === role) (last.content as JsonObject[]).push(...blocks);
  else turns.push({ role, content: blocks });
}

function toolChoiceToAnthropic(choice: unknown, parallel: unknown): JsonObject | undefined {
  let converted: JsonObject | undefined;
  if (choice === 'auto') converted = { type: 'auto' };
  else if (choice === 'required') converted = { type: 'any' };
  else if (choice === 'none') converted = { type: 'none' };
  else if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') converted = { type: 'tool', name: choice.function.name };
  if (parallel === false) return { ...(converted ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return converted;
}

/**
 * A chat completion request as an Anthropic Messages request: system and developer messages
 * become `system`, content parts become blocks (image URLs included), tool calls become
 * `tool_use` blocks and tool messages `tool_result` blocks, `stop` becomes `stop_sequences`, and
 * a `reasoning_effort` (what routing set for reasoning) becomes `thinking` with a budget.
 */
export function anthropicRequestFromChat(chat: JsonObject): JsonObject {
  const system: string[] = [];
  const turns: JsonObject[] = [];
  for (const message of recordsOf(chat.messages)) {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(textOfChatContent(message.content));
        break;
      case 'user':
        appendTurn(turns, 'user', blocksOfChatContent(message.content));
        break;
      case 'assistant': {
        const toolUses = recordsOf(message.tool_calls).map((call) => {
          const fn = isRecord(call.function) ? call.function : {};
          return { type: 'tool_use', id: call.id, name: fn.name, input: parseArguments(fn.arguments) };
        });
        appendTurn(turns, 'assistant', [...blocksOfChatContent(message.content), ...toolUses]);
        break;
      }
      case 'tool':
        appendTurn(turns, 'user', [{ type: 'tool_result', tool_use_id: message.tool_call_id, content: textOfChatContent(message.content) }]);
        break;
      default:
        throw invalid('messages[].role', 'one of system, developer, user, assistant or tool for an Anthropic model');
    }
  }
  const out: JsonObject = { model: chat.model, max_tokens: chat.max_completion_tokens ?? chat.max_tokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS, messages: turns };
  if (system.length > 0) out.system = system.join('\n\n');
  copyFields(chat, out, { temperature: 'temperature', top_p: 'top_p', stream: 'stream' });
  if (chat.stop !== undefined && chat.stop !== null) out.stop_sequences = Array.isArray(chat.stop) ? chat.stop : [chat.stop];
  const tools = recordsOf(chat.tools).flatMap((tool) => {
    const fn = isRecord(tool.function) ? tool.function : undefined;
    if (tool.type !== 'function' || fn === undefined) return [];
    return [{ name: fn.name, ...(fn.description === undefined ? {} : { description: fn.description }), input_schema: fn.parameters ?? { type: 'object', properties: {} } }];
  });
  if (tools.length > 0) out.tools = tools;
  const toolChoice = toolChoiceToAnthropic(chat.tool_choice, chat.parallel_tool_calls);
  if (toolChoice !== undefined && (tools.length > 0 || toolChoice.type === 'none')) out.tool_choice = toolChoice;
  if (typeof chat.user === 'string') out.metadata = { user_id: chat.user };
  return withThinking(out, chat.reasoning_effort);
}

/**
 * A Messages request with thinking on, its budget taken from a reasoning effort (what routing
 * chose); an unknown or absent effort leaves the request as it is.
 */
export function withThinking(request: JsonObject, effort: unknown): JsonObject {
  const budget = typeof effort === 'string' ? THINKING_BUDGET[effort] : undefined;
  if (budget === undefined) return request;
  const out: JsonObject = { ...request, thinking: { type: 'enabled', budget_tokens: budget } };
  // The answer's own budget comes on top of the thinking budget, which must stay below max_tokens.
  if (typeof out.max_tokens === 'number' && out.max_tokens <= budget) out.max_tokens = budget + out.max_tokens;
  // Anthropic refuses a temperature or top_p other than the default with thinking on.
  delete out.temperature;
  delete out.top_p;
  return out;
}

// ---- Anthropic Messages → OpenAI chat (a Claude client, an OpenAI-compatible model) ----------------

function chatImagePart(source: JsonObject): JsonObject | undefined {
  if (source.type === 'url' && typeof source.url === 'string') return { type: 'image_url', image_url: { url: source.url } };
  if (source.type === 'base64' && typeof source.data === 'string') {
    return { type: 'image_url', image_url: { url: `data:${stringOf(source.media_type) ?? 'image/png'};base64,${source.data}` } };
  }
  return undefined;
}

function anthropicBlocks(content: unknown, param: string): JsonObject[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalid(param, 'a string or an array of content blocks');
  return content.map((block: unknown, index) => {
    if (!isRecord(block) || typeof block.type !== 'string') throw invalid(`${param}[${index}]`, 'a content block with a type');
    return block;
  });
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  return recordsOf(content)
    .flatMap((block) => (block.type === 'text' && typeof block.text === 'string' ? [block.text] : []))
    .join('\n');
}

/** One Anthropic turn as chat messages: tool results become tool messages, placed before the rest of a user turn. */
function chatMessagesOfTurn(turn: JsonObject, index: number): JsonObject[] {
  const param = `messages[${index}]`;
  if (turn.role !== 'user' && turn.role !== 'assistant') throw invalid(`${param}.role`, '"user" or "assistant"');
  const blocks = anthropicBlocks(turn.content, `${param}.content`);
  if (turn.role === 'assistant') {
    const text = blocks.flatMap((block) => (block.type === 'text' && typeof block.text === 'string' ? [block.text] : [])).join('');
    const calls = blocks
      .filter((block) => block.type === 'tool_use')
      .map((block) => ({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } }));
    return [{ role: 'assistant', content: text === '' && calls.length > 0 ? null : text, ...(calls.length > 0 ? { tool_calls: calls } : {}) }];
  }
  const toolMessages = blocks
    .filter((block) => block.type === 'tool_result')
    .map((block) => ({ role: 'tool', tool_call_id: block.tool_use_id, content: `${block.is_error === true ? 'Error: ' : ''}${toolResultText(block.content)}` }));
  const parts = blocks.flatMap((block): JsonObject[] => {
    if (block.type === 'text' && typeof block.text === 'string') return [{ type: 'text', text: block.text }];
    if (block.type === 'image' && isRecord(block.source)) return [chatImagePart(block.source) ?? []].flat();
    return [];
  });
  const only = parts.length === 1 ? parts[0] : undefined;
  const content = only?.type === 'text' ? only.text : parts;
  return parts.length === 0 ? toolMessages : [...toolMessages, { role: 'user', content }];
}

function toolChoiceToChat(choice: unknown): unknown {
  if (!isRecord(choice)) return undefined;
  if (choice.type === 'any') return 'required';
  if (choice.type === 'tool' && typeof choice.name === 'string') return { type: 'function', function: { name: choice.name } };
  return choice.type === 'none' ? 'none' : choice.type === 'auto' ? 'auto' : undefined;
}

/**
 * An Anthropic Messages request as a chat completion request, for routing (signals read its
 * messages) and for an OpenAI-compatible backend. Thinking becomes a reasoning effort. Throws a
 * RouterError (400) for a body that is not a Messages request.
 */
export function chatRequestFromAnthropic(request: JsonObject): JsonObject {
  if (typeof request.model !== 'string') throw new RouterError('SY_ERR_REQUEST_MISSING_FIELD', "'model' is required and must be a string", { param: 'model' });
  if (typeof request.max_tokens !== 'number') throw new RouterError('SY_ERR_REQUEST_MISSING_FIELD', "'max_tokens' is required and must be a number", { param: 'max_tokens' });
  if (!Array.isArray(request.messages) || request.messages.length === 0) throw invalid('messages', 'a non-empty array');
  const messages: JsonObject[] = [];
  if (request.system !== undefined) {
    const system = typeof request.system === 'string' ? request.system : toolResultText(anthropicBlocks(request.system, 'system'));
    messages.push({ role: 'system', content: system });
  }
  request.messages.forEach((turn: unknown, index) => {
    if (!isRecord(turn)) throw invalid(`messages[${index}]`, 'an object');
    messages.push(...chatMessagesOfTurn(turn, index));
  });
  const chat: JsonObject = { model: request.model, messages, max_tokens: request.max_tokens };
  copyFields(request, chat, { temperature: 'temperature', top_p: 'top_p', stop_sequences: 'stop' });
  if (request.stream === true) chat.stream_options = { include_usage: true };
  if (request.stream !== undefined) chat.stream = request.stream;
  const tools = recordsOf(request.tools).filter((tool) => typeof tool.name === 'string' && tool.input_schema !== undefined);
  if (tools.length > 0) {
    chat.tools = tools.map((tool) => ({ type: 'function', function: { name: tool.name, ...(tool.description === undefined ? {} : { description: tool.description }), parameters: tool.input_schema } }));
  }
  const toolChoice = toolChoiceToChat(request.tool_choice);
  if (toolChoice !== undefined) chat.tool_choice = toolChoice;
  if (isRecord(request.tool_choice) && request.tool_choice.disable_parallel_tool_use === true) chat.parallel_tool_calls = false;
  if (isRecord(request.metadata) && typeof request.metadata.user_id === 'string') chat.user = request.metadata.user_id;
  if (isRecord(request.thinking) && request.thinking.type === 'enabled') {
    const budget = typeof request.thinking.budget_tokens === 'number' ? request.thinking.budget_tokens : 0;
    chat.reasoning_effort = budget > THINKING_BUDGET.medium! ? 'high' : budget > THINKING_BUDGET.low! ? 'medium' : 'low';
  }
  return chat;
}
