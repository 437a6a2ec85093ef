import { Worker } from 'node:worker_threads';
import { concatInSlices } from '../concat-in-slices.js';

/**
 * JSON.parse and JSON.stringify of a large request body off the event loop. Both are one
 * synchronous call that takes tens of milliseconds on a 10 MB body, holding every other request
 * of the process (gateway, sidecar and admin server share the loop). Above
 * {@link OFF_LOOP_JSON_BYTES} they run on one worker thread. The body goes over as a transferred
 * ArrayBuffer, copied a slice per event-loop turn first (postMessage of a Buffer would copy all
 * of it in one go, tens of milliseconds for 15 MB); the result comes back by structured clone.
 */
export const OFF_LOOP_JSON_BYTES = 262_144;

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
${nestsDeeperThan.toString()}
parentPort.on('message', ({ id, op, payload, maxDepth }) => {
  try {
    if (op === 'parse') {
      const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      // Too deep to parse quickly or to clone back safely (the serializer recurses): say so instead.
      if (nestsDeeperThan(bytes, maxDepth)) parentPort.postMessage({ id, tooDeep: true });
      else parentPort.postMessage({ id, value: JSON.parse(bytes.toString('utf8')) });
    } else {
      const bytes = new Uint8Array(Buffer.from(JSON.stringify(payload)));
      parentPort.postMessage({ id, value: bytes }, [bytes.buffer]);
    }
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message) });
  }
});
`;

interface WorkerReply {
  readonly id: number;
  readonly value?: unknown;
  readonly tooDeep?: boolean;
  readonly error?: string;
}

/** A parse the worker refused: the body is not JSON (`message` is the parser's), or nests too deep. */
export class OffLoopJsonError extends Error {
  constructor(
    message: string,
    readonly tooDeep: boolean,
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

function run(op: 'parse' | 'stringify', payload: unknown, maxDepth: number, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    const target = jsonWorker();
    // A job in flight keeps the process alive until its answer is back.
    if (pending.size === 0) target.ref();
    pending.set(id, { resolve, reject });
    target.postMessage({ id, op, payload, maxDepth }, transfer);
  });
}

/** JSON.parse of a body on the worker; rejects with {@link OffLoopJsonError} on bad or too-deep JSON. */
export async function parseJsonOffLoop(body: Buffer, maxDepth: number): Promise<unknown> {
  // Our own copy: the caller's body stays usable, and only a buffer nobody else views may be transferred.
  const copy = await concatInSlices([body]);
  const reply = await run('parse', copy, maxDepth, [copy.buffer as ArrayBuffer]);
  if (reply.tooDeep === true) throw new OffLoopJsonError(`nests arrays and objects more than ${maxDepth} levels deep`, true);
  if (reply.error !== undefined) throw new OffLoopJsonError(reply.error, false);
  return reply.value;
}

/** JSON.stringify of a value on the worker, as UTF-8 bytes. */
export async function stringifyJsonOffLoop(value: unknown): Promise<Buffer> {
  const reply = await run('stringify', value, 0);
  if (reply.error !== undefined) throw new Error(`JSON worker: ${reply.error}`);
  const bytes = reply.value as Uint8Array;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
