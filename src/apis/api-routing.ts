import type { ModelEndpoint, ModelTarget, RuntimeConfig } from '../config/runtime-config.js';
import { RouterError } from '../errors.js';
import { parseJson } from '../router/chat-request.js';
import { errorReply } from '../router/error-reply.js';
import { OFF_LOOP_JSON_BYTES, stringifyJsonOffLoop } from '../router/json-worker.js';
import type { routeChatCompletion } from '../router/route-request.js';
import type { HeaderEdit, ImmediateReply, RoutedRequest, RouteResult } from '../router/route-result.js';
import { upstreamPath } from '../router/upstream-path.js';
import { ANTHROPIC_VERSION, anthropicRequestFromChat, chatRequestFromAnthropic, withThinking } from './anthropic-request.js';
import { translateErrorBody } from './api-errors.js';
import type { ClientApi, UpstreamApiFormat } from './api-format.js';
import { answerTranslator, type AnswerTranslation } from './response-translator.js';
import { ResponsesRecorder } from './responses-recorder.js';
import { chatRequestFromResponses, inputItemsOf } from './responses-request.js';
import { responseShellOf } from './responses-response.js';
import { conversationBefore, type ResponsesStore } from './responses-store.js';
import { isRecord, type JsonObject } from './wire-json.js';

type Header = readonly [name: string, value: string];

/** What routing one request of any API produced: the routed (or answered) request and how its answer is handled. */
export interface ApiRouting {
  readonly result: RouteResult;
  /** Set when the backend answers in another format than the client reads. */
  readonly answer?: AnswerTranslation;
  /** Set for a Responses API request whose answer is stored. */
  readonly recorder?: ResponsesRecorder;
}

export interface ApiRoutingContext {
  readonly config: RuntimeConfig;
  readonly route: typeof routeChatCompletion;
  readonly abort: AbortSignal;
  /** The Responses API store; without one, `previous_response_id` is refused and nothing is stored. */
  readonly store?: ResponsesStore;
  readonly onStoreError: (error: unknown) => void;
}

/** The upstream path of each backend format, in its `/v1` form. */
const UPSTREAM_API_PATH = { chat: '/v1/chat/completions', responses: '/v1/responses', messages: '/v1/messages' } as const;

function apiFormatOf(target: ModelTarget | undefined): UpstreamApiFormat {
  return target?.apiFormat ?? 'openai';
}

async function serialize(json: JsonObject): Promise<Buffer> {
  const text = JSON.stringify(json);
  return text.length > OFF_LOOP_JSON_BYTES ? stringifyJsonOffLoop(json) : Buffer.from(text);
}

async function parseObject(body: Buffer): Promise<JsonObject> {
  const json = await parseJson(body);
  if (!isRecord(json)) throw new RouterError('SY_ERR_REQUEST_INVALID_FIELD', 'request body must be a JSON object');
  return json;
}

/** The endpoint the router picked, found by the cluster it named. */
function chosenEndpoint(config: RuntimeConfig, target: ModelTarget, set: readonly Header[]): ModelEndpoint | undefined {
  const cluster = set.find(([name]) => name === config.router.clusterHeader)?.[1];
  return target.endpoints.find((endpoint) => endpoint.cluster === cluster);
}

/**
 * The routed request's header edit for a backend of `format` at `api`: the path of that API,
 * the new content-length, and credentials in the backend's form (`x-api-key` and
 * `anthropic-version` for Anthropic, a Bearer token otherwise). A configured key is already in
 * the edit as a Bearer token; without one, the client's own credential is carried over.
 */
function headersFor(config: RuntimeConfig, routed: RoutedRequest, target: ModelTarget, clientHeaders: ReadonlyMap<string, string>, api: keyof typeof UPSTREAM_API_PATH, bodyLength: number): HeaderEdit {
  const endpoint = chosenEndpoint(config, target, routed.requestHeaders.set);
  const bearer = routed.requestHeaders.set.find(([name]) => name === 'authorization')?.[1];
  const set: Header[] = routed.requestHeaders.set.filter(([name]) => name !== 'content-length' && name !== ':path' && name !== 'authorization');
  const remove = [...routed.requestHeaders.remove];
  set.push(['content-length', String(bodyLength)], [':path', upstreamPath(endpoint?.pathPrefix ?? '', UPSTREAM_API_PATH[api])]);
  const clientKey = clientHeaders.get('x-api-key');
  const clientBearer = clientHeaders.get('authorization');
  if (api === 'messages') {
    const key = bearer?.replace(/^Bearer /, '') ?? clientKey ?? clientBearer?.replace(/^Bearer /i, '');
    if (key !== undefined) set.push(['x-api-key', key]);
    remove.push('authorization');
    if (!clientHeaders.has('anthropic-version')) set.push(['anthropic-version', ANTHROPIC_VERSION]);
    return { set, remove };
  }
  if (bearer !== undefined) set.push(['authorization', bearer]);
  else if (clientBearer === undefined && clientKey !== undefined) set.push(['authorization', `Bearer ${clientKey}`]);
  remove.push('x-api-key', 'anthropic-version', 'anthropic-beta');
  return { set, remove };
}

