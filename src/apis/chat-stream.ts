import type { SseEvent } from './sse-parser.js';
import { sseFrame } from './sse-parser.js';
import { isRecord, recordsOf, type JsonObject } from './wire-json.js';

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

/**
 * The life of a translated stream, the same for every client format: the first chunk opens the
 * answer, each chunk's choice is written as it comes, the usage (which OpenAI sends after the
 * finish chunk) is kept for the end, a mid-stream error ends it, and the end closes it once.
 */
export abstract class ChatChunkEventEncoder implements ChatChunkEncoder {
  private started = false;
  private finished = false;
  /** The usage of the last chunk that carried one. */
  protected usage: unknown;

  encode(item: StreamItem): string {
    if (this.finished) return '';
    if (item === 'done') return this.end();
    if (isRecord(item.error)) {
      this.finished = true;
      return this.error(item.error);
    }
    let out = '';
    if (!this.started) {
      this.started = true;
      out = this.start(item);
    }
    if (item.usage !== undefined && item.usage !== null) this.usage = item.usage;
    const choice = recordsOf(item.choices)[0];
    return choice === undefined ? out : out + this.choice(choice, isRecord(choice.delta) ? choice.delta : {});
  }

  /** The upstream stream ended (with its end marker or without, as some servers just close). */
  end(): string {
    if (!this.started || this.finished) return '';
    this.finished = true;
    return this.finish();
  }

  /** The events that open the answer, from its first chunk. */
  protected abstract start(chunk: JsonObject): string;
  /** The events of one chunk's choice. */
  protected abstract choice(choice: JsonObject, delta: JsonObject): string;
  /** The events that close the answer. */
  protected abstract finish(): string;
  /** The event of a mid-stream error. */
  protected abstract error(error: JsonObject): string;
}
