import type { ConversationMessage, RequestView } from './signal.js';

/**
 * How much text a signal reads, so a 200k-token conversation costs about what a page does. Each
 * extractor declares its budget in UTF-16 code units; the pipeline hands it a view of at most
 * that much of the last user message, and of the conversation (newest turns first), before it
 * runs. Budgets are independent of the model behind a signal: a model reads only its own first
 * few hundred tokens anyway, and the windows below give it the beginning, the end and evenly
 * spaced samples of the middle. README "Long input" lists the budget of every signal type.
 */

/** Model-backed signals (embedding, complexity, domain, difficulty, jailbreak, language, PII): about 1k tokens. */
export const MODEL_TEXT_BUDGET = 4096;
/** Keyword rules: cheap linear scans, so they read 16× more of a long prompt. */
export const KEYWORD_TEXT_BUDGET = 65_536;
/** Every budget an extractor declares: the JSON worker samples a conversation it keeps off the loop to each. */
export const TEXT_BUDGETS: readonly number[] = [MODEL_TEXT_BUDGET, KEYWORD_TEXT_BUDGET];
/** An older turn gets no view when less than this much budget is left: a few words are no evidence. */
const MIN_TURN_BUDGET = 256;
/** Samples between the head and the tail window of a long text. */
const MIDDLE_SAMPLES = 4;
/** How far a window edge moves to land on whitespace rather than inside a word. */
const WORD_EDGE_SLACK = 48;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** A window edge moved forward to the next whitespace (within the slack), never inside a surrogate pair. */
function wordStart(text: string, at: number): number {
  if (at <= 0) return 0;
  for (let i = at; i < Math.min(text.length, at + WORD_EDGE_SLACK); i++) if (isWhitespace(text.charCodeAt(i))) return i + 1;
  return isLowSurrogate(text.charCodeAt(at)) ? at + 1 : at;
}

/** A window end moved back to the previous whitespace (within the slack), never inside a surrogate pair. */
function wordEnd(text: string, at: number): number {
  if (at >= text.length) return text.length;
  for (let i = at; i > Math.max(0, at - WORD_EDGE_SLACK); i--) if (isWhitespace(text.charCodeAt(i - 1))) return i - 1;
  return isLowSurrogate(text.charCodeAt(at)) ? at - 1 : at;
}

/**
 * At most `budget` code units of `text` (plus the line breaks joining the windows): the text
 * itself when it fits, else a head window, a tail window and evenly spaced samples of the middle,
 * each cut at whitespace and joined by line breaks, in text order. The instruction of a long
 * prompt is usually at its start or end, and the samples show what the bulk is. Cost: O(budget).
 */
export function sampledText(text: string, budget: number): string {
  if (text.length <= budget) return text;
  const edge = Math.floor(budget / 4);
  const sample = Math.floor((budget - 2 * edge) / MIDDLE_SAMPLES);
  const windows: [number, number][] = [[0, edge]];
  const middle = text.length - 2 * edge;
  for (let i = 0; i < MIDDLE_SAMPLES; i++) {
    const start = edge + Math.floor(((i + 0.5) * middle) / MIDDLE_SAMPLES - sample / 2);
    windows.push([start, start + sample]);
  }
  windows.push([text.length - edge, text.length]);
  return windows
    .map(([start, end]) => {
      const from = wordStart(text, start);
      return text.slice(from, Math.max(from, wordEnd(text, end)));
    })
    .filter((window) => window !== '')
    .join('\n');
}

/**
 * The conversation within `budget`: the newest messages first, each sampled to what is left, and
 * older ones dropped once less than a useful amount remains. Every earlier turn was the last user
 * message of an earlier request and was read in full then, so the newest turns are the ones that
 * need reading now.
 */
function boundedMessages(messages: readonly ConversationMessage[], budget: number): readonly ConversationMessage[] {
  let total = 0;
  for (const message of messages) total += message.text.length;
  if (total <= budget) return messages;
  const kept: ConversationMessage[] = [];
  let left = budget;
  for (let i = messages.length - 1; i >= 0 && left >= MIN_TURN_BUDGET; i--) {
    const message = messages[i]!;
    const text = sampledText(message.text, left);
    left -= text.length;
    kept.push(text === message.text ? message : { role: message.role, text });
  }
  return kept.reverse();
}

/**
 * The request as a signal with this text budget sees it: the last user message and the
 * conversation, each within `budget`. The conversation is sampled only if the signal reads it.
 */
export function boundedView(request: RequestView, budget: number): RequestView {
  const presampled = request.presampled?.get(budget);
  if (presampled !== undefined) return presampled;
  let messages: readonly ConversationMessage[] | undefined;
  return {
    headers: request.headers,
    lastUserText: sampledText(request.lastUserText, budget),
    get messages() {
      messages ??= boundedMessages(request.messages, budget);
      return messages;
    },
  };
}

/** UTF-8 size of every message's text of the conversation, samples or not. */
export function conversationBytes(request: RequestView): number {
  if (request.conversationBytes !== undefined) return request.conversationBytes;
  let bytes = 0;
  for (const message of request.messages) bytes += Buffer.byteLength(message.text, 'utf8');
  return bytes;
}

/**
 * The sampling above as plain JavaScript, defining `sampledText` and `boundedMessages`: the JSON
 * worker (src/router/json-worker.ts) runs it on texts too large to bring onto the event loop, so
 * a view it sends back is the one {@link boundedView} would make from the full text.
 */
export const BOUNDED_TEXT_SOURCE = [
  `const MIDDLE_SAMPLES = ${MIDDLE_SAMPLES};`,
  `const WORD_EDGE_SLACK = ${WORD_EDGE_SLACK};`,
  `const MIN_TURN_BUDGET = ${MIN_TURN_BUDGET};`,
  ...[isWhitespace, isLowSurrogate, wordStart, wordEnd, sampledText, boundedMessages].map(String),
].join('\n');
