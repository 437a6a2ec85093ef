import { RouterError } from '../errors.js';
import type { ConversationMessage, RequestView } from '../signals/signal.js';
import { jsonSyntaxErrorOffset } from './json-syntax-error.js';

/** A validated OpenAI chat completion request. */
export interface ChatRequest {
  /** The parsed body; fields the router does not know are kept as sent. */
  readonly json: Readonly<Record<string, unknown>>;
  readonly model: string;
  readonly stream: boolean;
  readonly view: RequestView;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function invalid(param: string, expected: string, value: unknown): RouterError {
  return new RouterError('SY_ERR_REQUEST_INVALID_FIELD', `'${param}' must be ${expected}, got ${describe(value)}`, { param });
}

/**
 * Deepest nesting of arrays and objects a request body may have. Real requests (tool schemas
 * included) stay far below it; much deeper JSON overflows the stack of the body rewrite
 * (JSON.stringify recurses), so it is refused as malformed instead.
 */
export const MAX_JSON_DEPTH = 128;

/** Whether a parsed value nests arrays and objects deeper than `limit`; iterative, stops at the first too-deep value. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    const offset = jsonSyntaxErrorOffset(text);
    const where = offset === undefined ? '' : ` at position ${offset}`;
    throw new RouterError(
      'SY_ERR_REQUEST_INVALID_JSON',
      `request body is not valid JSON${where}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** The text of a message's `content`: a string, text parts joined with "\n", or "" for null/absent. */
function contentText(content: unknown, param: string): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content)) throw invalid(param, 'a string, an array of content parts or null', content);
  const texts: string[] = [];
  content.forEach((part: unknown, index) => {
    const partParam = `${param}[${index}]`;
    if (!isRecord(part)) throw invalid(partParam, 'an object', part);
    if (typeof part.type !== 'string') throw invalid(`${partParam}.type`, 'a string', part.type);
    // Non-text parts (image_url, input_audio, file…) pass through; signals read text only.
    if (part.type !== 'text') return;
    if (typeof part.text !== 'string') throw invalid(`${partParam}.text`, 'a string', part.text);
    texts.push(part.text);
  });
  return texts.join('\n');
}

function parseMessages(messages: unknown): ConversationMessage[] {
  if (messages === undefined) {
    throw new RouterError('SY_ERR_REQUEST_MISSING_FIELD', "'messages' is required", { param: 'messages' });
  }
  if (!Array.isArray(messages)) throw invalid('messages', 'an array', messages);
  if (messages.length === 0) {
    throw new RouterError('SY_ERR_REQUEST_INVALID_FIELD', "'messages' must not be empty", { param: 'messages' });
  }
  return messages.map((message: unknown, index) => {
    const param = `messages[${index}]`;
    if (!isRecord(message)) throw invalid(param, 'an object', message);
    if (typeof message.role !== 'string') throw invalid(`${param}.role`, 'a string', message.role);
    return { role: message.role, text: contentText(message.content, `${param}.content`) };
  });
}

/**
 * Parses and checks a chat completion body and builds the view signals read. Throws a
 * RouterError (400) naming the offending field in `param`.
 */
export function parseChatRequest(body: Buffer, headers: ReadonlyMap<string, string>): ChatRequest {
  const json = parseJson(body);
  if (nestsDeeperThan(json, MAX_JSON_DEPTH)) {
    throw new RouterError('SY_ERR_REQUEST_INVALID_JSON', `request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`);
  }
  if (!isRecord(json)) {
    throw new RouterError('SY_ERR_REQUEST_INVALID_FIELD', `request body must be a JSON object, got ${describe(json)}`);
  }
  if (json.model === undefined) {
    throw new RouterError('SY_ERR_REQUEST_MISSING_FIELD', "'model' is required", { param: 'model' });
  }
  if (typeof json.model !== 'string') throw invalid('model', 'a string', json.model);
  if (json.stream !== undefined && json.stream !== null && typeof json.stream !== 'boolean') throw invalid('stream', 'a boolean', json.stream);
  const messages = parseMessages(json.messages);
  const lastUser = messages.findLast((message) => message.role === 'user');
  return {
    json,
    model: json.model,
    stream: json.stream === true,
    view: { lastUserText: lastUser?.text ?? '', messages, headers },
  };
}
