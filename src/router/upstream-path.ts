/** The path an OpenAI client uses when none is known. */
export const DEFAULT_CHAT_PATH = '/v1/chat/completions';

const CLIENT_VERSION_SEGMENT = /^\/v1(?=[/?]|$)/;

/**
 * The upstream `:path` for an endpoint with a path prefix. A prefix is the provider's API
 * base, as an OpenAI SDK `base_url` ("/v1beta/openai", "/api/v1"), so it replaces the
 * client's own "/v1" base: "/v1beta/openai" + "/v1/chat/completions" gives
 * "/v1beta/openai/chat/completions", and "/v1" is never doubled. A path without a
 * leading "/v1" segment is appended whole. The query string is kept.
 */
export function upstreamPath(pathPrefix: string, originalPath: string): string {
  return pathPrefix + originalPath.replace(CLIENT_VERSION_SEGMENT, '');
}
