import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsExposition } from './metrics.js';

/** Options of {@link startAdminServer}. */
export interface AdminServerOptions {
  readonly address: string;
  /** 0 picks a free port; the bound one is returned. */
  readonly port: number;
  /** Why the process cannot take traffic now, or undefined when it can (`/readyz`). */
  readonly notReadyReason: () => string | undefined;
  /** Every exposition `/metrics` concatenates, in order (each owns distinct metric names). */
  readonly metrics: readonly MetricsExposition[];
  /** JSON API endpoints served besides the probes (model selection's feedback and state). */
  readonly routes?: readonly AdminRoute[];
  /** Serves what is not a JSON route (the dashboard's pages and event streams); returns false to pass. */
  readonly serve?: (request: http.IncomingMessage, response: http.ServerResponse, path: string, query: URLSearchParams) => boolean;
}

/** A JSON endpoint of the admin server. */
export interface AdminRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  handle(request: { readonly body: Buffer; readonly authorization: string | undefined; readonly query: URLSearchParams }): Promise<{ readonly status: number; readonly body: unknown }>;
}

/** Largest request body an admin endpoint reads. */
const MAX_ADMIN_BODY_BYTES = 1024 * 1024;

function replyJson(response: http.ServerResponse, status: number, body: unknown): void {
  reply(response, status, 'application/json', JSON.stringify(body));
}

function apiError(status: number, code: string, message: string): { error: { message: string; type: string; param: null; code: string } } {
  return { error: { message, type: 'invalid_request_error', param: null, code } };
}

/** Reads the body (up to the limit) and runs the route; a client error never becomes a stack trace. */
function serveRoute(route: AdminRoute, request: http.IncomingMessage, response: http.ServerResponse, query: URLSearchParams): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let refused = false;
  request.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > MAX_ADMIN_BODY_BYTES && !refused) {
      refused = true;
      replyJson(response, 413, apiError(413, 'request_too_large', `the body is larger than ${MAX_ADMIN_BODY_BYTES} bytes`));
      request.resume();
    } else if (!refused) chunks.push(chunk);
  });
  request.on('end', () => {
    if (refused) return;
    const authorization = request.headers.authorization;
    route.handle({ body: Buffer.concat(chunks, bytes), authorization, query }).then(
      (result) => replyJson(response, result.status, result.body),
      (error: unknown) => replyJson(response, 500, { error: { message: `internal error: ${(error as Error).message}`, type: 'server_error', param: null, code: 'internal_error' } }),
    );
  });
}

/** A running admin server. */
export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

function reply(response: http.ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }).end(body);
}

async function renderMetrics(expositions: readonly MetricsExposition[]): Promise<string> {
  const texts = await Promise.all(expositions.map((exposition) => exposition.render()));
  return texts.map((text) => (text.endsWith('\n') || text === '' ? text : `${text}\n`)).join('');
}

/**
 * The operator's port: `/healthz` (the process answers), `/readyz` (200 only while it can
 * route traffic, 503 with the reason otherwise, e.g. while draining) and `/metrics`
 * (Prometheus text). Probes and scrapers use it; it never carries LLM traffic.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const server = http.createServer((request, response) => {
    const [path, search] = (request.url ?? '/').split('?');
    if (options.serve?.(request, response, path ?? '/', new URLSearchParams(search ?? '')) === true) return;
    const routes = (options.routes ?? []).filter((route) => route.path === path);
    if (routes.length > 0) {
      const route = routes.find((candidate) => candidate.method === request.method);
      if (route === undefined) {
        replyJson(response, 405, apiError(405, 'method_not_allowed', `${request.method ?? ''} is not allowed on ${path}; use ${routes.map((r) => r.method).join(' or ')}`));
      } else {
        serveRoute(route, request, response, new URLSearchParams(search ?? ''));
      }
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      reply(response, 405, 'text/plain', 'use GET\n');
      return;
    }
    if (path === '/healthz') {
      reply(response, 200, 'text/plain', 'ok\n');
      return;
    }
    if (path === '/readyz') {
      const reason = options.notReadyReason();
      if (reason === undefined) reply(response, 200, 'text/plain', 'ready\n');
      else reply(response, 503, 'text/plain', `not ready: ${reason}\n`);
      return;
    }
    if (path === '/metrics') {
      renderMetrics(options.metrics).then(
        (text) => reply(response, 200, PROMETHEUS_TEXT, text),
        (error: unknown) => reply(response, 500, 'text/plain', `metrics unavailable: ${(error as Error).message}\n`),
      );
      return;
    }
    reply(response, 404, 'text/plain', 'not found; try /healthz, /readyz or /metrics\n');
  });
  server.listen(options.port, options.address);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
