import { SseParser } from './sse-parser.js';
import type { ResponsesStore } from './responses-store.js';
import { isRecord, type JsonObject } from './wire-json.js';

const FINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * Watches a Responses API answer on its way to the client (translated or from a backend that
 * speaks the API) and stores the final response object: the whole JSON body, or the response in
 * the stream's `response.completed` event. A 2xx answer only; the store never fails the request.
 */
export class ResponsesRecorder {
  private parser: SseParser | undefined;
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private final: JsonObject | undefined;
  private active = true;

  constructor(
    private readonly store: ResponsesStore,
    private readonly inputItems: readonly JsonObject[],
    private readonly previousResponseId: string | null,
    private readonly limit: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The answer's status and type; anything but a 2xx answer is not stored. */
  start(status: number, contentType: string): void {
    this.active = status >= 200 && status <= 299;
    if (contentType.toLowerCase().startsWith('text/event-stream')) this.parser = new SseParser();
  }

  observe(chunk: Buffer): void {
    if (!this.active || chunk.length === 0) return;
    if (this.parser !== undefined) {
      for (const event of this.parser.push(chunk)) this.readEvent(event.data);
      return;
    }
    this.bytes += chunk.length;
    if (this.bytes > this.limit) this.active = false;
    else this.chunks.push(chunk);
  }

  /** The answer is complete: store what was seen. Resolves once stored (never rejects). */
  async finish(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    if (this.parser !== undefined) for (const event of this.parser.end()) this.readEvent(event.data);
    else this.final = parseObject(Buffer.concat(this.chunks, this.bytes).toString('utf8'));
    const response = this.final;
    if (response === undefined || response.object !== 'response' || typeof response.id !== 'string') return;
    try {
      await this.store.put(response.id, { response, inputItems: this.inputItems, previousResponseId: this.previousResponseId });
    } catch (error) {
      this.onError(error);
    }
  }

  private readEvent(data: string): void {
    if (!data.includes('"response.')) return;
    const event = parseObject(data);
    if (event !== undefined && typeof event.type === 'string' && FINAL_EVENTS.has(event.type) && isRecord(event.response)) this.final = event.response;
  }
}

function parseObject(text: string): JsonObject | undefined {
  try {
    const json: unknown = JSON.parse(text);
    return isRecord(json) ? json : undefined;
  } catch {
    return undefined;
  }
}
