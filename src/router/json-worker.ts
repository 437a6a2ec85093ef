import { Worker } from 'node:worker_threads';
import { concatInSlices } from '../concat-in-slices.js';
import { BOUNDED_TEXT_SOURCE, TEXT_BUDGETS } from '../signals/bounded-text.js';
import type { ConversationMessage } from '../signals/signal.js';
import { LongStrings, PLACEHOLDER_END, PLACEHOLDER_START } from './long-strings.js';

/**
 * JSON.parse and JSON.stringify of a large request body off the event loop. Both are one
 * synchronous call that takes tens of milliseconds on a 10 MB body, holding every other request
 * of the process (gateway, sidecar and admin server share the loop). Above
 * {@link OFF_LOOP_JSON_BYTES} they run on one worker thread. The body goes over as a transferred
 * ArrayBuffer, copied a slice per event-loop turn first (postMessage of a Buffer would copy all
 * of it in one go, tens of milliseconds for 15 MB). A parse result comes back by structured clone,
 * which copies every string of it on the event loop in one call (a 10 MB string held the loop
 * 30-45 ms, most of it page faults on the fresh memory), so {@link parseCompactJsonOffLoop} keeps
 * long strings out of it: they come back as transferred buffers, and a placeholder stands in.
 */
export const OFF_LOOP_JSON_BYTES = 262_144;

/** A string longer than this never comes back to the event loop by clone. */
export const LONG_STRING_CHARS = 65_536;
/** Strings up to this length always do (the clone of many tiny strings is the structure's cost, not theirs). */
const SHORT_STRING_CHARS = 256;
/** Characters of strings other than message texts a compact parse clones back before it replaces every further one. */
const INLINE_STRING_CHARS = 1_048_576;
/**
 * Largest conversation (UTF-8 bytes of every message's text) whose texts come back whole; a larger
 * one comes back as samples (see bounded-text.ts) with its size. At least the `pii` plug-in's
 * scan limit, so that the plug-in has every text it scans (a unit test holds them together).
 */
export const INLINE_CONVERSATION_BYTES = 1_048_576;

/**
 * Whether JSON text nests arrays and objects deeper than `limit`, read from its bytes before any
 * parse: one linear pass that stops at the first bracket past the limit. It runs first because
 * V8's JSON.parse takes about 2 µs per nesting level (a 200 KB body of 100,000 `[` took 200 ms,
 * 5 million took 11 s on the worker). Brackets inside strings do not count; the rest of the
 * grammar is JSON.parse's job. Self-contained: the worker runs its source.
 */
export function nestsDeeperThan(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c) i++; // a backslash: the next byte is escaped
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > limit) return true;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return false;
}

