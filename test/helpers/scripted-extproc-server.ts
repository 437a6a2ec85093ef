import * as grpc from '@grpc/grpc-js';
import { loadExtProcDefinitions } from '../../src/extproc/envoy-protos.js';
import type { ProcessingRequest } from '../../src/extproc/ext-proc-messages.js';
import { InProcessExtProcTransport } from '../../src/extproc/in-process-transport.js';
import type { ExtProcTransport } from '../../src/gateway/ext-proc-transport.js';

/** How the client (the gateway) ended a call, as the server saw it. */
export type CallEnd = 'cancelled' | 'half-closed';

/**
 * Any ProcessingResponse object, loosely typed on purpose: tests send malformed replies
 * (both `value` and `raw_value`, wrong oneof, empty message) to see the gateway reject them.
 */
export type ScriptedReply = Record<string, unknown>;

/** One ext_proc call as a test script drives it. */
export interface ScriptedStream {
  /** Every message received so far, in order. */
  readonly received: ProcessingRequest[];
  /** Settles when the client cancels or half-closes the call. */
  readonly ended: Promise<CallEnd>;
  /** The next message, or undefined once the client ended the call. */
  next(): Promise<ProcessingRequest | undefined>;
  reply(response: ScriptedReply): void;
  /** Ends the call with status OK. */
  closeOk(): void;
  /** Ends the call with an error status. */
  fail(code: grpc.status, message: string): void;
}

/** What the server does with each call. */
export type ExtProcScript = (stream: ScriptedStream) => Promise<void>;

export interface ScriptedExtProcServer {
  readonly port: number;
  /** The same server for a gateway in this process: the same script, streams recorded in the same list. */
  readonly inProcess: ExtProcTransport;
  /** Calls in arrival order. */
  readonly streams: ScriptedStream[];
  /** Replaces the script used for new calls. */
  setScript(script: ExtProcScript): void;
  close(): Promise<void>;
}

/** What a script's stream uses of a server call; grpc-js's and the in-process one both have it. */
type ServerCall = Pick<grpc.ServerDuplexStream<ProcessingRequest, ScriptedReply>, 'on' | 'write' | 'end' | 'emit' | 'cancelled'>;

class RecordingStream implements ScriptedStream {
  readonly received: ProcessingRequest[] = [];
  readonly ended: Promise<CallEnd>;
  private readonly queue: ProcessingRequest[] = [];
  private readonly waiters: ((message: ProcessingRequest | undefined) => void)[] = [];
  private done = false;
  private finished = false;

  constructor(private readonly call: ServerCall) {
    this.ended = new Promise((resolve) => {
      call.on('cancelled', () => this.end('cancelled', resolve));
      // A reset also ends the readable side; only a half-close that is not followed by CANCELLED counts.
      call.on('end', () => setTimeout(() => this.end(call.cancelled ? 'cancelled' : 'half-closed', resolve), 50));
      call.on('error', () => this.end('cancelled', resolve));
    });
    call.on('data', (message: ProcessingRequest) => {
      this.received.push(message);
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter(message);
      else this.queue.push(message);
    });
  }

  next(): Promise<ProcessingRequest | undefined> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.done) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  reply(response: ScriptedReply): void {
    if (!this.finished && !this.done) this.call.write(response);
  }

  closeOk(): void {
    if (this.finished) return;
    this.finished = true;
    this.call.end();
  }

  fail(code: grpc.status, message: string): void {
    if (this.finished) return;
    this.finished = true;
    this.call.emit('error', { code, details: message, metadata: new grpc.Metadata() });
  }

  private end(how: CallEnd, resolve: (how: CallEnd) => void): void {
    this.done = true;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
    resolve(how);
  }
}

/**
 * A real grpc-js ExternalProcessor server on 127.0.0.1:0 whose behaviour each test scripts,
 * recording everything the gateway sent.
 */
export async function startScriptedExtProcServer(initialScript: ExtProcScript): Promise<ScriptedExtProcServer> {
  let script = initialScript;
  const streams: ScriptedStream[] = [];
  const server = new grpc.Server();
  const serve = (call: ServerCall): void => {
    const stream = new RecordingStream(call);
    streams.push(stream);
    void script(stream).catch(() => stream.fail(grpc.status.INTERNAL, 'script failed'));
  };
  server.addService(loadExtProcDefinitions().service, { Process: serve });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    port,
    inProcess: new InProcessExtProcTransport((call) => serve(call as unknown as ServerCall)),
    streams,
    setScript(next) {
      script = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

/** The kind of a received message. */
export function kindOf(message: ProcessingRequest): string {
  return message.request ?? 'none';
}

/** A reply per message kind; a function may return one reply, several, or nothing (no reply). */
export type ReplyPlan = Partial<Record<string, (message: ProcessingRequest, stream: ScriptedStream) => ScriptedReply | ScriptedReply[] | undefined>>;

/**
 * A script that answers every message: with the plan's reply for that kind, or with an empty
 * "continue" reply of the matching type.
 */
export function replyPlan(plan: ReplyPlan = {}): ExtProcScript {
  return async (stream) => {
    for (let message = await stream.next(); message !== undefined; message = await stream.next()) {
      const kind = kindOf(message);
      const planned = plan[kind];
      const replies = planned === undefined ? { [kind]: {} } : planned(message, stream);
      for (const reply of replies === undefined ? [] : Array.isArray(replies) ? replies : [replies]) stream.reply(reply);
    }
  };
}

/** A `HeaderValueOption` as a correct server writes it. */
export function setHeader(key: string, value: string, append = false): ScriptedReply {
  return { header: { key, raw_value: Buffer.from(value, 'latin1') }, append: { value: append } };
}

/** Header list of a received headers message, as [name, value] pairs. */
export function headerPairs(message: ProcessingRequest | undefined): [string, string][] {
  const headers = message?.request_headers ?? message?.response_headers;
  return (headers?.headers?.headers ?? []).map((entry) => [entry.key, (entry.raw_value ?? Buffer.alloc(0)).toString('latin1')]);
}
