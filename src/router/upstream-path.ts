import { API_VERSION_BASE, matchApiPath } from './api-paths.js';

/** The path an OpenAI client uses when none is known. */
export const DEFAULT_CHAT_PATH = '/v1/chat/completions';

const CLIENT_VERSION_SEGMENT = /^\/v1(?=[/?]|$)/;

/**
 * The upstream `:path` for a client path. A prefix is the provider's API base, as an OpenAI
 * SDK `base_url` ("/v1beta/openai", "/api/v1"), and an endpoint without one has the OpenAI
 * default base "/v1". The base replaces the client's own "/v1" (or its absence, for a client
 * whose base URL is the bare host): "/v1beta/openai" + "/v1/chat/completions" gives
 * "/v1beta/openai/chat/completions", "" + "/chat/completions" gives "/v1/chat/completions",
 * and "/v1" is never doubled. A path outside the API table goes after the prefix whole. The
 * query string is kept.
 */
export function upstreamPath(pathPrefix: string, clientPath: string): string {
  const canonical = matchApiPath(clientPath)?.canonicalPath;
  if (canonical === undefined) return pathPrefix + clientPath.replace(CLIENT_VERSION_SEGMENT, '');
  return (pathPrefix === '' ? API_VERSION_BASE : pathPrefix) + canonical.slice(API_VERSION_BASE.length);
}
