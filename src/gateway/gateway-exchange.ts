import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { translateErrorBody } from '../apis/api-errors.js';
import type { EnvoySettings } from '../config/runtime-config.js';
import type { ErrorCode } from '../errors.js';
import { errorFormatOfPath } from '../router/api-paths.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import { BodyCollector, type CollectedBody } from './body-collector.js';
import { readDownstreamHeaders, requestHasBody } from './downstream-request.js';
import { forwardBody } from './forward-body.js';
import type { ExtProcCounters } from './ext-proc-counters.js';
import { ExtProcSession, type PhaseOutcome, type TerminalOutcome } from './ext-proc-session.js';
import type { ExtProcTransport } from './ext-proc-transport.js';
import type { WireCommonResponse } from './ext-proc-wire.js';
import type { GatewayLogger } from './gateway-logger.js';
import { HeaderList } from './header-list.js';
import { applyHeaderMutation, HeaderMutationError } from './header-mutation-rules.js';
import { errorReply, immediateReply, type LocalReply } from './local-reply.js';
import type { RouteTable } from './route-table.js';
import { streamBodyThroughProcessor } from './streamed-body.js';
import { UpstreamCancel, UpstreamError, type UpstreamPool, type UpstreamResponse } from './upstream-pool.js';

/** What every exchange of one gateway shares. */
export interface ExchangeContext {
  readonly transport: ExtProcTransport;
  readonly settings: EnvoySettings;
  readonly counters: ExtProcCounters;
  readonly logger: GatewayLogger;
  readonly routes: RouteTable;
  readonly upstreams: UpstreamPool;
  readonly clusterHeader: string;
  readonly metrics: GatewayMetrics;
}

/** What a client reads when an upstream fails; the detail (addresses, socket errors) stays in the log. */
const UPSTREAM_FAILURE_MESSAGES: Partial<Record<ErrorCode, string>> = {
  SY_ERR_UPSTREAM_UNAVAILABLE: 'The model server is unavailable. Retry later.',
  SY_ERR_UPSTREAM_TIMEOUT: 'The model server did not answer in time.',
  SY_ERR_UPSTREAM_FAILED: 'The model server failed to answer.',
  SY_ERR_UPSTREAM_OVERLOADED: 'Too many requests to the model server right now. Retry later.',
};

type RequestBody = Buffer | Readable | null;

/** Which held headers a body reply may still mutate, and whether content-length was dropped. */
interface HeldHeaders {
  readonly headers: HeaderList;
  readonly held: boolean;
  readonly contentLengthRemoved: boolean;
}

const EMPTY = Buffer.alloc(0);

function isBuffering(mode: string): boolean {
  return mode === 'BUFFERED' || mode === 'BUFFERED_PARTIAL';
}

/** The body left after a reply: body_mutation replaces it, clear_body empties it. */
function mutatedBody(body: Buffer, response: WireCommonResponse | null): { body: Buffer; mutated: boolean } {
  const mutation = response?.body_mutation;
  if (mutation?.mutation === 'body') return { body: mutation.body ?? EMPTY, mutated: true };
  if (mutation?.mutation === 'clear_body') return { body: EMPTY, mutated: true };
  return { body, mutated: false };
}

/** Held chunks first, then whatever the source still has. */
function resumedStream(held: readonly Buffer[], rest: Readable): Readable {
  return Readable.from(
    (async function* remaining() {
      yield* held;
      for await (const chunk of rest) yield chunk as Buffer;
    })(),
  );
}

/** A router-generated reply (no route, unknown cluster, upstream failure) as if an upstream sent it. */
function localAsUpstream(reply: LocalReply): UpstreamResponse {
  const headers = reply.headers.clone();
  headers.set('content-length', String(reply.body.length));
  return { status: reply.status, headers, body: Readable.from([reply.body]) };
}

/**
 * One downstream HTTP request through the gateway, in Envoy's filter order: connection manager
 * (header normalisation, early removal of the routing header) → ext_proc decoder (request
 * headers, body per mode) → router (route re-selected if the cache was cleared, cluster_header,
 * upstream call) → ext_proc encoder (response headers, body per mode) → client.
 */
export class GatewayExchange {
  private readonly upstreamCancel = new UpstreamCancel();
  private readonly session: ExtProcSession;
  private readonly headers: HeaderList;
  /** The route cache's key: the headers when the route was first looked up (before ext_proc). */
  private readonly headersAtFirstRoute: HeaderList;
  private readonly requestId: string;
  private routeCacheCleared = false;
  private requestContentLengthRemoved = false;
  private finished = false;

