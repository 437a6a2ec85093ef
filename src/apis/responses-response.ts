import { randomUUID } from 'node:crypto';
import { ChatChunkEventEncoder } from './chat-stream.js';
import { sseFrame } from './sse-parser.js';
import { isRecord, numberOf, recordsOf, stringOf, type JsonObject } from './wire-json.js';

/** What a Responses API answer repeats from its request, fixed when the request is translated. */
export interface ResponseShell {
  readonly id: string;
  readonly createdAt: number;
  /** The request's fields a response object echoes (instructions, tools, previous_response_id…). */
  readonly echo: JsonObject;
}

const ECHOED_FIELDS = ['instructions', 'max_output_tokens', 'metadata', 'parallel_tool_calls', 'previous_response_id', 'reasoning', 'store', 'temperature', 'text', 'tool_choice', 'tools', 'top_p', 'user'];
const ECHO_DEFAULTS: JsonObject = {
  instructions: null,
  max_output_tokens: null,
  metadata: {},
  parallel_tool_calls: true,
  previous_response_id: null,
  reasoning: { effort: null, summary: null },
  store: true,
  temperature: 1,
  text: { format: { type: 'text' } },
  tool_choice: 'auto',
  tools: [],
  top_p: 1,
};

export function responseShellOf(request: JsonObject): ResponseShell {
  const echo: JsonObject = { ...ECHO_DEFAULTS };
  for (const field of ECHOED_FIELDS) if (request[field] !== undefined && request[field] !== null) echo[field] = request[field];
  return { id: `resp_${randomUUID().replaceAll('-', '')}`, createdAt: Math.floor(Date.now() / 1000), echo };
}

/** Chat usage as Responses usage. */
function responsesUsageOf(usage: unknown): JsonObject | null {
  if (!isRecord(usage)) return null;
  const input = numberOf(usage.prompt_tokens) ?? 0;
  const output = numberOf(usage.completion_tokens) ?? 0;
  const cached = isRecord(usage.prompt_tokens_details) ? (numberOf(usage.prompt_tokens_details.cached_tokens) ?? 0) : 0;
  const reasoning = isRecord(usage.completion_tokens_details) ? (numberOf(usage.completion_tokens_details.reasoning_tokens) ?? 0) : 0;
  return { input_tokens: input, input_tokens_details: { cached_tokens: cached }, output_tokens: output, output_tokens_details: { reasoning_tokens: reasoning }, total_tokens: input + output };
}

function messageItem(id: string, text: string, status: string): JsonObject {
  return { id, type: 'message', status, role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] };
}

function functionCallItem(id: string, callId: unknown, name: unknown, args: string, status: string): JsonObject {
  return { id, type: 'function_call', status, call_id: callId, name, arguments: args };
}

function responseObject(shell: ResponseShell, model: unknown, status: string, output: JsonObject[], usage: JsonObject | null, finishReason: unknown): JsonObject {
  const incomplete = finishReason === 'length' ? { reason: 'max_output_tokens' } : finishReason === 'content_filter' ? { reason: 'content_filter' } : null;
  return {
    id: shell.id,
    object: 'response',
    created_at: shell.createdAt,
    status: status === 'completed' && incomplete !== null ? 'incomplete' : status,
    error: null,
    incomplete_details: status === 'completed' ? incomplete : null,
    model,
    output,
    usage,
    ...shell.echo,
  };
}

/** A chat completion (the non-streamed answer) as a Responses API response object. */
export function responseFromChat(shell: ResponseShell, completion: JsonObject): JsonObject {
  const choice = recordsOf(completion.choices)[0] ?? {};
  const message = isRecord(choice.message) ? choice.message : {};
  const output: JsonObject[] = [];
  if (typeof message.content === 'string' && message.content !== '') output.push(messageItem(`msg_${randomUUID()}`, message.content, 'completed'));
  for (const call of recordsOf(message.tool_calls)) {
    const fn = isRecord(call.function) ? call.function : {};
    output.push(functionCallItem(`fc_${randomUUID()}`, call.id, fn.name, stringOf(fn.arguments) ?? '{}', 'completed'));
  }
  return responseObject(shell, completion.model, 'completed', output, responsesUsageOf(completion.usage), choice.finish_reason);
}

/** An output item being streamed: the message text, or one function call's arguments. */
interface OpenItem {
  readonly outputIndex: number;
  readonly item: JsonObject;
  text: string;
}

