import type { Readable } from 'node:stream';
import { concatInSlices, COPY_SLICE_BYTES } from '../concat-in-slices.js';

/** How buffering a body ended. */
export type CollectedBody =
  | { readonly kind: 'complete'; readonly body: Buffer }
  /** BUFFERED_PARTIAL reached the limit: what was read so far; the rest stays in the source. */
  | { readonly kind: 'partial'; readonly body: Buffer }
  /** BUFFERED went over the limit (413 on requests, 500 on responses). */
  | { readonly kind: 'overflow' }
  /** The source failed or closed before its end (client or upstream went away). */
  | { readonly kind: 'aborted' };

/**
 * Buffers a body up to Envoy's buffer limit, starting at once so data that arrives while a
 * headers reply is outstanding is held and counts toward the limit (§2.3). `detach()` hands
 * the held chunks back when a mode_override turns buffering off.
 */
export class BodyCollector {
  readonly result: Promise<CollectedBody>;
  private chunks: Buffer[] = [];
  private size = 0;
  private settle!: (result: CollectedBody | Promise<CollectedBody>) => void;
  private settled = false;

  constructor(
    private readonly source: Readable,
    private readonly limitBytes: number,
    private readonly stopAtLimit: boolean,
  ) {
    this.result = new Promise((resolve) => {
      this.settle = resolve;
    });
    source.on('data', this.onData);
    source.on('end', this.onEnd);
    source.on('error', this.onAbort);
    source.on('close', this.onAbort);
  }

  /** Stops reading and returns what is held; the source is left paused for whoever reads on. */
  detach(): Buffer[] {
    this.finish(undefined);
    const held = this.chunks;
    this.chunks = [];
    return held;
  }

  private readonly onData = (chunk: Buffer): void => {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size <= this.limitBytes) return;
    if (this.stopAtLimit) this.finish(this.assembled('partial'));
    else this.finish({ kind: 'overflow' });
  };

  private readonly onEnd = (): void => this.finish(this.assembled('complete'));

  /** The held chunks as one buffer; a large body is copied a slice per event-loop turn. */
  private async assembled(kind: 'complete' | 'partial'): Promise<CollectedBody> {
    const body = this.size <= COPY_SLICE_BYTES ? Buffer.concat(this.chunks, this.size) : await concatInSlices(this.chunks, this.size);
    return { kind, body };
  }

  private readonly onAbort = (): void => this.finish({ kind: 'aborted' });

  private finish(result: CollectedBody | Promise<CollectedBody> | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.source.off('data', this.onData);
    this.source.off('end', this.onEnd);
    this.source.off('error', this.onAbort);
    this.source.off('close', this.onAbort);
    this.source.pause();
    if (result !== undefined) this.settle(result);
  }
}