  constructor(
    private readonly context: ExchangeContext,
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
  ) {
    this.headers = readDownstreamHeaders(request, context.clusterHeader);
    this.headersAtFirstRoute = this.headers.clone();
    this.requestId = this.headers.get('x-request-id') ?? '';
    this.session = new ExtProcSession({
      transport: context.transport,
      settings: context.settings,
      counters: context.counters,
      logger: context.logger,
      requestId: this.requestId,
      onTerminal: (outcome) => this.onTerminal(outcome),
    });
  }

  /** Serves the request to the end; never rejects for request-level failures. */
  async run(): Promise<void> {
    this.response.on('close', () => {
      if (!this.response.writableFinished) this.cancel();
    });
    try {
      const body = await this.processRequest();
      if (body === undefined || this.finished) return;
      const upstream = await this.forward(body);
      if (upstream === undefined || this.finished) return;
      await this.processResponse(upstream);
    } catch (error) {
      this.context.logger.error({ requestId: this.requestId, error: (error as Error).message }, 'gateway exchange failed');
      this.sendLocalReply(errorReply('SY_ERR_INTERNAL', 'internal gateway error', 'gateway_internal_error'));
    } finally {
      this.session.close();
      // An observer the body never reached (the exchange ended first) lets the sidecar log the request.
      this.session.takeResponseBodyObserver()?.abandon();
    }
  }

  /** Draining: the response, once written, ends its connection instead of keeping it alive. */
  closeConnectionAfterResponse(): void {
    if (!this.response.headersSent) this.response.shouldKeepAlive = false;
  }

  /** Client went away (or the gateway shuts down): cancel the upstream request and end the side stream, send nothing. */
  cancel(cause: 'client' | 'shutdown' = 'client'): void {
    if (this.finished) return;
    if (cause === 'client') this.context.metrics.clientCancelled();
    this.finished = true;
    this.upstreamCancel.cancel();
    this.session.abandon();
  }

  // ---- request path -------------------------------------------------------------------

  /** Runs the decoder side; resolves with the body to send upstream, or undefined when finished. */
  private async processRequest(): Promise<RequestBody | undefined> {
    const hasBody = requestHasBody(this.request);
    const initialMode = this.session.mode;
    let collector = hasBody && isBuffering(initialMode.requestBodyMode) ? this.collectRequestBody(initialMode.requestBodyMode) : undefined;
    const headersSent = initialMode.requestHeaderMode === 'SEND';
    if (headersSent) {
      const outcome = await this.session.send('request_headers', {
        request_headers: { headers: this.headers.toProto(), end_of_stream: !hasBody },
      });
      const reply = this.replyOf(outcome);
      if (reply === undefined) return undefined;
      if (!this.applyRequestHeaderMutation(reply)) return undefined;
      if (reply?.status === 'CONTINUE_AND_REPLACE') return this.replaceRequest(reply, collector);
    }
    if (!hasBody) return null;
    const bodyMode = this.session.active ? this.session.mode.requestBodyMode : 'NONE';
    if (isBuffering(bodyMode)) {
      collector ??= this.collectRequestBody(bodyMode);
      return this.processBufferedRequestBody(await collector.result, headersSent);
    }
    const held = collector?.detach() ?? [];
    if (bodyMode === 'STREAMED') return this.processStreamedRequestBody(held);
    return held.length > 0 ? resumedStream(held, this.request) : this.request;
  }

  private collectRequestBody(mode: string): BodyCollector {
    const collector = new BodyCollector(this.request, this.context.settings.bufferLimitBytes, mode === 'BUFFERED_PARTIAL');
    void collector.result.then((result) => {
      if (result.kind === 'overflow') {
        this.sendLocalReply(errorReply('SY_ERR_REQUEST_TOO_LARGE', 'request body exceeds the buffer limit', 'request_payload_too_large'));
      }
    });
    return collector;
  }

