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
    const path = (request.url ?? '/').split('?')[0];
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
