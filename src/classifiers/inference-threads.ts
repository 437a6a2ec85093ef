import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

/**
 * ONNX inference on worker threads. onnxruntime-node's `session.run` is a synchronous native call
 * made from a setImmediate on the JavaScript thread: a 500-token prompt through the sentence
 * encoder holds the event loop for several milliseconds, and every other request of the process
 * waits. Here each process has a small pool of threads that own the sessions; the event loop only
 * posts the input tensors and receives the outputs (transferred, not copied).
 *
 * Runs of a model whose inputs stack by rows (a batch dimension first, a padded second dimension)
 * are micro-batched: while every thread is busy, the runs that requests ask for queue per model,
 * and a thread that comes free takes all of one model's queued runs as a single `session.run`,
 * whose fixed cost (feeds, kernel dispatch, outputs) is then paid once for all of them.
 */

/** What a run gives back per output: its data and shape. */
export interface ModelOutput {
  readonly data: ort.Tensor['data'];
  readonly dims: readonly number[];
}

/** An ONNX model ready to run, in this thread or on the inference threads. */
export interface ModelSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Readonly<Record<string, ort.Tensor>>): Promise<Readonly<Record<string, ModelOutput>>>;
}

/**
 * How runs of one model join into one: every input and output has the batch as its first dimension;
 * an input's second dimension (when it varies, like a bag of n-gram ids) is padded to the widest with
 * `pad[input]`, a value the model must ignore (a zero weight). Models without it run one call each.
 */
export interface RowBatching {
  readonly pad: Readonly<Record<string, number>>;
}

/** The most rows one batched run takes: past it, the next run takes the rest. */
const MAX_BATCH_ROWS = 64;

/** Session options: one intra-op and one inter-op thread; the pool decides how many threads infer at once. */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

/** A tensor as it crosses threads: type, data and dims. */
type WireTensor = readonly [type: ort.Tensor.Type, data: ort.Tensor['data'], dims: readonly number[]];

