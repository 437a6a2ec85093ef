import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { SemanticCache } from '../cache/semantic-cache.js';
import { openResponsesStore } from '../apis/responses-store.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { routeChatCompletion } from '../router/route-request.js';
import type { RouterLogger } from '../telemetry/logger.js';
import type { RequestRecordSink } from '../telemetry/request-log.js';
import type { RequestTracer } from '../telemetry/request-tracing.js';
import { PrometheusRouterMetrics, type RouterMetrics } from '../telemetry/metrics.js';
import { loadExtProcDefinitions } from './envoy-protos.js';
import type { ProcessingRequest, ProcessingResponse } from './ext-proc-messages.js';
import { EncodedMessage, LargeBodyWriter, passingEncoded, processingResponseBodyPaths, type FieldStep } from './large-body-encoding.js';
import { guardAgainstResetStorms } from './reset-storm-guard.js';
import { extProcServerCredentials } from './ext-proc-tls.js';
import { serveExtProcStream, type ConfigSource, type ExtProcCall, type StreamDependencies } from './stream.js';
import type { ChatRouter } from './stream-processor.js';

type GrpcExtProcCall = grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse | EncodedMessage>;

/** A grpc-js call as a stream sees it, with its replies written through a {@link LargeBodyWriter}. */
function withLargeBodyReplies(call: GrpcExtProcCall, serialize: (value: Readonly<Record<string, unknown>>) => Buffer, paths: readonly (readonly FieldStep[])[]): ExtProcCall {
  const writer = new LargeBodyWriter(call, serialize, paths);
  call.on('cancelled', () => writer.stop());
  return {
    get cancelled() {
      return call.cancelled;
    },
    write: (response) => writer.write(response as unknown as Readonly<Record<string, unknown>>),
    end: () => writer.end(),
    on: (event: string, listener: (...args: unknown[]) => void) => call.on(event, listener),
  } as ExtProcCall;
}

/** Options of {@link startExtProcServer}. */
export interface ExtProcServerOptions {
  readonly address: string;
  /** 0 picks a free port; the bound one is returned. */
  readonly port: number;
  readonly store: ConfigSource;
  readonly logger: RouterLogger;
  readonly metrics?: RouterMetrics;
  /** Receives each request's record (cost accounting metrics, recent requests). */
  readonly records?: RequestRecordSink;
  /** Traces requests (`observability.tracing`). */
  readonly tracer?: RequestTracer;
  /** The routing entry point; the real router unless a caller wraps it. */
  readonly route?: ChatRouter;
  /** How long `close()` lets open streams finish before cutting them. */
  readonly shutdownGraceMs?: number;
  /**
   * The semantic cache for a config snapshot, owned by the caller (the serve stack's
   * `ReloadableCache` follows reloads). When absent, one is built from the starting config's
   * `semantic_cache` section (if enabled), used for every snapshot and closed with the server.
   */
  readonly cacheFor?: (config: RuntimeConfig) => SemanticCache | undefined;
}

/** A running sidecar gRPC server. */
export interface ExtProcServer {
  readonly port: number;
  /** What each stream is served with (config, router, cache, responses store): the in-process transport serves with the same. */
  readonly streamDependencies: StreamDependencies;
  /**
   * Reports NOT_SERVING and stops accepting streams, lets open ones finish (grpc-js
   * tryShutdown), then stops; cuts them when `force` aborts, or after the grace time without it.
   */
  close(force?: AbortSignal): Promise<void>;
}

const ONE_MIB = 1024 * 1024;

/**
 * grpc-js server options every ext_proc server here runs with (the sidecar, and the bare floor
 * `bench/extproc-sidecar.ts` compares it with). Channelz is off: nothing here serves the
 * channelz service, and its per-call and per-message bookkeeping (a timestamp for each message,
 * closures for each call) showed in the sidecar's CPU profile.
 */
export const EXT_PROC_SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  'grpc.enable_channelz': 0,
};
const EXT_PROC_SERVICE_NAME = 'envoy.service.ext_proc.v3.ExternalProcessor';

