import type { SignalPlugin } from '../signals/signal.js';
import type { ConfigDocument, RuleDocument } from './config-document.js';
import type { ConfigPathSegment } from './config-problem.js';

/**
 * A signal rule's `composer` (Athena's composer phase): a rule tree over other signals that
 * must hold for the rule's results to stand. Only plug-ins whose rule schema allows the key
 * (complexity) can carry one, so this reads it generically.
 */
export interface ComposerDocument {
  readonly plugin: SignalPlugin;
  readonly ruleName: string;
  /** The names the owning rule emits (`name:hard`, ...), filtered when the composer fails. */
  readonly emittedNames: readonly string[];
  readonly tree: RuleDocument;
  readonly path: readonly ConfigPathSegment[];
  /** How messages name it: `complexity rule "x" composer`. */
  readonly owner: string;
}

/** Every configured composer, in config order. */
export function composerDocuments(document: ConfigDocument, plugins: readonly SignalPlugin[]): ComposerDocument[] {
  return plugins.flatMap((plugin) =>
    (document.signals[plugin.configKey] ?? []).flatMap((rule, index) => {
      const tree = (rule as { composer?: RuleDocument }).composer;
      if (tree === undefined) return [];
      return [
        {
          plugin,
          ruleName: rule.name,
          emittedNames: plugin.emittedNames(rule),
          tree,
          path: ['signals', plugin.configKey, index, 'composer'],
          owner: `${plugin.type} rule "${rule.name}" composer`,
        },
      ];
    }),
  );
}
