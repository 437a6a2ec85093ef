import { stage, type StageSpan } from '../telemetry/stage-span.js';
import { performance } from 'node:perf_hooks';
import { RouterError } from '../errors.js';
import { boundedView } from './bounded-text.js';
import { yieldToEventLoop } from './event-loop.js';
import { isClosable } from './closable-extractor.js';
import { findSignalPluginByConfigKey } from './registry.js';
import type {
  RequestView,
  SignalBuildContext,
  SignalExtractor,
  SignalId,
  SignalPipeline,
  SignalPlugin,
  SignalResult,
  SignalSet,
} from './signal.js';
import { signalPolicy, type SignalErrorPolicy, type SignalPolicyFields } from './signal-policy.js';
import { signalMemoFor, type SignalMemo } from './signal-memo.js';

interface BuiltExtractor {
  readonly extractor: SignalExtractor;
  /** Each emitted name with its rule's error policy, to report every one as failed when the extractor fails. */
  readonly policies: ReadonlyMap<string, SignalErrorPolicy>;
  /** The longest timeout any of its rules allows: the type runs once for all its rules. */
  readonly timeoutMs: number;
  /** Results of recent texts, for an extractor that declares a `memoKey`. */
  readonly memo: SignalMemo | undefined;
}

function ruleName(rule: unknown, pointer: string): string {
  const name = (rule as { name?: unknown } | null)?.name;
  if (typeof rule !== 'object' || rule === null || typeof name !== 'string') {
    throw new Error(`${pointer}: a signal rule must be an object with a string "name"`);
  }
  return name;
}

async function buildExtractor(
  plugin: SignalPlugin,
  rules: readonly unknown[],
  referenced: ReadonlySet<SignalId>,
  context: SignalBuildContext,
): Promise<BuiltExtractor | undefined> {
  const used: { readonly name: string }[] = [];
  const policies = new Map<string, SignalErrorPolicy>();
  let timeoutMs = 0;
  rules.forEach((rule, index) => {
    ruleName(rule, `signals.${plugin.configKey}[${index}]`);
    const names = plugin.emittedNames(rule as { readonly name: string });
    if (names.some((name) => referenced.has(`${plugin.type}:${name}`))) {
      used.push(rule as { readonly name: string });
      const policy = signalPolicy(rule as SignalPolicyFields);
      for (const name of names) policies.set(name, policy.onError);
      timeoutMs = Math.max(timeoutMs, policy.timeoutMs);
    }
  });
  if (used.length === 0) return undefined;
  const extractor = await plugin.create(used, context);
  return { extractor, policies, timeoutMs: context.timeouts === 'ignore' ? Number.POSITIVE_INFINITY : timeoutMs, memo: signalMemoFor(extractor) };
}

/** Thrown into an extractor's abort signal and reported when it overruns its timeout. */
class SignalTimeoutError extends Error {
  constructor(type: string, timeoutMs: number) {
    super(`${type} signal timed out after ${timeoutMs} ms`);
    this.name = 'SignalTimeoutError';
  }
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown }).then === 'function';
}

/** Every rule of an extractor that failed, as not-matched results carrying the error. */
function failedResults(built: BuiltExtractor, error: unknown): readonly SignalResult[] {
  const message = error instanceof Error ? error.message : String(error);
  return [...built.policies.keys()].map((name) => ({ type: built.extractor.type, name, matched: false, confidence: 0, error: message }));
}

/** The request sampled to each text budget, computed once per budget and request. */
type ViewOf = (budget: number | undefined) => RequestView;

function boundedViews(request: RequestView): ViewOf {
  const views = new Map<number, RequestView>();
  return (budget) => {
    if (budget === undefined) return request;
    let view = views.get(budget);
    if (view === undefined) views.set(budget, (view = boundedView(request, budget)));
    return view;
  };
}

/** When an extractor may start, and how it tells the next one that its synchronous part is done. */
interface ExtractorTurn {
  readonly start: Promise<void>;
  readonly started: () => void;
}

/**
 * One turn per extractor, each on its own turn of the event loop after the previous one's
 * synchronous part: immediates queued together would otherwise run back to back, with no timer
 * or I/O in between. Asynchronous parts (ONNX sessions run off the loop) still overlap.
 */
