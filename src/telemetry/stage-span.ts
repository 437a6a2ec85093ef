import { AsyncLocalStorage } from 'node:async_hooks';

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

/** The stage the code running now belongs to; empty for untraced requests (then stages cost one lookup). */
const currentStage = new AsyncLocalStorage<StageSpan>();

/** Runs the routing of a traced request with `parent` as the stage its stages hang under. */
export function runInStage<T>(parent: StageSpan | undefined, run: () => Promise<T>): Promise<T> {
  return parent === undefined ? run() : currentStage.run(parent, run);
}

/**
 * Records `run` as a child span of the current stage (signal extraction, decision, selection,
 * plug-in ...). For an untraced request it only runs it.
 */
export async function stage<T>(name: string, attributes: StageAttributes, run: () => Promise<T>): Promise<T> {
  const parent = currentStage.getStore();
  if (parent === undefined) return run();
  const span = parent.child(name, attributes);
  try {
    return await currentStage.run(span, run);
  } catch (error) {
    span.fail(error);
    throw error;
  } finally {
    span.end();
  }
}

/** {@link stage} for synchronous work. */
export function stageSync<T>(name: string, attributes: StageAttributes, run: () => T): T {
  const parent = currentStage.getStore();
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
