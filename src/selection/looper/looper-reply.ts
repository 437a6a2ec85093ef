import { completionContentType, contentPieces } from '../../cache/cache-hit-reply.js';
import type { ImmediateReply, RoutingTrace } from '../../router/route-result.js';
import type { AnswerExtension, Completion } from './looper.js';

/** How the client asked for its answer. */
export interface ClientFormat {
  readonly stream: boolean;
  /** `stream_options.include_usage`. */
  readonly includeUsage: boolean;
  /** The client asked for `logprobs` itself (the looper always does). */
  readonly logprobs: boolean;
}

interface Choice {
  readonly index?: number;
  readonly message?: { readonly content?: unknown; readonly refusal?: unknown; readonly tool_calls?: unknown };
  readonly logprobs?: { readonly content?: unknown } | null;
  readonly finish_reason?: unknown;
}

type Chunk = (choices: unknown[], extra?: object) => string;

/** Content deltas of one choice: token by token with their logprobs when the client asked and they spell the content, else a few words each. */
function contentEvents(choice: Choice, index: number, format: ClientFormat, chunk: Chunk): string[] {
  const content = typeof choice.message?.content === 'string' ? choice.message.content : '';
  const tokens = choice.logprobs?.content;
  if (format.logprobs && Array.isArray(tokens) && tokens.map((entry: { token?: unknown }) => entry.token).join('') === content) {
    return tokens.map((entry: { token: string }) => chunk([{ index, delta: { content: entry.token }, logprobs: { content: [entry] }, finish_reason: null }]));
  }
  return contentPieces(content).map((piece) => chunk([{ index, delta: { content: piece }, logprobs: null, finish_reason: null }]));
}

/**
 * A chat completion as the SSE chunks an upstream would have streamed for it, ending in `[DONE]`;
 * an extension rides on the first chunk only.
 */
function eventStream(completion: Completion, format: ClientFormat, extension: AnswerExtension | undefined): string {
  const { choices: _choices, usage, object: _object, ...base } = completion;
  const chunk: Chunk = (choices, extra = {}) => `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`;
  const events: string[] = [];
  (completion.choices as Choice[]).forEach((choice, position) => {
    const index = choice.index ?? position;
    const message = choice.message ?? {};
    const first = events.length === 0 && extension !== undefined ? { [extension.name]: extension.value } : {};
    events.push(chunk([{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], first));
    events.push(...contentEvents(choice, index, format, chunk));
    if (typeof message.refusal === 'string') events.push(chunk([{ index, delta: { refusal: message.refusal }, logprobs: null, finish_reason: null }]));
    if (Array.isArray(message.tool_calls)) {
      const calls = message.tool_calls.map((call: object, k: number) => ({ index: k, ...call }));
      events.push(chunk([{ index, delta: { tool_calls: calls }, logprobs: null, finish_reason: null }]));
    }
    events.push(chunk([{ index, delta: {}, logprobs: null, finish_reason: choice.finish_reason ?? 'stop' }]));
  });
  if (format.includeUsage && usage !== undefined) events.push(chunk([], { usage }));
  events.push('data: [DONE]\n\n');
  return events.join('');
}

/**
 * The reply of a looper that holds its answer: the completion as it came (an upstream's id and
 * model, or one the looper composed), without the log-probabilities the looper asked for unless
 * the client asked too, as JSON or, for a streaming client, as SSE chunks. An extension (remom's
 * rounds) is one more top-level key of the JSON, or of the first chunk.
 */
export function looperReply(completion: Completion, format: ClientFormat, headers: readonly (readonly [string, string])[], trace: RoutingTrace, extension?: AnswerExtension): ImmediateReply {
  const answer = format.logprobs ? completion : { ...completion, choices: (completion.choices as Choice[]).map((choice) => ({ ...choice, logprobs: null })) };
  const json = extension === undefined ? answer : { ...answer, [extension.name]: extension.value };
  return {
    kind: 'immediate',
    status: 200,
    headers: [...completionContentType(format.stream), ...headers],
    body: Buffer.from(format.stream ? eventStream(answer, format, extension) : JSON.stringify(json)),
    trace,
    details: 'looper_answer',
  };
}
