/**
 * The one table of the OpenAI API paths Switchyard serves. The sidecar dispatches on it, the
 * built-in gateway and the rendered envoy.yaml build their routes from it, and the 404 for any
 * other path names its entries. A new API is one entry here plus its
 * handler in the sidecar.
 */

/** What a served path does. */
export type ApiOperation = 'chat_completions' | 'list_models' | 'retrieve_model' | 'responses' | 'retrieve_response' | 'messages';

/** One served path, written in its canonical `/v1` form. */
export interface ApiRoute {
  readonly operation: ApiOperation;
  readonly method: 'GET' | 'POST';
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

function decodeParameter(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** Matches a `:path` (query string allowed) against the table; undefined when Switchyard does not serve it. */
export function matchApiPath(rawPath: string): ApiPathMatch | undefined {
  const queryStart = rawPath.indexOf('?');
  const path = queryStart === -1 ? rawPath : rawPath.slice(0, queryStart);
  const query = queryStart === -1 ? '' : rawPath.slice(queryStart);
  const versioned = path.startsWith(`${API_VERSION_BASE}/`) ? path : `${API_VERSION_BASE}${path}`;
  for (const route of API_ROUTES) {
    if (route.match === 'exact') {
      if (versioned === route.path) return { route, canonicalPath: versioned + query };
      continue;
    }
    if (!versioned.startsWith(route.path) || versioned.length === route.path.length) continue;
    const parameter = decodeParameter(versioned.slice(route.path.length));
    if (parameter !== undefined) return { route, canonicalPath: versioned + query, parameter };
  }
  return undefined;
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