  private async processBufferedRequestBody(collected: CollectedBody, headersSent: boolean): Promise<RequestBody | undefined> {
    if (this.finished || collected.kind === 'overflow' || collected.kind === 'aborted') return undefined;
    if (!headersSent) {
      // Envoy drops content-length up front when it cannot hold the headers (header mode SKIP).
      this.headers.remove('content-length');
      this.requestContentLengthRemoved = true;
    }
    const partial = collected.kind === 'partial';
    const outcome = await this.session.send('request_body', { request_body: { body: collected.body, end_of_stream: !partial } });
    const reply = this.replyOf(outcome);
    if (reply === undefined) return undefined;
    const held: HeldHeaders = { headers: this.headers, held: headersSent, contentLengthRemoved: this.requestContentLengthRemoved };
    const body = this.applyBodyReply(reply, collected.body, held);
    if (body === undefined) return undefined;
    return partial ? resumedStream([body], this.request) : body;
  }

  private processStreamedRequestBody(held: readonly Buffer[]): Readable {
    this.headers.remove('content-length');
    this.requestContentLengthRemoved = true;
    const upstreamBody = new Readable({ read: () => undefined });
    const source = resumedStream(held.length > 0 ? [Buffer.concat(held)] : [], this.request);
    void streamBodyThroughProcessor(this.session, 'request_body', source, (chunk) => upstreamBody.push(chunk), () => this.finished)
      .then((ok) => {
        if (ok) upstreamBody.push(null);
        else upstreamBody.destroy();
      })
      .catch(() => upstreamBody.destroy());
    return upstreamBody;
  }

  /** CONTINUE_AND_REPLACE in the headers reply: the body (if given) replaces the original, no body message. */
  private replaceRequest(reply: WireCommonResponse, collector: BodyCollector | undefined): RequestBody {
    const held = collector?.detach() ?? [];
    const replaced = mutatedBody(EMPTY, reply);
    if (!replaced.mutated) return held.length > 0 ? resumedStream(held, this.request) : this.request;
    this.headers.remove('content-length');
    this.request.resume();
    return replaced.body;
  }

  /** Applies a request headers-reply mutation and notes route-cache clearing; false when the reply was rejected. */
  private applyRequestHeaderMutation(reply: WireCommonResponse | null): boolean {
    if (reply === null) return true;
    if (reply.header_mutation !== null) {
      const target = { headers: this.headers, contentLengthRemoved: this.requestContentLengthRemoved, counters: this.context.counters };
      if (!this.mutateOrFail(() => applyHeaderMutation(target, reply.header_mutation!))) return false;
    }
    this.noteRouteCacheClear(reply);
    return true;
  }

  /** §2.9: only a request-path reply that carries a header_mutation can clear the route cache. */
  private noteRouteCacheClear(reply: WireCommonResponse): void {
    const counters = this.context.counters;
    if (reply.header_mutation === null) {
      if (reply.clear_route_cache) counters.clear_route_cache_ignored += 1;
      return;
    }
    const action = this.context.settings.routeCacheAction;
    if (action === 'RETAIN') {
      if (reply.clear_route_cache) counters.clear_route_cache_disabled += 1;
      return;
    }
    if (action === 'CLEAR' || reply.clear_route_cache) this.routeCacheCleared = true;
  }

  /**
   * A BUFFERED body reply: header mutation on the held headers, then content-length must match a
   * mutated body (§2.8), then the body mutation. Undefined when the reply was rejected.
   */
  private applyBodyReply(reply: WireCommonResponse | null, body: Buffer, target: HeldHeaders): Buffer | undefined {
    if (reply === null) return body;
    if (reply.header_mutation !== null && target.held) {
      const mutationTarget = { headers: target.headers, contentLengthRemoved: target.contentLengthRemoved, counters: this.context.counters };
      if (!this.mutateOrFail(() => applyHeaderMutation(mutationTarget, reply.header_mutation!))) return undefined;
    }
    if (target.headers === this.headers) this.noteRouteCacheClear(reply);
    const result = mutatedBody(body, reply);
    const contentLength = target.headers.get('content-length');
    if (result.mutated && target.held && contentLength !== undefined && /^\d+$/.test(contentLength) && Number(contentLength) !== result.body.length) {
      const details = 'mismatch_between_content_length_and_the_length_of_the_mutated_body';
      this.sendLocalReply(errorReply('SY_ERR_EXTPROC_FAILED', 'content-length does not match the mutated body', details));
      return undefined;
    }
    return result.body;
  }

  private mutateOrFail(mutate: () => void): boolean {
    try {
      mutate();
      return true;
    } catch (error) {
      if (!(error instanceof HeaderMutationError)) throw error;
      this.sendLocalReply(errorReply('SY_ERR_EXTPROC_FAILED', 'ext_proc reply rejected', error.message.replace(/\s/g, '_')));
      return false;
    }
  }

