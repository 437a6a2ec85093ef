import type { SseEvent } from './sse-parser.js';
import { sseFrame } from './sse-parser.js';
import { isRecord, type JsonObject } from './wire-json.js';

/**
 * What flows between a stream decoder and encoder: an OpenAI chat chunk (the pivot every
 * translation goes through), a chunk carrying `error` (a mid-stream error), or the end.
 */
export type StreamItem = JsonObject | 'done';

/** Turns an upstream's stream events into chat chunks. */
export interface ChatChunkDecoder {
  decode(event: SseEvent): StreamItem[];
}

/** Turns chat chunks into the client's stream events (SSE text). */
export interface ChatChunkEncoder {
  encode(item: StreamItem): string;
  /** What to send when the upstream stream ends without its end marker. */
  end(): string;
}

/** An OpenAI-compatible upstream's stream: `data: {chunk}` lines and `data: [DONE]`. */
export class ChatSseDecoder implements ChatChunkDecoder {
  decode(event: SseEvent): StreamItem[] {
    if (event.data.trim() === '[DONE]') return ['done'];
    try {
      const chunk: unknown = JSON.parse(event.data);
      return isRecord(chunk) ? [chunk] : [];
    } catch {
      return [];
    }
  }
}

/** Chat chunks for a chat client, `[DONE]` last. */
export class ChatSseEncoder implements ChatChunkEncoder {
  private done = false;

  encode(item: StreamItem): string {
    if (item !== 'done') return sseFrame(item);
    return this.end();
  }

  end(): string {
    if (this.done) return '';
    this.done = true;
    return 'data: [DONE]\n\n';
  }
}
