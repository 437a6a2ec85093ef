/** The part of an OpenAI chat request the stub reads. */
export interface StubChatRequest {
  readonly model?: unknown;
  readonly messages?: unknown;
  readonly stream?: unknown;
  readonly stream_options?: { readonly include_usage?: unknown } | null;
  readonly chat_template_kwargs?: unknown;
  readonly reasoning_effort?: unknown;
  readonly tools?: unknown;
  readonly tool_choice?: unknown;
  readonly logprobs?: unknown;
  readonly top_logprobs?: unknown;
}

interface ChatMessage {
  readonly role?: unknown;
  readonly content?: unknown;
}

/** Message content as text: a string, or the text parts of a content-part array. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: { type?: unknown; text?: unknown }) => (part?.type === 'text' && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

function messagesOf(request: StubChatRequest): ChatMessage[] {
  return Array.isArray(request.messages) ? (request.messages as ChatMessage[]) : [];
}

/**
 * The stub's answer: it names the model it is and the model asked for, echoes the reasoning
 * parameters, the system prompt(s) and the last user message it received, so tests can see what
 * routing, reasoning injection, system-prompt injection and redaction did to the request.
 */
export function stubAnswerText(stubModel: string, request: StubChatRequest): string {
  const messages = messagesOf(request);
  const system = messages.filter((message) => message.role === 'system').map((message) => contentText(message.content));
  const lastUser = lastUserMessage(request);
  const kwargs = request.chat_template_kwargs === undefined ? 'none' : JSON.stringify(request.chat_template_kwargs);
  const effort = request.reasoning_effort === undefined ? 'none' : String(request.reasoning_effort);
  return [
    `[stub ${stubModel}] model=${String(request.model ?? 'none')}`,
    `reasoning: chat_template_kwargs=${kwargs}; reasoning_effort=${effort}`,
    `system: ${system.length > 0 ? system.join(' | ') : 'none'}`,
    `user: ${lastUser === undefined ? 'none' : contentText(lastUser.content)}`,
    // A tool round trip shows the result the model was given.
    ...(messages.at(-1)?.role === 'tool' ? [`tool result: ${contentText(messages.at(-1)!.content)}`] : []),
  ].join('\n');
}

function lastUserMessage(request: StubChatRequest): ChatMessage | undefined {
  return [...messagesOf(request)].reverse().find((message) => message.role === 'user');
}

/** The last user message's text ('' when there is none). */
export function lastUserText(request: StubChatRequest): string {
  const message = lastUserMessage(request);
  return message === undefined ? '' : contentText(message.content);
}

/** How sure the stub says it is of each answer token, as a chat completion `logprobs` block would carry it. */
export interface TokenLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly bytes: number[];
  readonly top_logprobs: readonly { readonly token: string; readonly logprob: number; readonly bytes: number[] }[];
}

/**
 * The answer's tokens (whitespace words, each with the space before it) at one log-probability, with
 * `top` alternatives: the token itself and runners-up sharing what probability is left, as OpenAI's
 * `logprobs.content[]` entries.
 */
export function tokenLogprobs(text: string, logprob: number, top: number): TokenLogprob[] {
  const bytes = (token: string): number[] => [...Buffer.from(token)];
  const rest = Math.max(1e-9, 1 - Math.exp(logprob));
  return (text.match(/\s*\S+/g) ?? []).map((token) => ({
    token,
    logprob,
    bytes: bytes(token),
    top_logprobs: Array.from({ length: top }, (_, i) => {
      const alternative = i === 0 ? token : `${token}~${i}`;
      return { token: alternative, logprob: i === 0 ? logprob : Math.log(rest / 2 ** i), bytes: bytes(alternative) };
    }),
  }));
}

/** A rough token count (whitespace words) for the usage block; the stub needs stable numbers, not accuracy. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter((word) => word.length > 0).length;
}

/** Prompt "tokens": words over all message contents. */
export function promptWords(request: StubChatRequest): number {
  return messagesOf(request).reduce((sum, message) => sum + countWords(contentText(message.content)), 0);
}
