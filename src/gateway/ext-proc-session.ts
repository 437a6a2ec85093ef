import { status as GrpcStatus } from '@grpc/grpc-js';
import type { EnvoySettings, ProcessingModeSettings } from '../config/runtime-config.js';
import type { ProcessingRequest, ProcessingRequestKind } from '../extproc/ext-proc-messages.js';
import type { ResponseBodyObserver } from '../extproc/response-body-observer.js';
import type { ExtProcCounters } from './ext-proc-counters.js';
import type { ExtProcClientCall, ExtProcStreamListener, ExtProcTransport } from './ext-proc-transport.js';
import type { WireCommonResponse, WireImmediateResponse, WireProcessingResponse } from './ext-proc-wire.js';
import type { GatewayLogger } from './gateway-logger.js';
import { applyModeOverride } from './processing-mode.js';

/** Ends the request with a local reply: an ImmediateResponse, or an ext_proc failure (§2.10). */
export type TerminalOutcome =
  | { readonly kind: 'immediate'; readonly reply: WireImmediateResponse }
  | { readonly kind: 'failed'; readonly code: 'SY_ERR_EXTPROC_FAILED' | 'SY_ERR_EXTPROC_TIMEOUT'; readonly details: string };

/** What became of one message sent to the processor. */
export type PhaseOutcome =
  /** The matching reply; apply its CommonResponse (null = no change). */
  | { readonly kind: 'reply'; readonly response: WireCommonResponse | null }
  /** The processor is out of the picture (OK close, fail-open): continue unmodified. */
  | { readonly kind: 'passthrough' }
  | TerminalOutcome;

type Direction = 'request' | 'response';

interface Outstanding {
  readonly kind: ProcessingRequestKind;
  readonly resolve: (outcome: PhaseOutcome) => void;
  timer: NodeJS.Timeout;
  timeoutOverridden: boolean;
}

export interface ExtProcSessionOptions {
  readonly transport: ExtProcTransport;
  readonly settings: EnvoySettings;
  readonly counters: ExtProcCounters;
  readonly logger: GatewayLogger;
  readonly requestId: string;
  /** Called once when the processor ends the request (also for failures while nothing is outstanding). */
  readonly onTerminal: (outcome: TerminalOutcome) => void;
}

const REMOTE_CLOSE_TIMEOUT_MS = 1000;

const PASSTHROUGH: PhaseOutcome = { kind: 'passthrough' };

function directionOf(kind: ProcessingRequestKind): Direction {
  return kind.startsWith('request') ? 'request' : 'response';
}

/**
 * One ext_proc side stream, as Envoy's filter runs it for one HTTP request (§2.20): opened on the
 * first message, one reply expected per message and matched by type within its direction
 * (response-body chunks pipelined in order), one message timer each, mode_override and
 * override_message_timeout handling, and every failure routed through the §2.10 table.
 */
export class ExtProcSession implements ExtProcStreamListener {
  private call: ExtProcClientCall | undefined;
  private ended = false;
  private linger: NodeJS.Timeout | undefined;
  private complete = false;
  private readonly outstanding: Record<Direction, Outstanding[]> = { request: [], response: [] };
  private currentMode: ProcessingModeSettings;

  constructor(private readonly options: ExtProcSessionOptions) {
    this.currentMode = options.settings.processingMode;
  }

  /** The effective processing mode (the configured one, changed by an accepted mode_override). */
  get mode(): ProcessingModeSettings {
    return this.currentMode;
  }

  /** False once processing is complete: nothing more will be sent on this stream. */
  get active(): boolean {
    return !this.complete;
  }

  /** The observer the sidecar handed over with its response-headers reply, once; undefined when none (always over gRPC). */
  takeResponseBodyObserver(): ResponseBodyObserver | undefined {
    return this.call?.takeResponseBodyObserver?.();
  }

  /** Sends one message and resolves with what became of it. */
  send(kind: ProcessingRequestKind, message: ProcessingRequest): Promise<PhaseOutcome> {
    if (this.complete) return Promise.resolve(PASSTHROUGH);
    const call = this.open();
    return new Promise((resolve) => {
      const entry: Outstanding = { kind, resolve, timer: this.armTimer(this.options.settings.messageTimeoutMs), timeoutOverridden: false };
      this.outstanding[directionOf(kind)].push(entry);
      this.options.counters.stream_msgs_sent += 1;
      call.write(kind, message);
    });
  }

  /**
   * Ends processing after the last expected reply. Pending messages resolve as passthrough.
   * The side stream is half-closed, as Envoy does with `ext_proc_graceful_grpc_close` (which the
   * rendered envoy.yaml turns on): a reset per request would trip Node's HTTP/2 rapid-reset
   * guard on the sidecar after about 1000 requests and drop the whole connection.
   */
  close(): void {
    if (this.complete) return;
    this.finish(PASSTHROUGH, 'half-close');
  }

  /**
   * Ends processing because the downstream went away. Envoy resets the side stream here
   * (§2.1.7); the gateway half-closes instead, so client cancels do not count towards the
   * sidecar's HTTP/2 rapid-reset limit. The sidecar answers what is pending and ends with OK;
   * if it lingers, the remote-close timer resets the stream after all.
   */
  abandon(): void {
    if (this.complete) return;
    this.finish(PASSTHROUGH, 'half-close');
  }