function extractorTurns(count: number): ExtractorTurn[] {
  const turns: ExtractorTurn[] = [];
  let previous: Promise<void> = Promise.resolve();
  for (let i = 0; i < count; i++) {
    let started!: () => void;
    const done = new Promise<void>((resolve) => (started = resolve));
    turns.push({ start: previous.then(yieldToEventLoop), started });
    previous = done;
  }
  return turns;
}

/**
 * Runs one extractor under its timeout; a throw or an overrun becomes an error result per rule.
 * The extractor starts on a fresh turn of the event loop, so a timer, a cancellation or another
 * request waits for at most one extractor's piece of work, which its text budget keeps to a few
 * milliseconds. An asynchronous result is raced against what is left of the timeout; a
 * synchronous one that ran past it is discarded like a late asynchronous one.
 */
async function runExtractor(built: BuiltExtractor, viewOf: ViewOf, abort: AbortSignal, turn: ExtractorTurn): Promise<readonly SignalResult[]> {
  const { extractor, timeoutMs } = built;
  const controller = new AbortController();
  let extraction: readonly SignalResult[] | Promise<readonly SignalResult[]>;
  let deadline = Number.POSITIVE_INFINITY;
  try {
    await turn.start;
    if (abort.aborted) throw abort.reason;
    // Waiting for its turn is not the extractor's time: the timeout counts from its start.
    deadline = performance.now() + timeoutMs;
    extraction = extractor.extract(viewOf(extractor.textBudget), controller.signal);
  } catch (error) {
    if (abort.aborted) throw error;
    return failedResults(built, error);
  } finally {
    turn.started();
  }
  if (!isPromiseLike(extraction)) {
    return performance.now() > deadline ? failedResults(built, new SignalTimeoutError(extractor.type, timeoutMs)) : extraction;
  }
  const forwardAbort = (): void => controller.abort(abort.reason);
  abort.addEventListener('abort', forwardAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const racers: Promise<readonly SignalResult[]>[] = [Promise.resolve(extraction)];
  // Timeouts ignored (offline tools) leave an infinite deadline, and a timer of Infinity would fire at once.
  if (Number.isFinite(deadline)) {
    racers.push(
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new SignalTimeoutError(extractor.type, timeoutMs);
          controller.abort(error);
          reject(error);
        }, Math.max(0, deadline - performance.now()));
      }),
    );
  }
  try {
    return await Promise.race(racers);
  } catch (error) {
    // The request itself was cancelled: nothing to route, the transport handles it.
    if (abort.aborted) throw error;
    return failedResults(built, error);
  } finally {
    clearTimeout(timer);
    abort.removeEventListener('abort', forwardAbort);
  }
}

/** The first failed result whose rule says `on_error: fail`, as the request's error. */
function failurePolicyError(built: readonly BuiltExtractor[], perExtractor: readonly (readonly SignalResult[])[]): RouterError | undefined {
  for (const [index, results] of perExtractor.entries()) {
    const policies = built[index]!.policies;
    const failed = results.find((result) => result.error !== undefined && policies.get(result.name) === 'fail');
    if (failed !== undefined) {
      return new RouterError('SY_ERR_SIGNAL_FAILED', `signal ${failed.type}:${failed.name} failed: ${failed.error}`);
    }
  }
  return undefined;
}

/**
 * A signal rule's composer, compiled: when `holds` is false after every signal has run, the
 * rule's matched results are withdrawn (Athena's `applySignalComposers`).
 */
export interface SignalComposer {
  readonly signalIds: readonly SignalId[];
  holds(signals: SignalSet): boolean;
}

function applyComposers(signals: Map<SignalId, SignalResult>, composers: readonly SignalComposer[]): void {
  for (const composer of composers) {
    if (composer.holds(signals)) continue;
    for (const id of composer.signalIds) {
      const result = signals.get(id);
      if (result?.matched === true) signals.set(id, { ...result, matched: false, confidence: 0 });
    }
  }
}

async function closeAll(built: readonly BuiltExtractor[]): Promise<void> {
  await Promise.all(built.map(async ({ extractor }) => (isClosable(extractor) ? extractor.close() : undefined)));
}

