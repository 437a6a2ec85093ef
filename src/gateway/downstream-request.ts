import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HeaderList } from './header-list.js';

/** Envoy's HCM `max_headers_count` default: a request with more header fields gets 431. */
export const MAX_REQUEST_HEADERS_COUNT = 100;
/** Envoy's HCM `max_request_headers_kb` default (60 KiB of names and values): more gets 431. */
export const MAX_REQUEST_HEADERS_BYTES = 60 * 1024;

/**
 * Why the connection manager refuses the request's header section with 431, as Envoy's HTTP/1
 * codec does before any filter runs; undefined when it is within Envoy's default limits.
 */
export function oversizedHeaders(request: IncomingMessage): string | undefined {
  const raw = request.rawHeaders;
  if (raw.length / 2 > MAX_REQUEST_HEADERS_COUNT) return 'too_many_headers';
  let bytes = 0;
  for (const field of raw) bytes += Buffer.byteLength(field, 'latin1');
  return bytes > MAX_REQUEST_HEADERS_BYTES ? 'headers_too_large' : undefined;
}

/** Hop-by-hop headers the connection manager strips before any filter sees the request. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);

/**
 * The request headers as Envoy's HTTP connection manager hands them to the ext_proc filter:
 * pseudo-headers first (`:authority` from Host), lower-case names, repeats kept, hop-by-hop
 * headers (and those named in Connection) removed, the routing header removed by the early
 * header mutation, `x-forwarded-proto` set and `x-request-id` generated when absent.
 */
export function readDownstreamHeaders(request: IncomingMessage, clusterHeader: string): HeaderList {
  const connectionNamed = new Set((request.headers.connection ?? '').split(',').map((name) => name.trim().toLowerCase()));
  const headers = new HeaderList([
    { name: ':authority', value: request.headers.host ?? '' },
    { name: ':path', value: request.url ?? '/' },
    { name: ':method', value: request.method ?? 'GET' },
    { name: ':scheme', value: 'http' },
  ]);
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (name === 'host' || name === clusterHeader || HOP_BY_HOP.has(name) || connectionNamed.has(name)) continue;
    headers.add(name, raw[i + 1] as string);
  }
  headers.set('x-forwarded-proto', 'http');
  if (!headers.has('x-request-id')) headers.add('x-request-id', randomUUID());
  return headers;
}

/**
 * Whether a body follows the headers (HTTP/1 framing): chunked always counts, even when empty
 * (Envoy then sends one empty body message); `content-length: 0` or none means no body.
 */
export function requestHasBody(request: IncomingMessage): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(request.headers['content-length'] ?? '0');
  return Number.isFinite(length) && length > 0;
}
