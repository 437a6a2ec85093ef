import hnswlib from 'hnswlib-node';
import type { HnswSettings } from '../config/runtime-config.js';

/** One search result: a label and its inner-product distance (1 − dot product). */
export interface Neighbour {
  readonly label: number;
  readonly distance: number;
}

const INITIAL_SLOTS = 1024;
const RANDOM_SEED = 100;

/**
 * An HNSW graph (hnswlib) over unit vectors with inner-product distance, bounded to `capacity`
 * points. Removal marks a point deleted and the next insert takes its slot
 * (`allowReplaceDeleted`), so evictions never leave the graph full of dead points; storage
 * grows by doubling up to `capacity` instead of being allocated up front.
 */
export class HnswVectorIndex {
  private readonly index: hnswlib.HierarchicalNSW;
  private readonly labels = new Set<number>();
  private deleted = 0;
  private slots: number;

  constructor(
    readonly dimensions: number,
    private readonly capacity: number,
    settings: HnswSettings,
  ) {
    this.index = new hnswlib.HierarchicalNSW('ip', dimensions);
    this.slots = Math.min(capacity, INITIAL_SLOTS);
    this.index.initIndex({ maxElements: this.slots, m: settings.m, efConstruction: settings.efConstruction, randomSeed: RANDOM_SEED, allowReplaceDeleted: true });
    this.index.setEf(settings.efSearch);
  }

  /** Live points. */
  get size(): number {
    return this.labels.size;
  }

  has(label: number): boolean {
    return this.labels.has(label);
  }

  /** Adds a point; throws when the index already holds `capacity` live points (the caller evicts first). */
  add(label: number, vector: Float32Array): void {
    if (vector.length !== this.dimensions) throw new Error(`vector has ${vector.length} dimensions, the index ${this.dimensions}`);
    if (this.labels.has(label)) throw new Error(`label ${label} is already in the index`);
    if (this.labels.size >= this.capacity) throw new Error(`the index is full (${this.capacity} points)`);
    const reuse = this.deleted > 0;
    if (!reuse && this.labels.size >= this.slots) {
      this.slots = Math.min(this.capacity, this.slots * 2);
      this.index.resizeIndex(this.slots);
    }
    this.index.addPoint(Array.from(vector), label, reuse);
    if (reuse) this.deleted -= 1;
    this.labels.add(label);
  }

  /** Removes a point; its slot goes to the next insert. */
  remove(label: number): void {
    if (!this.labels.delete(label)) return;
    this.index.markDelete(label);
    this.deleted += 1;
  }

  /** Up to `k` nearest live points, nearest first. */
  search(vector: Float32Array, k: number): Neighbour[] {
    const count = Math.min(k, this.labels.size);
    if (count === 0) return [];
    const { neighbors, distances } = this.index.searchKnn(Array.from(vector), count);
    return neighbors.map((label, i) => ({ label, distance: distances[i]! }));
  }

  /** Allocated slots (live plus reusable), for memory accounting. */
  get allocatedSlots(): number {
    return this.slots;
  }
}
