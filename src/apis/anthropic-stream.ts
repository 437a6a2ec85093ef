import { randomUUID } from 'node:crypto';
import { anthropicUsageOf, chatUsageOf, finishReasonOf, stopReasonOf } from './anthropic-response.js';
import { ChatChunkEventEncoder, type ChatChunkDecoder, type StreamItem } from './chat-stream.js';
import type { SseEvent } from './sse-parser.js';
import { sseFrame } from './sse-parser.js';
import { isRecord, numberOf, recordsOf, stringOf, type JsonObject } from './wire-json.js';

/**
 * Anthropic's stream events (message_start, content_block_*, message_delta, message_stop) as
 * OpenAI chat chunks, event by event: text and tool-input deltas go out as they arrive, the
 * stop reason as the finish chunk, the usage as the usage chunk (when the client asked for it).
 */
export class AnthropicChunkDecoder implements ChatChunkDecoder {
  private id = `chatcmpl-${randomUUID()}`;
  private model: unknown = null;
  private readonly created = Math.floor(Date.now() / 1000);
  private inputUsage: JsonObject = {};
  /** Chat tool-call index of each Anthropic content block index that is a tool_use. */
  private readonly toolIndex = new Map<number, number>();

  constructor(private readonly includeUsage: boolean) {}

  decode(event: SseEvent): StreamItem[] {
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return [];
    }
    if (!isRecord(data)) return [];
    switch (data.type) {
      case 'message_start': {
        const message = isRecord(data.message) ? data.message : {};
        this.id = stringOf(message.id) ?? this.id;
        this.model = message.model ?? null;
        if (isRecord(message.usage)) this.inputUsage = message.usage;
        return [this.chunk({ role: 'assistant', content: '' })];
      }
      case 'content_block_start': {
        const block = isRecord(data.content_block) ? data.content_block : {};
        if (block.type !== 'tool_use') return [];
        const index = this.toolIndex.size;
        this.toolIndex.set(numberOf(data.index) ?? -1, index);
        return [this.chunk({ tool_calls: [{ index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }] })];
      }
      case 'content_block_delta': {
        const delta = isRecord(data.delta) ? data.delta : {};
        if (delta.type === 'text_delta') return [this.chunk({ content: delta.text })];
        if (delta.type === 'thinking_delta') return [this.chunk({ reasoning_content: delta.thinking })];
        const index = this.toolIndex.get(numberOf(data.index) ?? -1);
        if (delta.type === 'input_json_delta' && index !== undefined) return [this.chunk({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] })];
        return [];
      }
      case 'message_delta': {
        const delta = isRecord(data.delta) ? data.delta : {};
        const usage = chatUsageOf({ ...this.inputUsage, ...(isRecord(data.usage) ? data.usage : {}) });
        const finish = this.chunk({}, finishReasonOf(delta.stop_reason) ?? 'stop');
        return this.includeUsage && usage !== undefined ? [finish, { ...this.chunk({}), choices: [], usage }] : [finish];
      }
      case 'message_stop':
        return ['done'];
      case 'error':
        return [{ error: isRecord(data.error) ? data.error : { message: 'upstream stream error', type: 'api_error' } }];
      default:
        return [];
    }
  }

  private chunk(delta: JsonObject, finishReason: string | null = null): JsonObject {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finishReason }] };
  }
}

/**
 * OpenAI chat chunks as Anthropic's stream events. Text opens a text block, each tool call a
 * tool_use block; the stop reason and the usage (which OpenAI sends after the finish chunk) go
 * out in message_delta when the chat stream ends.
 */
export class AnthropicEventEncoder extends ChatChunkEventEncoder {
  private open: { index: number; kind: 'text' | 'tool'; toolIndex?: number } | undefined;
  private blocks = 0;
  private stopReason: string | null = null;

  protected error(error: JsonObject): string {
    return sseFrame({ type: 'error', error: { type: stringOf(error.type) ?? 'api_error', message: stringOf(error.message) ?? 'upstream error' } }, 'error');
  }

  protected choice(choice: JsonObject, delta: JsonObject): string {
    let out = '';
    if (typeof delta.content === 'string' && delta.content !== '') {
      if (this.open?.kind !== 'text') out += this.openBlock('text', { type: 'text', text: '' });
      out += sseFrame({ type: 'content_block_delta', index: this.open!.index, delta: { type: 'text_delta', text: delta.content } }, 'content_block_delta');
    }
    for (const call of recordsOf(delta.tool_calls)) {
      const fn = isRecord(call.function) ? call.function : {};
      const toolIndex = numberOf(call.index) ?? 0;
      if (this.open?.kind !== 'tool' || this.open.toolIndex !== toolIndex) {
        out += this.openBlock('tool', { type: 'tool_use', id: stringOf(call.id) ?? `toolu_${randomUUID()}`, name: fn.name ?? '', input: {} }, toolIndex);
      }
      if (typeof fn.arguments === 'string' && fn.arguments !== '') {
        out += sseFrame({ type: 'content_block_delta', index: this.open!.index, delta: { type: 'input_json_delta', partial_json: fn.arguments } }, 'content_block_delta');
      }
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
      out += this.closeBlock();
      this.stopReason = stopReasonOf(choice.finish_reason);
    }
    return out;
  }

  protected start(chunk: JsonObject): string {
    const message = { id: `msg_${stringOf(chunk.id) ?? randomUUID()}`, type: 'message', role: 'assistant', model: chunk.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } };
    return sseFrame({ type: 'message_start', message }, 'message_start');
  }

  private openBlock(kind: 'text' | 'tool', block: JsonObject, toolIndex?: number): string {
    const closed = this.closeBlock();
    this.open = { index: this.blocks, kind, ...(toolIndex === undefined ? {} : { toolIndex }) };
    this.blocks += 1;
    return closed + sseFrame({ type: 'content_block_start', index: this.open.index, content_block: block }, 'content_block_start');
  }

  private closeBlock(): string {
    if (this.open === undefined) return '';
    const index = this.open.index;
    this.open = undefined;
    return sseFrame({ type: 'content_block_stop', index }, 'content_block_stop');
  }

  protected finish(): string {
    const delta = { type: 'message_delta', delta: { stop_reason: this.stopReason ?? 'end_turn', stop_sequence: null }, usage: anthropicUsageOf(this.usage) };
    return this.closeBlock() + sseFrame(delta, 'message_delta') + sseFrame({ type: 'message_stop' }, 'message_stop');
  }
}