  private open(): ExtProcClientCall {
    if (this.call !== undefined) return this.call;
    this.call = this.options.transport.open(this);
    this.options.counters.streams_started += 1;
    return this.call;
  }

  /** The call ended: OK while processing is still on means "continue unmodified"; an error fails it. */
  onStatus(code: GrpcStatus, details: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.linger);
    if (this.complete) return;
    if (code === GrpcStatus.OK) {
      this.options.logger.debug({ requestId: this.options.requestId }, 'ext_proc server closed the stream with OK; continuing unmodified');
      this.finish(PASSTHROUGH);
      return;
    }
    this.onStreamError(code, details);
  }

  private armTimer(timeoutMs: number): NodeJS.Timeout {
    return setTimeout(() => this.onTimeout(), timeoutMs);
  }

  onReply(reply: WireProcessingResponse): void {
    if (this.complete) return;
    this.options.counters.stream_msgs_received += 1;
    if (reply.override_message_timeout !== null) {
      this.overrideTimeout(reply.override_message_timeout);
      return;
    }
    const kind = reply.response;
    if (kind === undefined) return this.onSpurious('empty ProcessingResponse');
    if (kind === 'immediate_response') {
      const immediate = reply.immediate_response;
      if (immediate === undefined) return this.onSpurious('immediate_response without content');
      return this.finish({ kind: 'immediate', reply: immediate }, 'half-close');
    }
    const queue = this.outstanding[directionOf(kind)];
    const head = queue[0];
    if (head === undefined || head.kind !== kind) return this.onSpurious(`unexpected ${kind} reply`);
    queue.shift();
    clearTimeout(head.timer);
    if ((kind === 'request_headers' || kind === 'response_headers') && reply.mode_override !== null && this.options.settings.allowModeOverride) {
      const mode = applyModeOverride(this.currentMode, reply.mode_override);
      if (mode !== undefined) this.currentMode = mode;
    }
    const body = reply[kind];
    const response = body !== undefined && 'response' in body ? body.response : null;
    head.resolve({ kind: 'reply', response });
  }

  private overrideTimeout(duration: { readonly seconds: string; readonly nanos: number }): void {
    const counters = this.options.counters;
    counters.override_message_timeout_received += 1;
    const timeoutMs = Number(duration.seconds) * 1000 + duration.nanos / 1e6;
    const target = this.outstanding.request[0] ?? this.outstanding.response[0];
    const maxMs = this.options.settings.maxMessageTimeoutMs;
    if (target === undefined || target.timeoutOverridden || maxMs < 1 || timeoutMs < 1 || timeoutMs > maxMs) {
      counters.override_message_timeout_ignored += 1;
      return;
    }
    target.timeoutOverridden = true;
    clearTimeout(target.timer);
    target.timer = this.armTimer(timeoutMs);
  }

  private onSpurious(reason: string): void {
    this.options.counters.spurious_msgs_received += 1;
    this.options.logger.warn({ requestId: this.options.requestId, reason }, 'spurious ext_proc reply');
    this.failOrContinue({ kind: 'failed', code: 'SY_ERR_EXTPROC_FAILED', details: 'ext_proc_error_spurious_message' });
  }

  private onTimeout(): void {
    if (this.complete) return;
    this.options.counters.message_timeouts += 1;
    this.failOrContinue({ kind: 'failed', code: 'SY_ERR_EXTPROC_TIMEOUT', details: 'ext_proc_error_per-message_timeout_exceeded' });
  }

  private onStreamError(code: GrpcStatus, message: string): void {
    this.options.counters.streams_failed += 1;
    const details = `ext_proc_error_gRPC_error_${code}{${message}}`.replace(/\s/g, '_');
    this.failOrContinue({ kind: 'failed', code: 'SY_ERR_EXTPROC_FAILED', details });
  }

  /** failure_mode_allow turns a failure into "continue unmodified" (§2.10). */
  private failOrContinue(failure: TerminalOutcome): void {
    this.options.logger.warn({ requestId: this.options.requestId, details: failure.kind === 'failed' ? failure.details : undefined }, 'ext_proc failure');
    if (this.options.settings.failureModeAllow) {
      this.options.counters.failure_mode_allowed += 1;
      this.finish(PASSTHROUGH);
    } else {
      this.finish(failure);
    }
  }

  /** Failures reset the stream; a normal end half-closes it and resets only if the server lingers. */
  private finish(outcome: PhaseOutcome, close: 'reset' | 'half-close' = 'reset'): void {
    this.complete = true;
    const call = this.call;
    if (call !== undefined) {
      this.options.counters.streams_closed += 1;
      if (close === 'reset' || this.ended) {
        if (!this.ended) call.cancel();
      } else {
        // Envoy waits remote_close_timeout_milliseconds (1000) for the server's OK, then resets.
        this.linger = setTimeout(() => call.cancel(), REMOTE_CLOSE_TIMEOUT_MS);
        this.linger.unref();
        call.end();
      }
    }
    const pending = [...this.outstanding.request, ...this.outstanding.response];
    this.outstanding.request = [];
    this.outstanding.response = [];
    for (const entry of pending) {
      clearTimeout(entry.timer);
      entry.resolve(outcome);
    }
    if (outcome.kind === 'immediate' || outcome.kind === 'failed') this.options.onTerminal(outcome);
  }
}