/**
 * Starts the Envoy ext_proc sidecar: `ExternalProcessor/Process` plus the standard gRPC
 * health service. Each stream takes the store's current config when it opens.
 */
export async function startExtProcServer(options: ExtProcServerOptions): Promise<ExtProcServer> {
  const { logger } = options;
  // A buffered body travels as one gRPC message; grpc-js refuses anything over 4 MiB by default.
  const messageLimit = options.store.current().envoy.bufferLimitBytes + ONE_MIB;
  const server = new grpc.Server({
    ...EXT_PROC_SERVER_OPTIONS,
    'grpc.max_receive_message_length': messageLimit,
    'grpc.max_send_message_length': messageLimit,
  });
  const metrics = options.metrics ?? new PrometheusRouterMetrics();
  const cacheSettings = options.store.current().semanticCache;
  const ownCache =
    options.cacheFor === undefined && cacheSettings?.enabled === true
      ? await SemanticCache.create({ settings: cacheSettings, logger, count: (event) => metrics.cacheEvent(event, cacheSettings.backendType) })
      : undefined;
  if (ownCache !== undefined) metrics.countCacheEntries(() => [[ownCache.backend, ownCache.entries]]);
  const responseApi = options.store.current().responseApi;
  const responsesStore = responseApi === undefined ? undefined : openResponsesStore(responseApi);
  const dependencies = {
    ...(responsesStore === undefined ? {} : { responsesStore }),
    store: options.store,
    route: options.route ?? routeChatCompletion,
    logger,
    metrics,
    cacheFor: options.cacheFor ?? (() => ownCache),
    ...(options.records === undefined ? {} : { records: options.records }),
    ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
  };
  const service = loadExtProcDefinitions().service;
  const process = service['Process']!;
  // Replies with a large body are encoded without holding the event loop (large-body-encoding.ts).
  const bodyPaths = processingResponseBodyPaths();
  server.addService({ ...service, Process: { ...process, responseSerialize: passingEncoded(process.responseSerialize) } }, {
    Process: (call: GrpcExtProcCall) => serveExtProcStream(withLargeBodyReplies(call, process.responseSerialize, bodyPaths), dependencies),
  });
  const health = new HealthImplementation({ '': 'SERVING', [EXT_PROC_SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);

  const host = options.address.includes(':') ? `[${options.address}]` : options.address;
  const tls = options.store.current().envoy.extprocTls?.server;
  const credentials = await extProcServerCredentials(tls);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port}`, credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  guardAgainstResetStorms(server, {
    onReset: () => metrics.streamReset(),
    onRetire: (resets, reason) => {
      metrics.sessionRetired(reason);
      if (reason === 'client_resets') logger.info({ resets }, 'ext_proc connection retired with a graceful GOAWAY before the HTTP/2 rapid-reset limit');
      else logger.warn({ resets }, 'ext_proc connection cut with ENHANCE_YOUR_CALM: most of its resets were of streams that never carried a message (rapid-reset attack)');
    },
  });
  logger.info({ address: options.address, port, tls: tls === undefined ? 'off' : tls.requireClientCert ? 'mutual' : 'server' }, 'ext_proc server listening');

  const graceMs = options.shutdownGraceMs ?? 5000;
  return {
    port,
    streamDependencies: dependencies,
    close: (force = AbortSignal.timeout(graceMs)) => {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(EXT_PROC_SERVICE_NAME, 'NOT_SERVING');
      return new Promise<void>((resolve) => {
        const cut = (): void => {
          logger.warn({ port }, 'ext_proc drain period over; cutting the streams still open');
          server.forceShutdown();
        };
        if (force.aborted) cut();
        else force.addEventListener('abort', cut, { once: true });
        server.tryShutdown(() => {
          force.removeEventListener('abort', cut);
          logger.info({ port }, 'ext_proc server stopped');
          void Promise.all([ownCache?.close(), responsesStore?.close()]).then(() => resolve(), resolve);
        });
      });
    },
  };
}