function withBody(routed: RoutedRequest, body: Buffer, requestHeaders: HeaderEdit): RoutedRequest {
  // A cached answer is a chat completion, and a stored one is written from a chat answer: the
  // semantic cache serves chat clients of chat backends only.
  const { cache: _cache, ...rest } = routed;
  return { ...rest, body, requestHeaders };
}

/**
 * A reply Switchyard makes itself (an error, a block, a fast or cached answer, all chat-shaped)
 * in the client's format.
 */
function immediateFor(api: ClientApi, reply: ImmediateReply, translation: AnswerTranslation, limit: number): ImmediateReply {
  if (api === 'chat') return reply;
  const contentType = reply.headers.find(([name]) => name === 'content-type')?.[1] ?? 'application/json';
  const headers = reply.headers.filter(([name]) => name !== 'content-length');
  if (reply.status < 200 || reply.status > 299) return { ...reply, headers, body: translateErrorBody(api, reply.status, reply.body) };
  const translator = answerTranslator(translation, reply.status, contentType, limit);
  return { ...reply, headers, body: Buffer.concat([translator.push(reply.body), translator.end()]) };
}

/** The routed chat body, parsed again: plug-ins and reasoning may have rewritten it. */
async function routedChat(routed: RoutedRequest): Promise<JsonObject> {
  return parseObject(routed.body);
}

function sameConversation(before: JsonObject, after: JsonObject): boolean {
  return JSON.stringify(before.messages) === JSON.stringify(after.messages);
}

/** Whether routing turned reasoning off for this request (the effort then means nothing to a Claude model). */
function reasoningOff(routed: RoutedRequest): boolean {
  return routed.responseHeaders.some(([name, value]) => name === 'x-vsr-selected-reasoning' && value === 'off');
}

async function toAnthropic(context: ApiRoutingContext, routed: RoutedRequest, target: ModelTarget, headers: ReadonlyMap<string, string>, chat: JsonObject): Promise<RoutedRequest> {
  const request = reasoningOff(routed) ? { ...chat, reasoning_effort: undefined } : chat;
  const body = await serialize(anthropicRequestFromChat(request));
  return withBody(routed, body, headersFor(context.config, routed, target, headers, 'messages', body.length));
}

async function routeChat(context: ApiRoutingContext, body: Buffer, headers: ReadonlyMap<string, string>): Promise<ApiRouting> {
  const result = await context.route(context.config, body, headers, context.abort);
  if (result.kind !== 'routed') return { result };
  const target = context.config.models.get(result.trace.model);
  if (apiFormatOf(target) !== 'anthropic') return { result };
  const chat = await routedChat(result);
  const options = chat.stream_options;
  const answer: AnswerTranslation = { from: 'anthropic', to: 'chat', includeUsage: isRecord(options) && options.include_usage === true };
  return { result: await toAnthropic(context, result, target!, headers, chat), answer };
}

async function routeMessages(context: ApiRoutingContext, body: Buffer, headers: ReadonlyMap<string, string>): Promise<ApiRouting> {
  const request = await parseObject(body);
  const chat = chatRequestFromAnthropic(request);
  const answer: AnswerTranslation = { from: 'chat', to: 'messages', includeUsage: true };
  const result = await context.route(context.config, await serialize(chat), headers, context.abort);
  if (result.kind !== 'routed') return { result: result.kind === 'immediate' ? immediateFor('messages', result, answer, context.config.envoy.bufferLimitBytes) : result };
  const target = context.config.models.get(result.trace.model)!;
  const routed = await routedChat(result);
  if (apiFormatOf(target) === 'anthropic') {
    // A Claude backend gets the client's own request (model routed), unless plug-ins rewrote the conversation.
    if (!sameConversation(chat, routed)) return { result: await toAnthropic(context, result, target, headers, routed) };
    const { thinking, ...rest } = request;
    // Routing decides reasoning for a routed request: off drops the client's thinking, on sets its budget.
    const own = await serialize(reasoningOff(result) ? { ...rest, model: routed.model } : withThinking({ ...rest, model: routed.model, ...(thinking === undefined ? {} : { thinking }) }, thinking === undefined ? routed.reasoning_effort : undefined));
    return { result: withBody(result, own, headersFor(context.config, result, target, headers, 'messages', own.length)) };
  }
  return { result: withBody(result, result.body, headersFor(context.config, result, target, headers, 'chat', result.body.length)), answer };
}

