import { concatInSlices, COPY_SLICE_BYTES } from '../concat-in-slices.js';
import { extProcFieldNumber } from './envoy-protos.js';

/**
 * Protobuf encoding of ext_proc messages that carry a large body, without one large copy on the
 * event loop. grpc-js serialises a message synchronously in `write` (protobufjs copies the body
 * into one new buffer: for 10 MB, 30-120 ms on-CPU on the 2-core VM, mostly page faults) before
 * its own framing copy. Here the message is encoded with the body left empty (small), and the
 * body is spliced in where protobufjs wrote the empty field, every enclosing length fixed, the
 * whole assembled a slice per event-loop turn. The result is byte for byte what protobufjs would
 * have written, and goes through the call's serializer as an {@link EncodedMessage}.
 *
 * Left inside grpc-js, and not splittable from here: the framing copy on send (5 header bytes
 * plus the message, one new buffer) and the `Buffer.concat` of a received message's frames.
 */

/** Bodies from this size on are encoded by {@link encodeLargeBody}; smaller ones go the usual way. */
export const LARGE_BODY_BYTES = COPY_SLICE_BYTES;

/** A message encoded already: the serializer passes its bytes through. */
export class EncodedMessage {
  constructor(readonly bytes: Buffer) {}
}

/** A call serializer that passes {@link EncodedMessage}s through and encodes anything else with `serialize`. */
export function passingEncoded<T>(serialize: (value: T) => Buffer): (value: T | EncodedMessage) => Buffer {
  return (value) => (value instanceof EncodedMessage ? value.bytes : serialize(value));
}

/** A field on the way to the body: its name in the decoded object and its protobuf number. */
export interface FieldStep {
  readonly name: string;
  readonly number: number;
}

const EMPTY = Buffer.alloc(0);
const LENGTH_DELIMITED = 2;

function readVarint(bytes: Buffer, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, i + 1];
    scale *= 128;
  }
  throw new Error('truncated varint');
}

function varint(value: number): Buffer {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

/** Byte ranges of the last length-delimited field numbered `number` in one encoded message. */
function lastField(bytes: Buffer, number: number): { start: number; valueStart: number; valueEnd: number; keyEnd: number } {
  let found: { start: number; valueStart: number; valueEnd: number; keyEnd: number } | undefined;
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    const [key, keyEnd] = readVarint(bytes, at);
    const wireType = key % 8;
    at = keyEnd;
    if (wireType === 0) at = readVarint(bytes, at)[1];
    else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else if (wireType === LENGTH_DELIMITED) {
      const [length, valueStart] = readVarint(bytes, at);
      at = valueStart + length;
      if (Math.floor(key / 8) === number) found = { start, keyEnd, valueStart, valueEnd: at };
    } else throw new Error(`unexpected protobuf wire type ${wireType}`);
  }
  if (found === undefined) throw new Error(`field ${number} is not in the encoded message`);
  return found;
}

/** The pieces of `bytes` with the empty field at `numbers` replaced by `body`, and their total length. */
function splice(bytes: Buffer, numbers: readonly number[], body: Buffer): { pieces: Buffer[]; length: number } {
  const field = lastField(bytes, numbers[0]!);
  let inner: { pieces: Buffer[]; length: number };
  if (numbers.length === 1) {
    if (field.valueEnd !== field.valueStart) throw new Error(`field ${numbers[0]} was expected empty`);
    inner = { pieces: [body], length: body.length };
  } else {
    inner = splice(bytes.subarray(field.valueStart, field.valueEnd), numbers.slice(1), body);
  }
  const head = Buffer.concat([bytes.subarray(field.start, field.keyEnd), varint(inner.length)]);
  const before = bytes.subarray(0, field.start);
  const after = bytes.subarray(field.valueEnd);
  return { pieces: [before, head, ...inner.pieces, after], length: before.length + head.length + inner.length + after.length };
}

type Decoded = Readonly<Record<string, unknown>>;

/** `message` with the value at `path` replaced (copies along the path only). */
function withValueAt(message: Decoded, path: readonly FieldStep[], value: unknown): Decoded {
  const [step, ...rest] = path;
  const current = message[step!.name] as Decoded;
  return { ...message, [step!.name]: rest.length === 0 ? value : withValueAt(current, rest, value) };
}

