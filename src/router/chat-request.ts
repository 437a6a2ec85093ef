import { RouterError } from '../errors.js';
import type { ConversationMessage, RequestView } from '../signals/signal.js';
import { jsonSyntaxErrorOffset } from './json-syntax-error.js';
import { nestsDeeperThan, OFF_LOOP_JSON_BYTES, OffLoopJsonError, parseCompactJsonOffLoop, parseJsonOffLoop, type CompactJson, type SampledConversation } from './json-worker.js';
import type { LongStrings } from './long-strings.js';

/** A validated OpenAI chat completion request. */
export interface ChatRequest {
  /** The parsed body; fields the router does not know are kept as sent. */
  readonly json: Readonly<Record<string, unknown>>;
  readonly model: string;
  readonly stream: boolean;
  readonly view: RequestView;
  /**
   * Set when the body had strings too long to bring onto the event loop: `json` holds
   * placeholders for them, and JSON written from it goes through `longStrings.splice`.
   */
  readonly longStrings?: LongStrings;
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

function invalidJson(detail: string, cause: unknown): RouterError {
  return new RouterError('SY_ERR_REQUEST_INVALID_JSON', `request body is not valid JSON${detail}`, { cause });
}

function tooDeep(): RouterError {
  return new RouterError('SY_ERR_REQUEST_INVALID_JSON', `request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`);
}

/** The RouterError for a parse the JSON worker refused. */
function refusal(error: unknown): unknown {
  if (!(error instanceof OffLoopJsonError)) return error;
  if (error.tooDeep) return tooDeep();
  if (error.refused) return new RouterError('SY_ERR_REQUEST_INVALID_JSON', `request body ${error.message}`);
  return invalidJson(`: ${error.message}`, error);
}

/** The parsed body, checked for depth before it is parsed; a large body is parsed on the JSON worker, off the event loop. */
export async function parseJson(body: Buffer): Promise<unknown> {
  if (body.length > OFF_LOOP_JSON_BYTES) return parseJsonOffLoop(body, MAX_JSON_DEPTH).catch((error: unknown) => Promise.reject(refusal(error)));
  return parseJsonOnLoop(body);
}

/** {@link parseJson} keeping a large body's long strings off the event loop (see parseCompactJsonOffLoop). */
async function parseCompactJson(body: Buffer): Promise<CompactJson> {
  if (body.length > OFF_LOOP_JSON_BYTES) return parseCompactJsonOffLoop(body, MAX_JSON_DEPTH).catch((error: unknown) => Promise.reject(refusal(error)));
  return { value: parseJsonOnLoop(body) };
}

function parseJsonOnLoop(body: Buffer): unknown {
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) throw tooDeep();
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const offset = jsonSyntaxErrorOffset(text);
    throw invalidJson(`${offset === undefined ? '' : ` at position ${offset}`}: ${(error as Error).message}`, error);
  }
  return json;
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

/** The view of a conversation the JSON worker sampled: the widest budget's samples, and each budget's for the pipeline. */
function sampledView(sampled: SampledConversation, headers: ReadonlyMap<string, string>): RequestView {
  const presampled = new Map(sampled.views.map(([budget, view]): [number, RequestView] => [budget, { ...view, headers }]));
  const widest = presampled.get(Math.max(...presampled.keys()))!;
  return { ...widest, conversationBytes: sampled.conversationBytes, presampled };
}

/**
 * Parses and checks a chat completion body and builds the view signals read. Throws a
 * RouterError (400) naming the offending field in `param`.
 */
export async function parseChatRequest(body: Buffer, headers: ReadonlyMap<string, string>): Promise<ChatRequest> {
  const { value: json, longStrings, sampled } = await parseCompactJson(body);
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
    // A sampled conversation's texts above are placeholders: signals read the worker's samples.
    view: sampled === undefined ? { lastUserText: lastUser?.text ?? '', messages, headers } : sampledView(sampled, headers),
    ...(longStrings === undefined ? {} : { longStrings }),
  };
}