/** Plain JavaScript (the depth check is the compiled function above), so the same worker runs under tsx, jest and the built dist/. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { randomBytes } = require('node:crypto');
${nestsDeeperThan.toString()}
${BOUNDED_TEXT_SOURCE}
const LONG_STRING_CHARS = ${LONG_STRING_CHARS};
const SHORT_STRING_CHARS = ${SHORT_STRING_CHARS};
const INLINE_STRING_CHARS = ${INLINE_STRING_CHARS};
const INLINE_CONVERSATION_BYTES = ${INLINE_CONVERSATION_BYTES};
const TEXT_BUDGETS = ${JSON.stringify(TEXT_BUDGETS)};
// Random per process, so no client text can pass for a placeholder.
const MARKER = ${JSON.stringify(PLACEHOLDER_START)} + randomBytes(8).toString('hex') + ':';
const encoder = new TextEncoder();

/** A message's text as the router reads it (chat-request.ts), without its checks: the event loop makes those. */
function textOf(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts = [];
  for (const part of content) if (part !== null && typeof part === 'object' && part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
  return texts.join('\\n');
}

/** The conversation's size, and when it is too large to clone back, its view sampled to every text budget. */
function sampledConversation(root) {
  const list = root !== null && typeof root === 'object' && Array.isArray(root.messages) ? root.messages : [];
  const messages = list.map((m) => (m !== null && typeof m === 'object' ? { role: typeof m.role === 'string' ? m.role : '', text: textOf(m.content) } : { role: '', text: '' }));
  let bytes = 0;
  for (const message of messages) bytes += Buffer.byteLength(message.text, 'utf8');
  if (bytes <= INLINE_CONVERSATION_BYTES) return undefined;
  const last = messages.findLast((message) => message.role === 'user');
  const lastUserText = last === undefined ? '' : last.text;
  return { conversationBytes: bytes, views: TEXT_BUDGETS.map((budget) => [budget, { lastUserText: sampledText(lastUserText, budget), messages: boundedMessages(messages, budget) }]) };
}

/**
 * Replaces, in place, the strings too long to clone back by placeholders, and returns their JSON
 * text (escaped, without quotes) as UTF-8. Message texts are kept whole unless the conversation
 * is sampled; other strings while they are short and the inline total lasts.
 */
function compact(root, textsSampled) {
  const strings = [];
  let inline = 0;
  const keep = (text, isMessageText) => {
    if (text.length <= SHORT_STRING_CHARS) return text;
    if (isMessageText ? !textsSampled : text.length <= LONG_STRING_CHARS && inline + text.length <= INLINE_STRING_CHARS) {
      if (!isMessageText) inline += text.length;
      return text;
    }
    strings.push(encoder.encode(JSON.stringify(text).slice(1, -1)));
    return MARKER + (strings.length - 1) + ${JSON.stringify(PLACEHOLDER_END)};
  };
  // Where a node sits: message texts are the root's messages[i].content, or its parts' text.
  const visit = (node, where) => {
    if (typeof node === 'string') return keep(node, where === 'content' || where === 'text');
    if (node === null || typeof node !== 'object') return node;
    if (Array.isArray(node)) {
      const inside = where === 'messages' ? 'message' : where === 'content' ? 'part' : 'other';
      for (let i = 0; i < node.length; i++) node[i] = visit(node[i], inside);
      return node;
    }
    for (const key of Object.keys(node)) {
      if (key.length > LONG_STRING_CHARS) throw Object.assign(new Error('has an object key of ' + key.length + ' characters, over the limit of ' + LONG_STRING_CHARS), { refused: true });
      const inside = where === 'root' && key === 'messages' ? 'messages' : where === 'message' && key === 'content' ? 'content' : where === 'part' && key === 'text' ? 'text' : 'other';
      node[key] = visit(node[key], inside);
    }
    return node;
  };
  return { value: visit(root, 'root'), strings };
}

parentPort.on('message', ({ id, op, payload, maxDepth }) => {
  try {
    if (op === 'parse' || op === 'parse-compact') {
      const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      // Too deep to parse quickly or to clone back safely (the serializer recurses): say so instead.
      if (nestsDeeperThan(bytes, maxDepth)) parentPort.postMessage({ id, tooDeep: true });
      else if (op === 'parse') parentPort.postMessage({ id, value: JSON.parse(bytes.toString('utf8')) });
      else {
        const parsed = JSON.parse(bytes.toString('utf8'));
        const sampled = sampledConversation(parsed);
        const { value, strings } = compact(parsed, sampled !== undefined);
        parentPort.postMessage({ id, value, strings, marker: MARKER, sampled }, strings.map((text) => text.buffer));
      }
    } else {
      const bytes = new Uint8Array(Buffer.from(JSON.stringify(payload)));
      parentPort.postMessage({ id, value: bytes }, [bytes.buffer]);
    }
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message), refused: error && error.refused === true });
  }
});
`;

/** A conversation too large to clone back, as the worker sampled it for signals. */
export interface SampledConversation {
  /** UTF-8 size of every message's full text. */
  readonly conversationBytes: number;
  /** The last user message and the conversation sampled to each of bounded-text.ts's budgets. */
  readonly views: readonly (readonly [budget: number, view: { readonly lastUserText: string; readonly messages: readonly ConversationMessage[] }])[];
}

interface WorkerReply {
  readonly id: number;
  readonly value?: unknown;
  readonly strings?: Uint8Array[];
  readonly marker?: string;
  readonly sampled?: SampledConversation;
  readonly tooDeep?: boolean;
  readonly refused?: boolean;
  readonly error?: string;
}

/**
 * A parse the worker refused: the body is not JSON (`message` is the parser's), nests too deep,
 * or (`refused`) is JSON the router does not take, such as an object key over {@link LONG_STRING_CHARS}.
 */
export class OffLoopJsonError extends Error {
  constructor(
    message: string,
    readonly tooDeep: boolean,
    readonly refused = false,
  ) {
    super(message);
    this.name = 'OffLoopJsonError';
  }
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }>();

/**
 * Starts the worker ahead of the first large body: creating a thread holds the event loop for
 * several milliseconds, which would otherwise land on that body's request. `serve` calls it at start.
 */
export function startJsonWorker(): void {
  jsonWorker();
}

function jsonWorker(): Worker {
  if (worker !== undefined) return worker;
  const started = new Worker(WORKER_SOURCE, { eval: true });
  started.on('message', (reply: WorkerReply) => {
    pending.get(reply.id)?.resolve(reply);
    pending.delete(reply.id);
    if (pending.size === 0) started.unref();
  });
  const fail = (error: Error): void => {
    worker = undefined;
    for (const job of pending.values()) job.reject(error);
    pending.clear();
  };
  started.on('error', fail);
  started.on('exit', (code) => fail(new Error(`the JSON worker exited with code ${code}`)));
  // An idle worker must not keep the process alive (adding a 'message' listener refs it, so this comes after).
  started.unref();
  worker = started;
  return started;
}

function run(op: 'parse' | 'parse-compact' | 'stringify', payload: unknown, maxDepth: number, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    const target = jsonWorker();
    // A job in flight keeps the process alive until its answer is back.
    if (pending.size === 0) target.ref();
    pending.set(id, { resolve, reject });
    target.postMessage({ id, op, payload, maxDepth }, transfer);
  });
}

async function parseOnWorker(op: 'parse' | 'parse-compact', body: Buffer, maxDepth: number): Promise<WorkerReply> {
  // Our own copy: the caller's body stays usable, and only a buffer nobody else views may be transferred.
  const copy = await concatInSlices([body]);
  const reply = await run(op, copy, maxDepth, [copy.buffer as ArrayBuffer]);
  if (reply.tooDeep === true) throw new OffLoopJsonError(`nests arrays and objects more than ${maxDepth} levels deep`, true);
  if (reply.error !== undefined) throw new OffLoopJsonError(reply.error, false, reply.refused === true);
  return reply;
}

/**
 * JSON.parse of a body on the worker; rejects with {@link OffLoopJsonError} on bad or too-deep
 * JSON. The whole value comes back by clone: for a body that may carry megabyte strings, use
 * {@link parseCompactJsonOffLoop}.
 */
export async function parseJsonOffLoop(body: Buffer, maxDepth: number): Promise<unknown> {
  return (await parseOnWorker('parse', body, maxDepth)).value;
}

/** A body parsed on the worker with its long strings kept off the event loop. */
export interface CompactJson {
  /** The parsed value, each long string replaced by a placeholder. */
  readonly value: unknown;
  /** The long strings, to splice back into JSON written from `value`; absent when there were none. */
  readonly longStrings?: LongStrings;
  /** Set when the body is a chat request whose conversation is over {@link INLINE_CONVERSATION_BYTES}. */
  readonly sampled?: SampledConversation;
}

/**
 * JSON.parse of a body on the worker, bringing back only what the event loop can take in a few
 * milliseconds: message texts of a conversation up to {@link INLINE_CONVERSATION_BYTES} (else
 * samples of them for signals), other strings up to {@link LONG_STRING_CHARS} while their total
 * stays under a megabyte. Every string left out comes back as its own transferred buffer, which
 * costs the loop nothing. Rejects like {@link parseJsonOffLoop}.
 */
export async function parseCompactJsonOffLoop(body: Buffer, maxDepth: number): Promise<CompactJson> {
  const reply = await parseOnWorker('parse-compact', body, maxDepth);
  const strings = reply.strings ?? [];
  return {
    value: reply.value,
    ...(strings.length === 0 ? {} : { longStrings: new LongStrings(reply.marker!, strings) }),
    ...(reply.sampled === undefined ? {} : { sampled: reply.sampled }),
  };
}

/** JSON.stringify of a value on the worker, as UTF-8 bytes. */
export async function stringifyJsonOffLoop(value: unknown): Promise<Buffer> {
  const reply = await run('stringify', value, 0);
  if (reply.error !== undefined) throw new Error(`JSON worker: ${reply.error}`);
  const bytes = reply.value as Uint8Array;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
