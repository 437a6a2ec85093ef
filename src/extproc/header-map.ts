import type { HeaderMap } from './ext-proc-messages.js';

/**
 * Reads an Envoy header map into lower-case name → first value. Envoy sends values in
 * `raw_value` and leaves `value` empty; older Envoys (and some tools) still use `value`.
 * Repeated keys arrive as separate entries; the first one wins, as in Envoy's own lookups.
 */
export function readHeaderMap(map: HeaderMap | null | undefined): Map<string, string> {
  const headers = new Map<string, string>();
  if (!map) return headers;
  for (const entry of map.headers) {
    const name = entry.key.toLowerCase();
    if (headers.has(name)) continue;
    const raw = entry.raw_value;
    headers.set(name, raw !== undefined && raw.length > 0 ? raw.toString('utf8') : (entry.value ?? ''));
  }
  return headers;
}