/** Plain JavaScript, so the same thread runs under tsx, jest and the built dist/. */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.onnxruntime);
// Per model path: its session and how many open handles on the event loop's side use it.
const sessions = new Map();
const entryOf = (path) => {
  let entry = sessions.get(path);
  if (entry === undefined) sessions.set(path, (entry = { session: ort.InferenceSession.create(path, workerData.options), users: 0 }));
  return entry;
};
parentPort.on('message', async ({ id, op, path, feeds }) => {
  try {
    if (op === 'close') {
      const entry = sessions.get(path);
      if (entry === undefined || --entry.users > 0) return;
      sessions.delete(path);
      (await entry.session).release();
      return;
    }
    const entry = entryOf(path);
    const session = await entry.session;
    if (op === 'open') {
      entry.users += 1;
      parentPort.postMessage({ id, inputNames: session.inputNames, outputNames: session.outputNames });
      return;
    }
    const inputs = {};
    for (const name of Object.keys(feeds)) inputs[name] = new ort.Tensor(feeds[name][0], feeds[name][1], feeds[name][2]);
    const result = await session.run(inputs);
    const outputs = {};
    const transfer = [];
    for (const name of Object.keys(result)) {
      const tensor = result[name];
      outputs[name] = [tensor.type, tensor.data, tensor.dims];
      if (!transfer.includes(tensor.data.buffer)) transfer.push(tensor.data.buffer);
    }
    parentPort.postMessage({ id, outputs }, transfer);
  } catch (error) {
    if (op === 'open' && sessions.get(path) !== undefined && sessions.get(path).users === 0) sessions.delete(path);
    parentPort.postMessage({ id, error: String(error && error.message) });
  }
});
`;

interface Job {
  readonly feeds: Readonly<Record<string, ort.Tensor>>;
  readonly rows: number;
  resolve(outputs: Record<string, ModelOutput>): void;
  reject(error: Error): void;
}

interface Reply {
  readonly id: number;
  readonly error?: string;
  readonly inputNames?: string[];
  readonly outputNames?: string[];
  readonly outputs?: Record<string, WireTensor>;
}

class InferenceThread {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();

  get idle(): boolean {
    return this.pending.size === 0;
  }

  /** Posts one message and waits for its reply; the thread is (re)started when needed. */
  request(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const worker = this.started();
      // A run in flight keeps the process alive until its answer is back.
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** Posts a message that has no reply. */
  post(message: Record<string, unknown>): void {
    this.worker?.postMessage(message);
  }

  private started(): Worker {
    if (this.worker !== undefined) return this.worker;
    const onnxruntime = createRequire(import.meta.url).resolve('onnxruntime-node');
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { onnxruntime, options: SESSION_OPTIONS } });
    worker.on('message', (reply: Reply) => {
      const job = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      job?.resolve(reply);
      threadFreed();
    });
    // A thread that dies fails what it was running; the next request starts a new one, which opens its sessions again.
    const fail = (error: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const jobs = [...this.pending.values()];
      this.pending.clear();
      for (const job of jobs) job.reject(error);
      threadFreed();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`an inference thread exited with code ${code}`)));
    // An idle thread must not keep the process alive (a 'message' listener refs it, so this comes after).
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

/** Model runs asked for in this process, and the session.run calls that did them (fewer when runs were batched). */
const counts = { runs: 0, calls: 0 };

/** How many model runs were asked for so far and how many session.run calls did them. */
export function inferenceCounts(): { readonly runs: number; readonly calls: number } {
  return { ...counts };
}

/** Threads per process: SWITCHYARD_INFERENCE_THREADS, else one (0 runs inference on the event loop). */
export function inferenceThreadCount(env: NodeJS.ProcessEnv = process.env): number {
  const configured = env['SWITCHYARD_INFERENCE_THREADS'];
  if (configured === undefined || configured.trim() === '') return 1;
  const count = Number(configured);
  if (!Number.isInteger(count) || count < 0) throw new Error(`SWITCHYARD_INFERENCE_THREADS must be a whole number, got "${configured}"`);
  return count;
}

let threads: InferenceThread[] | undefined;
function pool(): InferenceThread[] {
  threads ??= Array.from({ length: Math.max(1, inferenceThreadCount()) }, () => new InferenceThread());
  return threads;
}

/** Sessions with queued runs, oldest first: the next free thread serves the first. */
const waiting: ThreadedSession[] = [];

function threadFreed(): void {
  for (const thread of pool()) {
    if (!thread.idle) continue;
    const session = waiting.shift();
    if (session === undefined) return;
    session.dispatch(thread);
  }
}

function toWire(tensor: ort.Tensor): WireTensor {
  return [tensor.type, tensor.data, tensor.dims];
}

/** The jobs' inputs stacked by rows, each padded to the widest second dimension. */
function stackedFeeds(jobs: readonly Job[], batching: RowBatching): { feeds: Record<string, WireTensor>; transfer: ArrayBuffer[] } {
  const feeds: Record<string, WireTensor> = {};
  const transfer: ArrayBuffer[] = [];
  const rows = jobs.reduce((sum, job) => sum + job.rows, 0);
  for (const name of Object.keys(jobs[0]!.feeds)) {
    const first = jobs[0]!.feeds[name]!;
    const width = Math.max(...jobs.map((job) => job.feeds[name]!.dims[1] ?? 1));
    const Data = first.data.constructor as new (length: number) => ort.Tensor['data'] & { fill(v: number | bigint): unknown; set(a: ArrayLike<number | bigint>, offset: number): void };
    const data = new Data(rows * width);
    const pad = batching.pad[name] ?? 0;
    if (pad !== 0) data.fill(first.type === 'int64' ? BigInt(pad) : pad);
    let row = 0;
    for (const job of jobs) {
      const tensor = job.feeds[name]!;
      const rowWidth = tensor.dims[1] ?? 1;
      const source = tensor.data as ArrayLike<number | bigint> & { subarray(start: number, end: number): ArrayLike<number | bigint> };
      for (let r = 0; r < job.rows; r++) data.set(source.subarray(r * rowWidth, (r + 1) * rowWidth), (row + r) * width);
      row += job.rows;
    }
    feeds[name] = [first.type, data, first.dims.length === 1 ? [rows] : [rows, width]];
    transfer.push((data as unknown as { buffer: ArrayBuffer }).buffer);
  }
  return { feeds, transfer };
}

/** A model whose sessions live on the inference threads. */
class ThreadedSession implements ModelSession {
  private readonly queue: Job[] = [];

  constructor(
    private readonly path: string,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
    private readonly batching: RowBatching | undefined,
  ) {}

  run(feeds: Readonly<Record<string, ort.Tensor>>): Promise<Record<string, ModelOutput>> {
    counts.runs += 1;
    return new Promise((resolve, reject) => {
      const rows = this.batching === undefined ? 1 : Object.values(feeds)[0]!.dims[0]!;
      this.queue.push({ feeds, rows, resolve, reject });
      const free = pool().find((thread) => thread.idle);
      if (free !== undefined && this.queue.length === 1) this.dispatch(free);
      else if (this.queue.length === 1) waiting.push(this);
    });
  }

  /** Sends this model's queued runs to `thread`: all of them as one when they stack, else the first. */
  dispatch(thread: InferenceThread): void {
    const jobs: Job[] = [];
    let rows = 0;
    do {
      const job = this.queue.shift()!;
      jobs.push(job);
      rows += job.rows;
    } while (this.batching !== undefined && this.queue.length > 0 && rows + this.queue[0]!.rows <= MAX_BATCH_ROWS);
    if (this.queue.length > 0) waiting.push(this);
    const { feeds, transfer } =
      jobs.length === 1 ? { feeds: Object.fromEntries(Object.entries(jobs[0]!.feeds).map(([name, tensor]) => [name, toWire(tensor)])), transfer: [] } : stackedFeeds(jobs, this.batching!);
    counts.calls += 1;
    thread.request({ op: 'run', path: this.path, feeds }, transfer).then(
      (reply) => {
        if (reply.error !== undefined) {
          for (const job of jobs) job.reject(new Error(reply.error));
          return;
        }
        let row = 0;
        for (const job of jobs) {
          const outputs: Record<string, ModelOutput> = {};
          for (const [name, [, data, dims]] of Object.entries(reply.outputs!)) {
            if (jobs.length === 1) {
              outputs[name] = { data, dims };
              continue;
            }
            const size = dims.slice(1).reduce((a, b) => a * b, 1);
            const view = (data as unknown as { subarray(start: number, end: number): ort.Tensor['data'] }).subarray(row * size, (row + job.rows) * size);
            outputs[name] = { data: view, dims: [job.rows, ...dims.slice(1)] };
          }
          row += job.rows;
          job.resolve(outputs);
        }
      },
      (error: Error) => jobs.forEach((job) => job.reject(error)),
    );
  }
}

/** Drops a model's sessions on the threads once nothing in this thread refers to its handle any more. */
const released = new FinalizationRegistry<string>((path) => {
  for (const thread of pool()) thread.post({ op: 'close', path });
});

/**
 * Opens an ONNX model: on the inference threads (the default), or in this thread when
 * SWITCHYARD_INFERENCE_THREADS is 0. `batching` says how concurrent runs of the model stack into one.
 */
export async function openModelSession(path: string, batching?: RowBatching): Promise<ModelSession> {
  if (inferenceThreadCount() === 0) {
    const session = await ort.InferenceSession.create(path, SESSION_OPTIONS);
    return {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      run: (feeds) => {
        counts.runs += 1;
        counts.calls += 1;
        return session.run(feeds);
      },
    };
  }
  // Every thread opens it now, so the first request does not pay for it; a failure names the model.
  const replies = await Promise.all(pool().map((thread) => thread.request({ op: 'open', path })));
  const failed = replies.find((reply) => reply.error !== undefined);
  if (failed !== undefined) throw new Error(`${path}: ${failed.error}`);
  const session = new ThreadedSession(path, replies[0]!.inputNames!, replies[0]!.outputNames!, batching);
  released.register(session, path);
  return session;
}
