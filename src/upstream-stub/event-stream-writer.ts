import type http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';

/** Writes SSE frames one by one (pausing between them when asked), so each reaches a proxy as its own read. */
export async function writeEventStream(response: http.ServerResponse, frames: readonly string[], intervalMs: number | undefined, signal: AbortSignal): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const frame of frames) {
    if (signal.aborted) return;
    response.write(frame);
    if (intervalMs !== undefined && intervalMs > 0) await delay(intervalMs, undefined, { signal });
  }
  response.end();
}

/** One SSE frame with a named event, as Anthropic and the Responses API send them. */
export function namedEvent(type: string, data: object): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
