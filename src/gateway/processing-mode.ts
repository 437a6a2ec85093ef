import type { ProcessingModeSettings } from '../config/runtime-config.js';
import type { WireProcessingMode } from './ext-proc-wire.js';

type BodyMode = ProcessingModeSettings['requestBodyMode'];
const BODY_MODES: ReadonlySet<string> = new Set<BodyMode>(['NONE', 'STREAMED', 'BUFFERED', 'BUFFERED_PARTIAL']);

function isBodyMode(value: string | number): value is BodyMode {
  return typeof value === 'string' && BODY_MODES.has(value);
}

function headerMode(override: string | number, current: 'SEND' | 'SKIP'): 'SEND' | 'SKIP' {
  return override === 'SEND' || override === 'SKIP' ? override : current;
}

/**
 * Merges a `mode_override` into the current mode as Envoy does: header modes change only when
 * not DEFAULT, both body modes are copied as sent (unset = NONE). `request_header_mode` is
 * meaningless by then and kept. Returns undefined for body modes the gateway cannot run
 * (FULL_DUPLEX_STREAMED, GRPC), and the override is then dropped.
 */
export function applyModeOverride(
  current: ProcessingModeSettings,
  override: WireProcessingMode,
): ProcessingModeSettings | undefined {
  const requestBodyMode = override.request_body_mode;
  const responseBodyMode = override.response_body_mode;
  if (!isBodyMode(requestBodyMode) || !isBodyMode(responseBodyMode)) return undefined;
  return {
    requestHeaderMode: current.requestHeaderMode,
    requestBodyMode,
    responseHeaderMode: headerMode(override.response_header_mode, current.responseHeaderMode),
    responseBodyMode,
  };
}
