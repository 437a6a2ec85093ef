/**
 * The one table of the OpenAI API paths Switchyard serves. The sidecar dispatches on it, the
 * built-in gateway and the rendered envoy.yaml build their routes from it, and the 404 for any
 * other path names its entries. A new API is one entry here plus its
 * handler in the sidecar.
 */

/** What a served path does. */
export type ApiOperation = 'chat_completions' | 'list_models' | 'retrieve_model' | 'responses' | 'retrieve_response' | 'delete_response' | 'messages';

/** One served path, written in its canonical `/v1` form. */
export interface ApiRoute {
  readonly operation: ApiOperation;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** `/v1/...`; for a `prefix` route, everything after it is the path parameter. */
  readonly path: string;
  readonly match: 'exact' | 'prefix';
  /** How the 404 names it, e.g. `GET /v1/models/{model}`. */
  readonly display: string;
}

/** The API version segment OpenAI clients put before every path. */
export const API_VERSION_BASE = '/v1';

export const API_ROUTES: readonly ApiRoute[] = [
  { operation: 'chat_completions', method: 'POST', path: '/v1/chat/completions', match: 'exact', display: 'POST /v1/chat/completions' },
  { operation: 'list_models', method: 'GET', path: '/v1/models', match: 'exact', display: 'GET /v1/models' },
  { operation: 'retrieve_model', method: 'GET', path: '/v1/models/', match: 'prefix', display: 'GET /v1/models/{model}' },
  { operation: 'responses', method: 'POST', path: '/v1/responses', match: 'exact', display: 'POST /v1/responses' },
  { operation: 'retrieve_response', method: 'GET', path: '/v1/responses/', match: 'prefix', display: 'GET /v1/responses/{id}[/input_items]' },
  { operation: 'delete_response', method: 'DELETE', path: '/v1/responses/', match: 'prefix', display: 'DELETE /v1/responses/{id}' },
  { operation: 'messages', method: 'POST', path: '/v1/messages', match: 'exact', display: 'POST /v1/messages' },
];

/** A request path matched to its route. */
export interface ApiPathMatch {
  readonly route: ApiRoute;
  /** The path in its `/v1` form, query string kept: what an upstream without a base path expects. */
  readonly canonicalPath: string;
  /** The decoded path parameter of a prefix route (a model id, which may contain "/"). */
  readonly parameter?: string;
}

/**
 * The path forms a route is reachable at: the `/v1` form and the same path without `/v1`, which
 * an OpenAI SDK sends when its base URL is the bare host (`http://localhost:8899`).
 */
export function routePathForms(route: ApiRoute): readonly string[] {
  return [route.path, route.path.slice(API_VERSION_BASE.length)];
}

/** A `:path` in its `/v1` form, and its query string (with the `?`, or empty). */
function versionedPath(rawPath: string): { versioned: string; query: string } {
  const queryStart = rawPath.indexOf('?');
  const path = queryStart === -1 ? rawPath : rawPath.slice(0, queryStart);
  const query = queryStart === -1 ? '' : rawPath.slice(queryStart);
  return { versioned: path.startsWith(`${API_VERSION_BASE}/`) ? path : `${API_VERSION_BASE}${path}`, query };
}

function decodeParameter(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * Matches a `:path` (query string allowed) against the table; undefined when Switchyard does not
 * serve it. Several routes may share a path: the one for `method` wins, else the first (so a wrong
 * method still finds the path, for a 405 in the right API's format).
 */
export function matchApiPath(rawPath: string, method?: string): ApiPathMatch | undefined {
  const { versioned, query } = versionedPath(rawPath);
  let first: ApiPathMatch | undefined;
  for (const route of API_ROUTES) {
    const match = matchRoute(route, versioned, query);
    if (match === undefined) continue;
    if (method === undefined || route.method === method) return match;
    first ??= match;
  }
  return first;
}

function matchRoute(route: ApiRoute, versioned: string, query: string): ApiPathMatch | undefined {
  if (route.match === 'exact') return versioned === route.path ? { route, canonicalPath: versioned + query } : undefined;
  if (!versioned.startsWith(route.path) || versioned.length === route.path.length) return undefined;
  const parameter = decodeParameter(versioned.slice(route.path.length));
  return parameter === undefined ? undefined : { route, canonicalPath: versioned + query, parameter };
}

/** The methods a path is served with, for a 405's "use ..." (e.g. `GET or DELETE`). */
export function methodsServedAt(match: ApiPathMatch): string {
  const methods = API_ROUTES.filter((route) => route.path === match.route.path && route.match === match.route.match).map((route) => route.method);
  return methods.join(' or ');
}

/**
 * The API whose error format a request path calls for: Anthropic's for `/v1/messages` and
 * anything under it (`/v1/messages/count_tokens` included, which gets a 404), OpenAI's otherwise.
 */
export function errorFormatOfPath(rawPath: string): 'messages' | 'openai' {
  const { versioned } = versionedPath(rawPath);
  return versioned === '/v1/messages' || versioned.startsWith('/v1/messages/') ? 'messages' : 'openai';
}

/** The sentence every 404 for an unserved path ends with. */
function servedPathsSentence(): string {
  return `Switchyard serves ${API_ROUTES.map((route) => route.display).join(', ')}, each also without the /v1 prefix`;
}

/** The sidecar's 404 message for a path not in the table: what was asked and every path that is served. */
export function unknownPathMessage(method: string, rawPath: string): string {
  const queryStart = rawPath.indexOf('?');
  const path = queryStart === -1 ? rawPath : rawPath.slice(0, queryStart);
  return `Invalid URL (${method} ${path}): ${servedPathsSentence()}`;
}

/** The same 404 as a proxy's static direct response, which cannot quote the request. */
export const UNKNOWN_PATH_DIRECT_MESSAGE = `Invalid URL: ${servedPathsSentence()}`;
