import { AnthropicChunkDecoder, AnthropicEventEncoder } from './anthropic-stream.js';
import { anthropicMessageFromChat, chatCompletionFromAnthropic } from './anthropic-response.js';
import { translateErrorBody } from './api-errors.js';
import type { AnswerFormat, ClientApi } from './api-format.js';
import { ChatSseDecoder, ChatSseEncoder, type ChatChunkDecoder, type ChatChunkEncoder } from './chat-stream.js';
import { responseFromChat, ResponsesEventEncoder, type ResponseShell } from './responses-response.js';
import { SseParser } from './sse-parser.js';
import { isRecord, type JsonObject } from './wire-json.js';

/** How a routed request's answer is turned into the client's format: fixed when the request is translated. */
export interface AnswerTranslation {
  /** What the backend answers in. */
  readonly from: AnswerFormat;
  /** What the client reads. */
  readonly to: ClientApi;
  /** A chat client that asked for `stream_options.include_usage` gets the usage chunk. */
  readonly includeUsage: boolean;
  /** For a Responses client: the id and echoed fields of the response object. */
  readonly shell?: ResponseShell;
}

/**
 * Rewrites one answer body as it passes: `push` each chunk as it arrives and send what it
 * returns, then send what `end` returns. A stream is translated event by event, so nothing is
 * held back longer than a partial event; a JSON answer or an error is translated whole at the end.
 */
export interface AnswerTranslator {
  push(chunk: Buffer): Buffer;
  end(): Buffer;
}

const EMPTY = Buffer.alloc(0);

function chatCompletionOf(from: AnswerFormat, json: JsonObject): JsonObject {
  return from === 'anthropic' ? chatCompletionFromAnthropic(json) : json;
}

/** A chat completion as the client's object. */
function clientObject(translation: AnswerTranslation, completion: JsonObject): JsonObject {
  if (translation.to === 'messages') return anthropicMessageFromChat(completion);
  if (translation.to === 'responses') return responseFromChat(translation.shell!, completion);
  return completion;
}

function chunkDecoder(translation: AnswerTranslation): ChatChunkDecoder {
  return translation.from === 'anthropic' ? new AnthropicChunkDecoder(translation.includeUsage || translation.to !== 'chat') : new ChatSseDecoder();
}

function chunkEncoder(translation: AnswerTranslation): ChatChunkEncoder {
  if (translation.to === 'messages') return new AnthropicEventEncoder();
  if (translation.to === 'responses') return new ResponsesEventEncoder(translation.shell!);
  return new ChatSseEncoder();
}

class StreamTranslator implements AnswerTranslator {
  private readonly parser = new SseParser();
  private readonly decoder: ChatChunkDecoder;
  private readonly encoder: ChatChunkEncoder;

  constructor(translation: AnswerTranslation) {
    this.decoder = chunkDecoder(translation);
    this.encoder = chunkEncoder(translation);
  }

  push(chunk: Buffer): Buffer {
    return this.translate(this.parser.push(chunk));
  }

  end(): Buffer {
    const rest = this.translate(this.parser.end());
    const tail = this.encoder.end();
    return tail === '' ? rest : Buffer.concat([rest, Buffer.from(tail)]);
  }

  private translate(events: ReturnType<SseParser['push']>): Buffer {
    if (events.length === 0) return EMPTY;
    let out = '';
    for (const event of events) for (const item of this.decoder.decode(event)) out += this.encoder.encode(item);
    return out === '' ? EMPTY : Buffer.from(out);
  }
}

/** Collects a whole body (up to `limit` bytes), then rewrites it once. */
class WholeBodyTranslator implements AnswerTranslator {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  constructor(
    private readonly limit: number,
    private readonly rewrite: (body: Buffer | undefined) => Buffer,
  ) {}

  push(chunk: Buffer): Buffer {
    this.bytes += chunk.length;
    if (this.bytes <= this.limit) this.chunks.push(chunk);
    return EMPTY;
  }

  end(): Buffer {
    return this.rewrite(this.bytes > this.limit ? undefined : Buffer.concat(this.chunks, this.bytes));
  }
}

function jsonAnswer(translation: AnswerTranslation, body: Buffer | undefined): Buffer {
  if (body === undefined) return translateErrorBody(translation.to, 502, Buffer.from('{"error":{"message":"The model server\'s answer is larger than the translation buffer."}}'));
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return translateErrorBody(translation.to, 502, Buffer.from('{"error":{"message":"The model server\'s answer is not valid JSON."}}'));
  }
  if (!isRecord(json)) return translateErrorBody(translation.to, 502, Buffer.from('{"error":{"message":"The model server\'s answer is not a JSON object."}}'));
  return Buffer.from(JSON.stringify(clientObject(translation, chatCompletionOf(translation.from, json))));
}

/**
 * The translator for one answer, chosen from its status and content type: an error body (any
 * non-2xx) in the client's error format, an event stream event by event, a JSON answer whole.
 * `limit` bounds what a whole-body translation holds.
 */
export function answerTranslator(translation: AnswerTranslation, status: number, contentType: string, limit: number): AnswerTranslator {
  if (status < 200 || status > 299) return new WholeBodyTranslator(limit, (body) => translateErrorBody(translation.to, status, body ?? EMPTY));
  if (contentType.toLowerCase().startsWith('text/event-stream')) return new StreamTranslator(translation);
  return new WholeBodyTranslator(limit, (body) => jsonAnswer(translation, body));
}
