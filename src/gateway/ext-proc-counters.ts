/**
 * Envoy's ext_proc filter counters (`http.<prefix>.ext_proc.*`), kept under the same names so
 * a test or dashboard written against Envoy reads the gateway the same way.
 */
export interface ExtProcCounters {
  streams_started: number;
  stream_msgs_sent: number;
  stream_msgs_received: number;
  spurious_msgs_received: number;
  streams_closed: number;
  streams_failed: number;
  failure_mode_allowed: number;
  message_timeouts: number;
  rejected_header_mutations: number;
  override_message_timeout_received: number;
  override_message_timeout_ignored: number;
  clear_route_cache_ignored: number;
  clear_route_cache_disabled: number;
}

/** A zeroed counter set. */
export function newExtProcCounters(): ExtProcCounters {
  return {
    streams_started: 0,
    stream_msgs_sent: 0,
    stream_msgs_received: 0,
    spurious_msgs_received: 0,
    streams_closed: 0,
    streams_failed: 0,
    failure_mode_allowed: 0,
    message_timeouts: 0,
    rejected_header_mutations: 0,
    override_message_timeout_received: 0,
    override_message_timeout_ignored: 0,
    clear_route_cache_ignored: 0,
    clear_route_cache_disabled: 0,
  };
}
