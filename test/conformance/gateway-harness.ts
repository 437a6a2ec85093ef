import http from 'node:http';
import type { EnvoySettings } from '../../src/config/runtime-config.js';
import { startGateway, type Gateway } from '../../src/gateway/http-gateway.js';
import type { GatewayMetrics } from '../../src/telemetry/metrics.js';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';
import { startScriptedExtProcServer, type ExtProcScript, type ScriptedExtProcServer, type ScriptedReply, setHeader } from '../helpers/scripted-extproc-server.js';

/** The routing header of the §5 envoy.yaml. */
export const CLUSTER_HEADER = 'x-llmr-cluster';
/** The stub upstream's cluster name and the Host the gateway must rewrite to. */
export const STUB_CLUSTER = 'stub-cluster';
export const STUB_HOSTNAME = 'stub.internal';

/** §5 settings with small timeouts and buffer so every conformance test runs in milliseconds. */
export const TEST_SETTINGS: EnvoySettings = {
  extprocAddress: '127.0.0.1',
  extprocPort: 0,
  adminPort: 0,
  processingMode: { requestHeaderMode: 'SEND', requestBodyMode: 'BUFFERED', responseHeaderMode: 'SEND', responseBodyMode: 'STREAMED' },
  failureModeAllow: false,
  allowModeOverride: true,
  // Generous, so a loaded machine never times a reply out; timeouts.test.ts sets a short one.
  messageTimeoutMs: 1000,
  maxMessageTimeoutMs: 2000,
  bufferLimitBytes: 64 * 1024,
  routeCacheAction: 'DEFAULT',
  circuitBreakers: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024 },
};

/** The two ways the gateway reaches its sidecar; every conformance test runs over both. */
export const EXT_PROC_TRANSPORTS = ['grpc', 'in-process'] as const;
export type ExtProcTransportName = (typeof EXT_PROC_TRANSPORTS)[number];

export interface HarnessOptions {
  /** gRPC over loopback (default), or the in-process transport `serve` uses. */
  readonly transport?: ExtProcTransportName;
  readonly settings?: Partial<EnvoySettings>;
  /** Point the gateway at this port instead of the scripted server (unreachable sidecar; gRPC only). */
  readonly sidecarPort?: number;
  readonly stubLatencyMs?: number;
  readonly stubChunkIntervalMs?: number;
  /** Extra clusters besides the stub. */
  readonly clusters?: Record<string, { baseUrl: string; hostname: string }>;
  readonly upstreamTimeoutMs?: number;
  readonly metrics?: GatewayMetrics;
}

export interface Harness {
  readonly gateway: Gateway;
  readonly extproc: ScriptedExtProcServer;
  readonly upstream: StubUpstream;
  request(options?: ClientRequest): Promise<ClientResponse>;
  close(): Promise<void>;
}

export interface ClientRequest {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  /** Sent with content-length unless `chunked`. */
  readonly body?: string | Buffer;
  readonly chunked?: boolean;
}

export interface ClientResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: string;
  /** The chunks as the client read them. */
  readonly chunks: string[];
}

/** An HTTP/1.1 request on a fresh connection (no keep-alive pool, so nothing outlives the test). */
export function sendRequest(port: number, options: ClientRequest = {}): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    if (body !== undefined && options.chunked !== true) headers['content-length'] = String(body.length);
    if (options.chunked === true) headers['transfer-encoding'] = 'chunked';
    const request = http.request(
      { host: '127.0.0.1', port, method: options.method ?? 'POST', path: options.path ?? '/v1/chat/completions', headers, agent: false },
      (response) => {
        const chunks: string[] = [];
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, rawHeaders: response.rawHeaders, body: chunks.join(''), chunks }),
        );
        response.on('error', reject);
        response.on('aborted', () => reject(new Error('response aborted')));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** A chat completion request body. */
export function chatBody(content = 'hello there', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }], ...extra });
}

/** The header mutation that routes to the stub cluster. */
export function routeToStub(): ScriptedReply {
  return { set_headers: [setHeader(CLUSTER_HEADER, STUB_CLUSTER)] };
}

/** A request_body reply that routes to the stub (header mutation + clear_route_cache). */
export function routedBodyReply(): ScriptedReply {
  return { request_body: { response: { header_mutation: routeToStub(), clear_route_cache: true } } };
}

/** Starts scripted sidecar, stub upstream and gateway. */
export async function startHarness(script: ExtProcScript, options: HarnessOptions = {}): Promise<Harness> {
  const extproc = await startScriptedExtProcServer(script);
  const upstream = await startStubUpstream({
    port: 0,
    model: 'stub-model',
    latencyMs: options.stubLatencyMs,
    chunkIntervalMs: options.stubChunkIntervalMs,
  });
  const clusters = new Map(Object.entries({
    [STUB_CLUSTER]: { baseUrl: `http://127.0.0.1:${upstream.port}`, hostname: STUB_HOSTNAME },
    ...options.clusters,
  }));
  const gateway = await startGateway({
    listen: { address: '127.0.0.1', port: 0 },
    sidecar:
      options.transport === 'in-process' && options.sidecarPort === undefined
        ? { inProcess: extproc.inProcess }
        : { address: '127.0.0.1', port: options.sidecarPort ?? extproc.port },
    settings: { ...TEST_SETTINGS, ...options.settings },
    clusterHeader: CLUSTER_HEADER,
    clusters: () => clusters,
    requestTimeoutMs: options.upstreamTimeoutMs ?? 2000,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
  return {
    gateway,
    extproc,
    upstream,
    request: (request) => sendRequest(gateway.port, request),
    async close() {
      await gateway.close();
      await upstream.close();
      await extproc.close();
    },
  };
}

/** {@link startHarness} over one transport, for a `describe.each(EXT_PROC_TRANSPORTS)` block. */
export function harnessOver(transport: ExtProcTransportName): typeof startHarness {
  return (script, options = {}) => startHarness(script, { ...options, transport });
}

/** Polls a condition (for effects that land after the response, like an upstream abort). */
export async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
