/** W3C `traceparent`: version 00, 32 hex trace id, 16 hex parent id, 2 hex flags. */
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace id of a `traceparent` header, or null when absent or malformed (all-zero ids are invalid). */
export function traceIdOf(traceparent: string | undefined): string | null {
  const match = TRACEPARENT.exec(traceparent?.trim().toLowerCase() ?? '');
  const id = match?.[1];
  return id === undefined || /^0+$/.test(id) ? null : id;
}