async function routeResponses(context: ApiRoutingContext, body: Buffer, headers: ReadonlyMap<string, string>): Promise<ApiRouting> {
  const request = await parseObject(body);
  const previousId = typeof request.previous_response_id === 'string' ? request.previous_response_id : null;
  let history: JsonObject[] = [];
  if (previousId !== null) {
    const found = context.store === undefined ? undefined : await conversationBefore(context.store, previousId);
    if (found === undefined) throw new RouterError('SY_ERR_REQUEST_INVALID_FIELD', `Previous response with id '${previousId}' not found.`, { param: 'previous_response_id' });
    history = found;
  }
  const inputItems = inputItemsOf(request);
  const chat = chatRequestFromResponses({ ...request, input: inputItems }, history);
  const answer: AnswerTranslation = { from: 'chat', to: 'responses', includeUsage: true, shell: responseShellOf(request) };
  const limit = context.config.envoy.bufferLimitBytes;
  const recorder =
    context.store === undefined || request.store === false ? undefined : new ResponsesRecorder(context.store, inputItems, previousId, limit, context.onStoreError);
  const result = await context.route(context.config, await serialize(chat), headers, context.abort);
  if (result.kind !== 'routed') {
    if (result.kind !== 'immediate') return { result };
    const reply = immediateFor('responses', result, answer, limit);
    if (recorder !== undefined) {
      recorder.start(reply.status, reply.headers.find(([name]) => name === 'content-type')?.[1] ?? '');
      recorder.observe(reply.body);
      await recorder.finish();
    }
    return { result: reply };
  }
  const target = context.config.models.get(result.trace.model)!;
  const routed = await routedChat(result);
  const format = apiFormatOf(target);
  if (format === 'anthropic') return { result: await toAnthropic(context, result, target, headers, routed), answer: { ...answer, from: 'anthropic' }, ...(recorder === undefined ? {} : { recorder }) };
  if (format === 'openai_responses' && sameConversation(chat, routed)) {
    // The backend speaks the API: the client's request goes as is, with the routed model and
    // effort, and the stored conversation spelled out (the backend never saw those turns).
    const { previous_response_id: _previous, ...own } = request;
    const effort = routed.reasoning_effort;
    const reasoning = typeof effort === 'string' ? { ...(isRecord(request.reasoning) ? request.reasoning : {}), effort } : request.reasoning;
    const native = await serialize({ ...own, model: routed.model, input: [...history, ...inputItems], ...(reasoning === undefined ? {} : { reasoning }) });
    return { result: withBody(result, native, headersFor(context.config, result, target, headers, 'responses', native.length)), ...(recorder === undefined ? {} : { recorder }) };
  }
  return { result: withBody(result, result.body, headersFor(context.config, result, target, headers, 'chat', result.body.length)), answer, ...(recorder === undefined ? {} : { recorder }) };
}

/**
 * Routes one request of any served API by the same signals and decisions: a Responses or
 * Messages request is read as the chat request it means, routed, and sent to the chosen model in
 * that model's `api_format` (as is when the formats agree). Client errors come back as a reply
 * in the client's format; anything else is thrown for the transport to answer.
 */
export async function routeApiRequest(api: ClientApi, context: ApiRoutingContext, body: Buffer, headers: ReadonlyMap<string, string>): Promise<ApiRouting> {
  try {
    if (api === 'chat') return await routeChat(context, body, headers);
    return api === 'messages' ? await routeMessages(context, body, headers) : await routeResponses(context, body, headers);
  } catch (error) {
    if (!(error instanceof RouterError)) throw error;
    const reply = errorReply(error);
    return { result: api === 'chat' ? reply : { ...reply, body: translateErrorBody(api, reply.status, reply.body) } };
  }
}
