/**
 * Messages between the cluster primary and a worker over the IPC channel node:cluster opens
 * (structured-clone serialisation, so typed arrays and Maps cross as they are). Either side can
 * call a method on the other and await its answer, or send a one-way event. Every message carries
 * the `switchyard` tag so node:cluster's own internal messages are left alone.
 */

/** What a process end of the IPC channel offers (`process` in a worker, a `cluster.Worker` in the primary). */
export interface IpcPort {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

type ChannelMessage =
  | { readonly switchyard: 'call'; readonly id: number; readonly method: string; readonly args: readonly unknown[] }
  | { readonly switchyard: 'reply'; readonly id: number; readonly ok: boolean; readonly value: unknown }
  | { readonly switchyard: 'event'; readonly topic: string; readonly payload: unknown };

function isChannelMessage(message: unknown): message is ChannelMessage {
  return typeof message === 'object' && message !== null && typeof (message as { switchyard?: unknown }).switchyard === 'string';
}

/** Answers a call; what it returns (or throws) goes back to the caller. */
export type MethodHandler = (...args: never[]) => unknown;

/** One end of the channel. */
export class ClusterChannel {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  readonly #methods = new Map<string, MethodHandler>();
  readonly #topics = new Map<string, Set<(payload: never) => void>>();
  readonly #listener = (message: unknown): void => this.#receive(message);
  #closed = false;

  constructor(private readonly port: IpcPort) {
    port.on('message', this.#listener);
  }

  /** Calls `method` on the other side; rejects when it throws, or when the channel closes first. */
  call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(`cluster channel closed (calling ${method})`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#post({ switchyard: 'call', id, method, args });
    });
  }

  /** Sends a one-way event. */
  emit(topic: string, payload: unknown): void {
    if (!this.#closed) this.#post({ switchyard: 'event', topic, payload });
  }

  /** Serves `method` for calls from the other side. */
  handle(method: string, handler: MethodHandler): void {
    this.#methods.set(method, handler);
  }

  /** Hears `topic` events from the other side; returns the unsubscribe function. */
  on<T>(topic: string, listener: (payload: T) => void): () => void {
    let listeners = this.#topics.get(topic);
    if (listeners === undefined) this.#topics.set(topic, (listeners = new Set()));
    listeners.add(listener as (payload: never) => void);
    return () => listeners.delete(listener as (payload: never) => void);
  }

  /** Stops listening; calls still waiting reject (the other process went away). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.port.off('message', this.#listener);
    for (const pending of this.#pending.values()) pending.reject(new Error('cluster channel closed'));
    this.#pending.clear();
  }

  #post(message: ChannelMessage): void {
    try {
      this.port.send(message);
    } catch (error) {
      // The other process is exiting: a call fails like a closed channel, an event is dropped.
      if (message.switchyard === 'call') {
        this.#pending.get(message.id)?.reject(error as Error);
        this.#pending.delete(message.id);
      }
    }
  }

  #receive(message: unknown): void {
    if (!isChannelMessage(message)) return;
    if (message.switchyard === 'reply') {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.ok) pending?.resolve(message.value);
      else pending?.reject(new Error(String(message.value)));
      return;
    }
    if (message.switchyard === 'event') {
      for (const listener of this.#topics.get(message.topic) ?? []) listener(message.payload as never);
      return;
    }
    const handler = this.#methods.get(message.method);
    const { id } = message;
    if (handler === undefined) {
      this.#post({ switchyard: 'reply', id, ok: false, value: `no method ${message.method}` });
      return;
    }
    Promise.resolve()
      .then(() => (handler as (...args: unknown[]) => unknown)(...message.args))
      .then(
        (value) => this.#post({ switchyard: 'reply', id, ok: true, value }),
        (error: unknown) => this.#post({ switchyard: 'reply', id, ok: false, value: error instanceof Error ? error.message : String(error) }),
      );
  }
}
