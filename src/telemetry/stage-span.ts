/** Span attributes of a stage: a few scalar facts (types, names, counts), never prompt text. */
export type StageAttributes = Readonly<Record<string, string | number | boolean>>;

/** How long one finished stage of a request ran, for the per-stage latency histograms. */
export interface StageTiming {
  readonly name: string;
  readonly attributes: StageAttributes;
  readonly seconds: number;
  readonly failed: boolean;
}

/** A running stage span of a traced request; the routing core sees only this. */
export interface StageSpan {
  child(name: string, attributes?: StageAttributes): StageSpan;
  setAttributes(attributes: StageAttributes): void;
  fail(error: unknown): void;
  end(): void;
}

/**
 * Records `run` as a child stage of `parent` (signal extraction, decision, selection, plug-in ...),
 * handing `run` the child so its own stages hang under it. An untraced, unrecorded request has no
 * parent: then it only runs. The stage is passed explicitly rather than kept in an
 * AsyncLocalStorage, whose promise hooks would tax every promise of the process (Node 20).
 */
export async function stage<T>(parent: StageSpan | undefined, name: string, attributes: StageAttributes, run: (stage: StageSpan | undefined) => Promise<T>): Promise<T> {
  if (parent === undefined) return run(undefined);
  const span = parent.child(name, attributes);
  try {
    return await run(span);
  } catch (error) {
    span.fail(error);
    throw error;
  } finally {
    span.end();
  }
}

/** {@link stage} for synchronous work. */
export function stageSync<T>(parent: StageSpan | undefined, name: string, attributes: StageAttributes, run: () => T): T {
  if (parent === undefined) return run();
  const span = parent.child(name, attributes);
  try {
    return run();
  } catch (error) {
    span.fail(error);
    throw error;
  } finally {
    span.end();
  }
}
