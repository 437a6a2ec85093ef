/** Where one model endpoint lives, parsed from the config's `endpoint: "host[:port][/path]"`. */
export interface EndpointAddress {
  readonly host: string;
  readonly port: number;
  /** "" or a path such as "/v1beta/openai", without a trailing slash. */
  readonly pathPrefix: string;
}

/** The result of parsing an endpoint: the address, or why the text is not one. */
export type EndpointParse = { readonly ok: true; readonly address: EndpointAddress } | { readonly ok: false; readonly reason: string };

/**
 * Parses `host[:port][/path]` (IPv6 hosts in brackets). The scheme comes from the endpoint's
 * `protocol`, so a scheme in the text is refused, as are credentials, queries and fragments,
 * which have no meaning for an upstream cluster. The port defaults to 443 for https, 80 for http.
 */
export function parseEndpointAddress(endpoint: string, protocol: 'http' | 'https'): EndpointParse {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(endpoint)) {
    return { ok: false, reason: 'must not include a scheme; write host[:port][/path] and set `protocol`' };
  }
  if (/[\s?#@\\]/.test(endpoint)) {
    return { ok: false, reason: 'must be host[:port][/path] without spaces, credentials, query or fragment' };
  }
  if ((endpoint.split('/')[0] ?? '').endsWith(':')) return { ok: false, reason: 'has an empty port after ":"' };
  let url: URL;
  try {
    url = new URL(`${protocol}://${endpoint}`);
  } catch {
    return { ok: false, reason: 'is not host[:port][/path] (bad host or port)' };
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return { ok: false, reason: 'has no host' };
  const port = url.port === '' ? (protocol === 'https' ? 443 : 80) : Number(url.port);
  if (port === 0) return { ok: false, reason: 'has port 0' };
  return { ok: true, address: { host, port, pathPrefix: url.pathname.replace(/\/+$/, '') } };
}