/**
 * OpenAI chat chunks as Responses API stream events: response.created, then per output item
 * `output_item.added` / deltas (`output_text.delta`, `function_call_arguments.delta`) / `done`
 * events as the chunks arrive, and `response.completed` with the usage when the chat stream ends.
 */
export class ResponsesEventEncoder extends ChatChunkEventEncoder {
  private sequence = 0;
  private model: unknown = null;
  private readonly output: JsonObject[] = [];
  private message: OpenItem | undefined;
  /** Open function calls by chat tool-call index. */
  private readonly calls = new Map<number, OpenItem>();
  private finishReason: unknown;
  /** Output items before this index are done. */
  private closed = 0;

  constructor(private readonly shell: ResponseShell) {
    super();
  }

  protected error(error: JsonObject): string {
    return this.event('error', { code: error.code ?? null, message: stringOf(error.message) ?? 'upstream error', param: null });
  }

  protected choice(choice: JsonObject, delta: JsonObject): string {
    let out = '';
    if (typeof delta.content === 'string' && delta.content !== '') {
      if (this.message === undefined || this.message.outputIndex < this.closed) {
        this.message = this.openItem(messageItem(`msg_${randomUUID()}`, '', 'in_progress'));
        out += this.event('response.output_item.added', { output_index: this.message.outputIndex, item: { ...this.message.item, content: [] } });
        out += this.event('response.content_part.added', { ...this.at(this.message), content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
      }
      this.message.text += delta.content;
      out += this.event('response.output_text.delta', { ...this.at(this.message), content_index: 0, delta: delta.content, logprobs: [] });
    }
    for (const call of recordsOf(delta.tool_calls)) {
      const index = numberOf(call.index) ?? 0;
      const fn = isRecord(call.function) ? call.function : {};
      let open = this.calls.get(index);
      if (open === undefined) {
        // Items are sent one after the other: the text before a call is done when the call starts.
        out += this.closeItems();
        open = this.openItem(functionCallItem(`fc_${randomUUID()}`, call.id, fn.name, '', 'in_progress'));
        this.calls.set(index, open);
        out += this.event('response.output_item.added', { output_index: open.outputIndex, item: open.item });
      }
      if (typeof fn.arguments === 'string' && fn.arguments !== '') {
        open.text += fn.arguments;
        out += this.event('response.function_call_arguments.delta', { ...this.at(open), delta: fn.arguments });
      }
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) this.finishReason = choice.finish_reason;
    return out;
  }

  protected start(chunk: JsonObject): string {
    this.model = chunk.model ?? null;
    const shell = responseObject(this.shell, this.model, 'in_progress', [], null, null);
    return this.event('response.created', { response: shell }) + this.event('response.in_progress', { response: shell });
  }

  private openItem(item: JsonObject): OpenItem {
    const open = { outputIndex: this.output.length, item, text: '' };
    this.output.push(item);
    return open;
  }

  private at(open: OpenItem): JsonObject {
    return { item_id: open.item.id, output_index: open.outputIndex };
  }

  /** Closes the open items in output order, then the response. */
  protected finish(): string {
    const out = this.closeItems();
    const response = responseObject(this.shell, this.model, 'completed', this.output, responsesUsageOf(this.usage), this.finishReason);
    return out + this.event(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response });
  }

  /** The `done` events of every item not yet closed, in output order. */
  private closeItems(): string {
    let out = '';
    for (let index = this.closed; index < this.output.length; index += 1) {
      const item = this.output[index]!;
      if (item.type === 'message' && this.message !== undefined) {
        const text = this.message.text;
        out += this.event('response.output_text.done', { ...this.at(this.message), content_index: 0, text, logprobs: [] });
        out += this.event('response.content_part.done', { ...this.at(this.message), content_index: 0, part: { type: 'output_text', text, annotations: [] } });
        this.output[index] = messageItem(stringOf(item.id) ?? '', text, 'completed');
      } else {
        const open = [...this.calls.values()].find((call) => call.outputIndex === index)!;
        out += this.event('response.function_call_arguments.done', { ...this.at(open), arguments: open.text });
        this.output[index] = functionCallItem(stringOf(item.id) ?? '', item.call_id, item.name, open.text, 'completed');
      }
      out += this.event('response.output_item.done', { output_index: index, item: this.output[index] });
    }
    this.closed = this.output.length;
    return out;
  }

  private event(type: string, fields: JsonObject): string {
    const frame = sseFrame({ type, sequence_number: this.sequence, ...fields }, type);
    this.sequence += 1;
    return frame;
  }
}