  /** The CommonResponse to apply (null = none), or undefined when the exchange is over. */
  private replyOf(outcome: PhaseOutcome): WireCommonResponse | null | undefined {
    if (this.finished || outcome.kind === 'failed' || outcome.kind === 'immediate') return undefined;
    return outcome.kind === 'reply' ? outcome.response : null;
  }

  // ---- router ---------------------------------------------------------------------------

  private async forward(body: RequestBody): Promise<UpstreamResponse | undefined> {
    const route = this.context.routes.select(this.routeCacheCleared ? this.headers : this.headersAtFirstRoute);
    if (route.kind === 'local') {
      this.context.logger.debug({ requestId: this.requestId, details: route.reply.details }, 'router local reply');
      this.context.metrics.localReply(route.reply.status, route.reply.details);
      return localAsUpstream(this.inClientFormat(route.reply));
    }
    const clusterHeader = this.context.clusterHeader;
    const upstreamHeaders = this.headers.entries.filter((entry) => !entry.name.startsWith(':') && entry.name !== clusterHeader);
    try {
      return await this.context.upstreams.request(route.target, {
        method: this.headers.get(':method') ?? 'GET',
        path: this.headers.get(':path') ?? '/',
        headers: upstreamHeaders,
        body,
        cancel: this.upstreamCancel,
      });
    } catch (error) {
      if (this.finished) return undefined;
      if (!(error instanceof UpstreamError)) throw error;
      const errorId = randomUUID();
      this.context.logger.warn({ requestId: this.requestId, errorId, cluster: route.clusterName, error: error.message }, 'upstream request failed');
      this.context.metrics.upstreamFailure(error.kind);
      const message = `${UPSTREAM_FAILURE_MESSAGES[error.code] ?? 'The model server failed to answer.'} (error id ${errorId})`;
      const reply = errorReply(error.code, message, `upstream_${error.kind}`);
      // Envoy marks a circuit-breaker refusal with x-envoy-overloaded (suppressed by the rendered
      // router's suppress_envoy_headers); the gateway says it under its own name.
      if (error.kind === 'overflow') reply.headers.set('x-switchyard-overloaded', 'true');
      this.context.metrics.localReply(reply.status, reply.details);
      return localAsUpstream(this.inClientFormat(reply));
    }
  }

  // ---- response path --------------------------------------------------------------------

  private async processResponse(upstream: UpstreamResponse): Promise<void> {
    const headers = new HeaderList([{ name: ':status', value: String(upstream.status) }, ...upstream.headers.entries]);
    const noBody =
      upstream.status === 204 || upstream.status === 304 || this.headers.get(':method') === 'HEAD' || headers.get('content-length') === '0';
    const headersSent = this.session.active && this.session.mode.responseHeaderMode === 'SEND';
    if (headersSent) {
      const outcome = await this.session.send('response_headers', { response_headers: { headers: headers.toProto(), end_of_stream: noBody } });
      const reply = this.replyOf(outcome);
      if (reply === undefined) {
        upstream.body.destroy();
        return;
      }
      const mutation = reply?.header_mutation ?? null;
      if (mutation !== null) {
        const target = { headers, contentLengthRemoved: false, counters: this.context.counters };
        if (!this.mutateOrFail(() => applyHeaderMutation(target, mutation))) {
          upstream.body.destroy();
          return;
        }
      }
    }
    const bodyMode = noBody || !this.session.active ? 'NONE' : this.session.mode.responseBodyMode;
    if (bodyMode === 'STREAMED') return this.streamResponseBody(headers, upstream.body);
    if (isBuffering(bodyMode)) return this.bufferResponseBody(headers, upstream.body, headersSent, bodyMode);
    // A co-located sidecar that left the body here (NONE) for accounting alone reads it on the way.
    const observer = this.session.takeResponseBodyObserver();
    this.session.close();
    if (observer?.rewrites === true) headers.remove('content-length');
    this.writeHead(headers);
    try {
      await forwardBody(upstream.body, this.response, observer);
    } catch (error) {
      this.onResponseStreamError(error);
    }
  }

  private async streamResponseBody(headers: HeaderList, body: Readable): Promise<void> {
    headers.remove('content-length');
    this.writeHead(headers);
    try {
      const ok = await streamBodyThroughProcessor(this.session, 'response_body', body, (chunk) => this.response.write(chunk), () => this.finished);
      if (!ok || this.finished) return;
      this.session.close();
      this.response.end();
    } catch (error) {
      this.onResponseStreamError(error);
    }
  }

