import type { CachedCompletion } from '../cache/cached-completion.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import type { ImmediateReply, RoutedRequest } from '../router/route-result.js';
import { avoidedRequestCost, failedRequestCost, responseTimings, upstreamRequestCost, type RequestCost, type ResponseTimings } from './request-accounting.js';
import { ResponseUsageMeter } from './response-usage.js';
import { contentChars, estimatePromptTokens, tokensForChars } from './token-estimate.js';

/** What a request's accounting adds to its log line. */
export type RequestAccountingFields = Partial<RequestCost> & Partial<ResponseTimings>;

/**
 * The accounting of one request, fed by the sidecar's stream processor phase by phase: the routed
 * request, the response headers and body chunks (only while accounting is on), or the answer the
 * sidecar gave itself. Holds no clock: the processor passes `performance.now()` readings.
 */
export class RequestMeter {
  private routed: RoutedRequest | undefined;
  private requestBody: Buffer | undefined;
  private sentAt: number | undefined;
  private meter: ResponseUsageMeter | undefined;
  private avoided: RequestCost | undefined;

  constructor(private readonly config: RuntimeConfig) {}

  /** Whether response bodies are read for usage (`observability.accounting`). */
  get reading(): boolean {
    return this.config.observability?.accounting === true;
  }

  /** The request left for its upstream at `sentAt`. */
  sent(routed: RoutedRequest, requestBody: Buffer, sentAt: number): void {
    this.routed = routed;
    this.requestBody = requestBody;
    this.sentAt = sentAt;
  }

  /** The response headers came; true when the body must be read for accounting. */
  responseStarted(status: number, eventStream: boolean, endOfStream: boolean): boolean {
    if (!this.reading || this.routed === undefined || endOfStream || status < 200 || status > 299) return false;
    this.meter = new ResponseUsageMeter(eventStream, this.routed.includeUsageAdded === true);
    return true;
  }

  /** Whether responseChunk() may replace a chunk (so the body's content-length cannot stand). */
  get rewritesResponse(): boolean {
    return this.meter?.rewrites === true;
  }

  /** One response body chunk; returns what the client gets instead when it differs. */
  responseChunk(body: Buffer, now: number, endOfStream: boolean): Buffer | undefined {
    return this.meter?.chunk(body, now, endOfStream);
  }

  /** Answered from the semantic cache: the baseline cost of the prompt and the cached answer was avoided. */
  cacheHit(model: string, requestBody: Buffer, completion: CachedCompletion): void {
    const usage = completion.usage;
    this.avoided = avoidedRequestCost(this.config, 'cache', model, {
      promptTokens: usage?.prompt_tokens ?? estimatePromptTokens(requestBody),
      completionTokens: usage?.completion_tokens ?? tokensForChars(contentChars(JSON.stringify({ content: completion.content }))),
      estimated: usage === undefined,
    });
  }

  /** The sidecar answered by itself: a block or fast response avoided the baseline cost of its prompt; an error is an error. */
  immediate(reply: ImmediateReply, requestBody: Buffer | undefined): void {
    const trace = reply.trace;
    if (trace === undefined) {
      if (reply.status >= 400) this.avoided = failedRequestCost(this.config, null, reply.details);
      return;
    }
    const path = trace.blocked ? 'blocked' : reply.details === 'fast_response' ? 'fast_response' : undefined;
    if (path === undefined) {
      this.avoided = failedRequestCost(this.config, trace.model, reply.details);
      return;
    }
    const promptTokens = requestBody === undefined ? 0 : estimatePromptTokens(requestBody);
    this.avoided = avoidedRequestCost(this.config, path, trace.model, { promptTokens, completionTokens: 0, estimated: true }, trace.blocked ? reply.details : null);
  }

  /** The fields for the log line once the stream ended; `status` is what the client got (null: it never got one). */
  fields(status: number | null): RequestAccountingFields {
    if (this.avoided !== undefined) return this.avoided;
    const routed = this.routed;
    if (routed === undefined) return {};
    const observation = this.meter?.observation();
    // Only an observed answer without usage is estimated: without an observation (accounting off) the figure would be thrown away.
    const estimate = observation !== undefined && observation.usage === undefined && this.requestBody !== undefined ? estimatePromptTokens(this.requestBody) : 0;
    const cost = upstreamRequestCost(this.config, routed.trace.model, status, observation, estimate);
    if (cost === undefined) return {};
    return { ...cost, ...responseTimings(observation, this.sentAt, cost.completionTokens) };
  }
}
