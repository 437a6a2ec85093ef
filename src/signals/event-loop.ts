/**
 * Lets timers, I/O of other requests and cancellations run between two pieces of one request's
 * work: gateway, sidecar and admin server share one event loop, so no request may hold it for
 * more than a few milliseconds.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