/**
 * Builds the signal pipeline of a config. `signalsConfig` maps plug-in config keys
 * ("keywords") to their rules, already schema-checked. Only rules emitting a referenced
 * signal are built, and a type with none of them does not run at all. Throws on an
 * unknown config key or a rule its plug-in rejects.
 *
 * Every type runs in parallel under its rules' `timeout_ms`. A type that throws or overruns
 * costs its own rules, not the request: they report `error` and do not match, unless a rule
 * says `on_error: fail`, which makes `evaluate` reject with SY_ERR_SIGNAL_FAILED naming it.
 * `composers` then withdraw the matches of rules whose composer does not hold; the signals a
 * composer names must be in `referenced`.
 */
export async function createSignalPipeline(
  signalsConfig: Readonly<Record<string, readonly unknown[]>>,
  referenced: ReadonlySet<SignalId>,
  context: SignalBuildContext,
  composers: readonly SignalComposer[] = [],
): Promise<SignalPipeline> {
  const configured = Object.entries(signalsConfig).map(([configKey, rules]) => {
    const plugin = findSignalPluginByConfigKey(configKey);
    if (plugin === undefined) throw new Error(`signals.${configKey}: unknown signal type`);
    return { plugin, rules };
  });
  const settled = await Promise.allSettled(configured.map(({ plugin, rules }) => buildExtractor(plugin, rules, referenced, context)));
  const built = settled.flatMap((outcome) => (outcome.status === 'fulfilled' && outcome.value !== undefined ? [outcome.value] : []));
  const failure = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure !== undefined) {
    // The types that did build hold model leases that no config will release.
    await closeAll(built);
    throw failure.reason;
  }

  return {
    types: built.map((entry) => entry.extractor.type),
    async evaluate(request: RequestView, abort: AbortSignal, stages?: StageSpan): Promise<SignalSet> {
      const viewOf = boundedViews(request);
      // Types whose results for this exact text are remembered answer at once; the others take turns.
      const digests = new Map<string, string>();
      const memoKeys = built.map((entry) => entry.memo?.keyOf(viewOf(entry.extractor.textBudget), digests));
      const remembered = built.map((entry, i) => (memoKeys[i] === undefined ? undefined : entry.memo!.recall(memoKeys[i]!)));
      const turns = extractorTurns(remembered.filter((results) => results === undefined).length);
      let turn = 0;
      const perExtractor = await Promise.all(
        built.map((entry, i) => {
          const known = remembered[i];
          if (known !== undefined) return known;
          const myTurn = turns[turn++]!;
          return stage(stages, 'signal', { 'switchyard.signal.type': entry.extractor.type }, async () => {
            const results = await runExtractor(entry, viewOf, abort, myTurn);
            if (memoKeys[i] !== undefined) entry.memo!.remember(memoKeys[i]!, results);
            return results;
          });
        }),
      );
      const failed = failurePolicyError(built, perExtractor);
      if (failed !== undefined) throw failed;
      const signals = new Map<SignalId, SignalResult>();
      for (const results of perExtractor) {
        for (const result of results) signals.set(`${result.type}:${result.name}`, result);
      }
      applyComposers(signals, composers);
      return signals;
    },
    async warmUp(): Promise<void> {
      const abort = new AbortController().signal;
      // One at a time, each on its own turn, so a reload's warm-up does not hold the loop that serves the old config.
      for (const { extractor } of built) {
        await yieldToEventLoop();
        let timer: NodeJS.Timeout | undefined;
        const cap = new Promise<void>((resolve) => (timer = setTimeout(resolve, WARM_UP_CAP_MS)));
        try {
          // Capped, so an extractor that hangs cannot hold a config load or reload forever.
          await Promise.race([extractor.extract(WARM_UP_REQUEST, abort), cap]);
        } catch {
          // A failing extractor fails the same way on real requests, where its rule's on_error decides.
        } finally {
          clearTimeout(timer);
        }
      }
    },
    close: () => closeAll(built),
  };
}

/** How long one extractor's warm-up may take before the config is used anyway. */
const WARM_UP_CAP_MS = 5_000;

/** A short, ordinary request: enough to run every extractor's whole path once. */
const WARM_UP_REQUEST: RequestView = {
  lastUserText: 'What is the capital of France?',
  messages: [{ role: 'user', text: 'What is the capital of France?' }],
  headers: new Map(),
};