/** The Buffer at `path` of a decoded message, if there is one. */
export function bodyAt(message: Decoded, path: readonly FieldStep[]): Buffer | undefined {
  let node: unknown = message;
  for (const step of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Decoded)[step.name];
  }
  return Buffer.isBuffer(node) ? node : undefined;
}

/**
 * The encoding of `message`, whose bytes field at `path` holds a large body: `serialize` (the
 * call's own protobufjs serializer) encodes the rest, the body is spliced in, and the bytes are
 * assembled without holding the event loop.
 */
export async function encodeLargeBody(serialize: (value: Decoded) => Buffer, message: Decoded, path: readonly FieldStep[]): Promise<EncodedMessage> {
  const body = bodyAt(message, path);
  if (body === undefined) throw new Error(`no body at ${path.map((step) => step.name).join('.')}`);
  const small = serialize(withValueAt(message, path, EMPTY));
  const { pieces, length } = splice(small, path.map((step) => step.number), body);
  return new EncodedMessage(await concatInSlices(pieces, length));
}

const V3 = 'envoy.service.ext_proc.v3';

function steps(...path: (readonly [typeName: string, field: string])[]): FieldStep[] {
  return path.map(([typeName, field]) => ({ name: field, number: extProcFieldNumber(`${V3}.${typeName}`, field) }));
}

/** Where a body sits in what the gateway (Envoy's place) sends: `request_body.body`, `response_body.body`. */
export function processingRequestBodyPaths(): FieldStep[][] {
  return ['request_body', 'response_body'].map((phase) => steps(['ProcessingRequest', phase], ['HttpBody', 'body']));
}

/** Where a body sits in what the sidecar answers: `<phase>.response.body_mutation.body`. */
export function processingResponseBodyPaths(): FieldStep[][] {
  return ['request_body', 'response_body'].map((phase) =>
    steps(['ProcessingResponse', phase], ['BodyResponse', 'response'], ['CommonResponse', 'body_mutation'], ['BodyMutation', 'body']),
  );
}

/** The end of a gRPC stream that messages are written to. */
interface WritableCall {
  write(message: unknown): unknown;
  end(): unknown;
}

/**
 * Writes messages to a call in order, a message with a body of {@link LARGE_BODY_BYTES} or more
 * encoded first by {@link encodeLargeBody} (the call's serializer must pass {@link EncodedMessage}s
 * through: {@link passingEncoded}). Messages after it, and the end, wait their turn.
 */
export class LargeBodyWriter {
  private queue: Promise<void> = Promise.resolve();
  private waiting = 0;
  private stopped = false;

  constructor(
    private readonly call: WritableCall,
    private readonly serialize: (value: Decoded) => Buffer,
    private readonly paths: readonly (readonly FieldStep[])[],
  ) {}

  write(message: Decoded): void {
    const path = this.paths.find((candidate) => (bodyAt(message, candidate)?.length ?? 0) >= LARGE_BODY_BYTES);
    if (path === undefined && this.waiting === 0) {
      this.call.write(message);
      return;
    }
    // Encoding starts now, alongside anything queued; a failure falls back to grpc-js's own encoding.
    const encoded = path === undefined ? Promise.resolve<Decoded | EncodedMessage>(message) : encodeLargeBody(this.serialize, message, path).catch(() => message);
    this.enqueue(async () => {
      const ready = await encoded;
      if (!this.stopped) this.call.write(ready);
    });
  }

  end(): void {
    if (this.waiting === 0) this.call.end();
    else this.enqueue(() => (this.stopped ? undefined : void this.call.end()));
  }

  /** Nothing queued is written any more (the call was cancelled). */
  stop(): void {
    this.stopped = true;
  }

  private enqueue(step: () => Promise<void> | void): void {
    this.waiting += 1;
    // A write that throws (a stream torn down under it) must not stall what comes after.
    this.queue = this.queue
      .then(step)
      .catch(() => undefined)
      .finally(() => {
        this.waiting -= 1;
      });
  }
}
