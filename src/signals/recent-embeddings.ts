import type { Embedder } from '../classifiers/embedder.js';

/** How many recent texts keep their vectors: enough for the requests in flight at once. */
const REMEMBERED_TEXTS = 64;

/**
 * An embedder that remembers the vectors of the texts it embedded last, so the stages of one
 * request that read the same text (embedding and complexity signals, feature classifiers, model
 * selection) share one embedding pass. The leased embedder is wrapped once per process.
 */
export class RecentEmbeddings implements Embedder {
  readonly dimensions: number;
  private readonly recent = new Map<string, Float32Array>();

  constructor(readonly inner: Embedder) {
    this.dimensions = inner.dimensions;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const found = new Map<string, Float32Array>();
    for (const text of texts) {
      const vector = this.recent.get(text);
      if (vector === undefined) continue;
      found.set(text, vector);
      // Refresh its place so the texts of a request in progress stay while older ones leave.
      this.recent.delete(text);
      this.recent.set(text, vector);
    }
    const missing = [...new Set(texts.filter((text) => !found.has(text)))];
    if (missing.length > 0) {
      const vectors = await this.inner.embed(missing);
      missing.forEach((text, i) => {
        found.set(text, vectors[i]!);
        this.remember(text, vectors[i]!);
      });
    }
    return texts.map((text) => found.get(text)!);
  }

  private remember(text: string, vector: Float32Array): void {
    this.recent.set(text, vector);
    if (this.recent.size > REMEMBERED_TEXTS) this.recent.delete(this.recent.keys().next().value!);
  }
}
