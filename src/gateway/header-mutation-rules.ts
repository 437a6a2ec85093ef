import { MAX_REQUEST_HEADERS_BYTES, MAX_REQUEST_HEADERS_COUNT } from './downstream-request.js';
import type { ExtProcCounters } from './ext-proc-counters.js';
import type { HeaderList } from './header-list.js';
import type { WireHeaderMutation } from './ext-proc-wire.js';

/** Envoy's HCM `max_headers_count` default: more entries in a mutation list reject the reply. */
const MAX_MUTATION_ENTRIES = MAX_REQUEST_HEADERS_COUNT;
/**
 * Room over the ingress limits for what the proxy and the sidecar add: pseudo-headers,
 * x-forwarded-proto, x-request-id, the cluster header, credentials, `x-vsr-*`. Envoy checks the
 * mutated map against the same limits as ingress, so a client near them (93+ header fields)
 * got a 500 after the sidecar's additions; the gateway refuses oversize requests at ingress
 * with 431 instead and lets the mutation add up to this much on top.
 */
const MUTATION_HEADROOM_COUNT = 32;
const MUTATION_HEADROOM_BYTES = 8 * 1024;
const MAX_MUTATED_HEADERS_COUNT = MAX_REQUEST_HEADERS_COUNT + MUTATION_HEADROOM_COUNT;
const MAX_MUTATED_HEADERS_BYTES = MAX_REQUEST_HEADERS_BYTES + MUTATION_HEADROOM_BYTES;

/** Headers that pick the virtual host or the request line; Envoy's default rules refuse them. */
const ROUTING_HEADERS = new Set(['host', ':authority', ':method', ':scheme']);
/** RFC 7230 token; pseudo-headers add a leading colon. */
const HEADER_NAME = /^:?[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/**
 * Envoy only refuses NUL, CR and LF; Node's HTTP writer also refuses the other control
 * characters, so the gateway rejects those here rather than fail later while writing.
 */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A mutation that makes Envoy reject the whole reply (local reply with `status_on_error`). */
export class HeaderMutationError extends Error {
  override readonly name = 'HeaderMutationError';
}

export interface MutationTarget {
  readonly headers: HeaderList;
  /** Envoy already dropped content-length for this direction (STREAMED etc.): setting it is skipped. */
  readonly contentLengthRemoved: boolean;
  readonly counters: ExtProcCounters;
}

type Operation = 'remove' | 'set' | 'append';

/** Envoy's default `mutation_rules` check (`allow_all_routing`, `allow_envoy` and `disallow_*` all off). */
function isAllowed(operation: Operation, name: string, value: string): boolean {
  if (operation === 'remove' && (name.startsWith(':') || name === 'host')) return false;
  if (ROUTING_HEADERS.has(name)) return false;
  if (name.startsWith(':') && operation === 'append') return false;
  if (name.startsWith('x-envoy')) return false;
  if (name === ':status') {
    const status = Number(value);
    return /^\d+$/.test(value) && status >= 200 && status <= 999;
  }
  return true;
}

/**
 * Applies an ext_proc `HeaderMutation` the way Envoy's mutation_utils does: removals first, then
 * sets in list order; `append: true` adds an entry, unset/false replaces (`append_action` is
 * ignored); only `raw_value` is read. Disallowed names are skipped and counted; malformed
 * input throws HeaderMutationError.
 */
export function applyHeaderMutation(target: MutationTarget, mutation: WireHeaderMutation): void {
  if (mutation.set_headers.length > MAX_MUTATION_ENTRIES || mutation.remove_headers.length > MAX_MUTATION_ENTRIES) {
    throw new HeaderMutationError('Too many headers in the header mutation');
  }
  for (const rawName of mutation.remove_headers) {
    const name = rawName.toLowerCase();
    if (!HEADER_NAME.test(name)) throw new HeaderMutationError(`Invalid character in header name to remove: ${JSON.stringify(rawName)}`);
    if (!isAllowed('remove', name, '')) {
      target.counters.rejected_header_mutations += 1;
      continue;
    }
    target.headers.remove(name);
  }
  for (const option of mutation.set_headers) {
    const header = option.header;
    if (header === null) throw new HeaderMutationError('Header mutation without a header');
    const name = header.key.toLowerCase();
    if (!HEADER_NAME.test(name)) throw new HeaderMutationError(`Invalid character in header name: ${JSON.stringify(header.key)}`);
    if (header.value.length > 0 && header.raw_value.length > 0) {
      throw new HeaderMutationError('Only one of value or raw_value in the HeaderValue message should be set');
    }
    const value = header.raw_value.toString('latin1');
    if (!HEADER_VALUE.test(value)) throw new HeaderMutationError(`Invalid character in the value of header ${name}`);
    if (name === 'content-length' && target.contentLengthRemoved) continue;
    const append = option.append?.value === true;
    const operation: Operation = append && target.headers.has(name) ? 'append' : 'set';
    if (!isAllowed(operation, name, value)) {
      target.counters.rejected_header_mutations += 1;
      continue;
    }
    if (append) target.headers.add(name, value);
    else target.headers.set(name, value);
  }
  if (target.headers.entries.length > MAX_MUTATED_HEADERS_COUNT || target.headers.byteSize() > MAX_MUTATED_HEADERS_BYTES) {
    throw new HeaderMutationError('Header map over the size limit after the mutation');
  }
}
