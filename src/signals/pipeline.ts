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

interface BuiltExtractor {
  readonly extractor: SignalExtractor;
  /** The names the built rules emit, to report each one as failed when the extractor throws. */
  readonly emittedNames: readonly string[];
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
  const emittedNames: string[] = [];
  rules.forEach((rule, index) => {
    ruleName(rule, `signals.${plugin.configKey}[${index}]`);
    const names = plugin.emittedNames(rule as { readonly name: string });
    if (names.some((name) => referenced.has(`${plugin.type}:${name}`))) {
      used.push(rule as { readonly name: string });
      emittedNames.push(...names);
    }
  });
  if (used.length === 0) return undefined;
  return { extractor: await plugin.create(used, context), emittedNames };
}

async function runExtractor(built: BuiltExtractor, request: RequestView, abort: AbortSignal): Promise<readonly SignalResult[]> {
  try {
    return await built.extractor.extract(request, abort);
  } catch (error) {
    // A failing extractor costs its own rules, not the request: they report the error
    // and do not match, so decisions that do not need them still route.
    const message = error instanceof Error ? error.message : String(error);
    const type = built.extractor.type;
    return built.emittedNames.map((name) => ({ type, name, matched: false, confidence: 0, error: message }));
  }
}

/**
 * Builds the signal pipeline of a config. `signalsConfig` maps plug-in config keys
 * ("keywords") to their rules, already schema-checked. Only rules emitting a referenced
 * signal are built, and a type with none of them does not run at all. Throws on an
 * unknown config key or a rule its plug-in rejects.
 */
export async function createSignalPipeline(
  signalsConfig: Readonly<Record<string, readonly unknown[]>>,
  referenced: ReadonlySet<SignalId>,
  context: SignalBuildContext,
): Promise<SignalPipeline> {
  const configured = Object.entries(signalsConfig).map(([configKey, rules]) => {
    const plugin = findSignalPluginByConfigKey(configKey);
    if (plugin === undefined) throw new Error(`signals.${configKey}: unknown signal type`);
    return { plugin, rules };
  });
  const pending = configured.map(({ plugin, rules }) => buildExtractor(plugin, rules, referenced, context));
  const built = (await Promise.all(pending)).filter((entry): entry is BuiltExtractor => entry !== undefined);

  return {
    types: built.map((entry) => entry.extractor.type),
    async evaluate(request: RequestView, abort: AbortSignal): Promise<SignalSet> {
      const perExtractor = await Promise.all(built.map((entry) => runExtractor(entry, request, abort)));
      const signals = new Map<SignalId, SignalResult>();
      for (const results of perExtractor) {
        for (const result of results) signals.set(`${result.type}:${result.name}`, result);
      }
      return signals;
    },
  };
}