  private async bufferResponseBody(headers: HeaderList, body: Readable, headersSent: boolean, mode: string): Promise<void> {
    const collected = await new BodyCollector(body, this.context.settings.bufferLimitBytes, mode === 'BUFFERED_PARTIAL').result;
    if (this.finished) return;
    if (collected.kind === 'overflow' || collected.kind === 'aborted') {
      body.destroy();
      if (collected.kind === 'aborted') this.context.metrics.upstreamFailure('reset_mid_stream');
      const details = collected.kind === 'overflow' ? 'response_payload_too_large' : 'upstream_reset_before_response_complete';
      this.sendLocalReply(errorReply(collected.kind === 'overflow' ? 'SY_ERR_INTERNAL' : 'SY_ERR_UPSTREAM_FAILED', 'upstream response could not be buffered', details));
      return;
    }
    const partial = collected.kind === 'partial';
    if (partial) headers.remove('content-length');
    const outcome = await this.session.send('response_body', { response_body: { body: collected.body, end_of_stream: !partial } });
    const reply = this.replyOf(outcome);
    if (reply === undefined) return;
    const out = this.applyBodyReply(reply, collected.body, { headers, held: headersSent, contentLengthRemoved: partial });
    if (out === undefined) return;
    if (!partial) this.session.close();
    this.writeHead(headers);
    if (!partial) {
      this.response.end(out);
      return;
    }
    this.response.write(out);
    try {
      await forwardBody(body, this.response);
    } catch (error) {
      this.onResponseStreamError(error);
    }
  }

  private writeHead(headers: HeaderList): void {
    const status = Number(headers.get(':status') ?? '200');
    this.response.writeHead(status, headers.regularFlat());
  }

  /** The upstream failed after the response started: nothing can be said any more, reset (§2.10). */
  private onResponseStreamError(error: unknown): void {
    if (this.finished) return;
    this.context.logger.warn({ requestId: this.requestId, error: (error as Error).message }, 'response stream failed');
    this.context.metrics.upstreamFailure('reset_mid_stream');
    this.finished = true;
    this.upstreamCancel.cancel();
    this.session.close();
    this.response.destroy();
  }

  // ---- local replies --------------------------------------------------------------------

  /** A reply the gateway makes, in Anthropic's error format on an Anthropic path (OpenAI's is the default). */
  private inClientFormat(reply: LocalReply): LocalReply {
    if (reply.status < 400 || errorFormatOfPath(this.headers.get(':path') ?? '/') !== 'messages') return reply;
    return { ...reply, body: translateErrorBody('messages', reply.status, reply.body) };
  }

  private onTerminal(outcome: TerminalOutcome): void {
    if (outcome.kind === 'immediate') {
      this.sendLocalReply(immediateReply(outcome.reply, this.context.counters, this.context.logger), 'ext_proc');
      return;
    }
    const message = outcome.code === 'SY_ERR_EXTPROC_TIMEOUT' ? 'ext_proc message timeout' : 'ext_proc processing failed';
    this.sendLocalReply(errorReply(outcome.code, message, outcome.details));
  }

  /**
   * Envoy's sendLocalReply: ends processing and the upstream call; a started response is reset.
   * Replies the gateway makes itself are counted; an ImmediateResponse is the sidecar's to count.
   */
  private sendLocalReply(made: LocalReply, origin: 'gateway' | 'ext_proc' = 'gateway'): void {
    if (this.finished) return;
    // An ImmediateResponse is already in the client's format (the sidecar's doing).
    const reply = origin === 'gateway' ? this.inClientFormat(made) : made;
    if (origin === 'gateway') this.context.metrics.localReply(reply.status, reply.details);
    this.finished = true;
    this.upstreamCancel.cancel();
    this.session.close();
    this.context.logger.debug({ requestId: this.requestId, status: reply.status, details: reply.details }, 'local reply');
    if (this.response.headersSent) {
      this.response.destroy();
      return;
    }
    const headers = reply.headers.regularFlat();
    headers.push('content-length', String(reply.body.length));
    // An unread request body would otherwise be drained from the client after the reply.
    if (!this.request.complete) headers.push('connection', 'close');
    this.response.writeHead(reply.status, headers);
    this.response.end(reply.body);
  }
}
