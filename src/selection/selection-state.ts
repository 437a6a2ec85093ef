/**
 * Learned selection state: Elo ratings, bandit posteriors, RouterDC affinities and AutoMix success
 * counts, as tables of numeric fields. Selectors read the local copy synchronously; updates go
 * through `apply`, which a Redis-backed state runs atomically on the server before refreshing
 * the copy, so replicas fed concurrently converge on the same numbers.
 */
export type StateUpdate =
  /** Adds each delta to its field (a missing field counts as 0): bandit counts, affinities. */
  | { readonly kind: 'add'; readonly table: string; readonly deltas: Readonly<Record<string, number>> }
  /**
   * One Elo game: `score` is the winner's result (1 win, 0.5 tie). Ratings are stored as offsets
   * from the initial rating (so an unseen model is 0 and `add` can nudge it). Every offset of the
   * table first decays toward 0 by `decay`, then the two move by ±k·(score − expected). Field
   * `<model>` holds the offset, `<model>#n` the number of games.
   */
  | {
      readonly kind: 'elo';
      readonly table: string;
      readonly winner: string;
      readonly loser: string;
      readonly score: number;
      readonly k: number;
      readonly decay: number;
    };

export interface SelectionState {
  readonly backend: 'memory' | 'redis';
  /** A field of the local copy; undefined when never written. */
  get(table: string, field: string): number | undefined;
  /** Every table whose name starts with `prefix`, with its fields (a copy). */
  tables(prefix: string): Map<string, Map<string, number>>;
  /** Applies updates together (all or none); resolves once the local copy shows them. */
  apply(updates: readonly StateUpdate[]): Promise<void>;
}

/** The Elo count field of a model. */
export function gamesField(model: string): string {
  return `${model}#n`;
}

/** Applies one update to a table held as a Map, in place (the memory backend, and Redis's mirror). */
export function applyToTable(table: Map<string, number>, update: StateUpdate): void {
  if (update.kind === 'add') {
    for (const [field, delta] of Object.entries(update.deltas)) table.set(field, (table.get(field) ?? 0) + delta);
    return;
  }
  const { winner, loser, score, k, decay } = update;
  if (decay > 0) {
    for (const [field, value] of table) if (!field.includes('#')) table.set(field, value * (1 - decay));
  }
  const winnerRating = table.get(winner) ?? 0;
  const loserRating = table.get(loser) ?? 0;
  const expected = 1 / (1 + 10 ** ((loserRating - winnerRating) / 400));
  const change = k * (score - expected);
  table.set(winner, winnerRating + change);
  table.set(loser, loserRating - change);
  table.set(gamesField(winner), (table.get(gamesField(winner)) ?? 0) + 1);
  table.set(gamesField(loser), (table.get(gamesField(loser)) ?? 0) + 1);
}

/** State of one replica, in process memory. */
export class MemorySelectionState implements SelectionState {
  readonly backend = 'memory' as const;
  private readonly data = new Map<string, Map<string, number>>();

  get(table: string, field: string): number | undefined {
    return this.data.get(table)?.get(field);
  }

  tables(prefix: string): Map<string, Map<string, number>> {
    const found = new Map<string, Map<string, number>>();
    for (const [name, table] of this.data) if (name.startsWith(prefix)) found.set(name, new Map(table));
    return found;
  }

  apply(updates: readonly StateUpdate[]): Promise<void> {
    this.applyNow(updates);
    return Promise.resolve();
  }

  /** Synchronous `apply`, for the Redis backend's mirror and for simulations. */
  applyNow(updates: readonly StateUpdate[]): void {
    for (const update of updates) {
      let table = this.data.get(update.table);
      if (table === undefined) this.data.set(update.table, (table = new Map()));
      applyToTable(table, update);
    }
  }

  /** Replaces one table wholesale (a Redis refresh). */
  replaceTable(name: string, fields: Map<string, number>): void {
    this.data.set(name, fields);
  }

  tableNames(): string[] {
    return [...this.data.keys()];
  }
}
