import type { ConfigDocument } from '../config/config-document.js';
import type { ConfigProblem } from '../config/config-problem.js';
import { validateConfigSchema } from '../config/validate-schema.js';
import { findDecisionPluginType } from './registry.js';

/** Rewrites a message about the bare configuration object so its paths read from `configuration`. */
function withinConfiguration(message: string, path: readonly (string | number)[]): string {
  const rooted = message.replaceAll('(root)', 'configuration');
  const first = path[0];
  return typeof first === 'string' && rooted.startsWith(first) ? `configuration.${rooted}` : rooted;
}

/**
 * Checks every decision's plug-in entries when the config loads: each configuration against its
 * type's schema (filling in defaults in place), then the type's own compile checks, so a bad
 * plug-in is a diagnostic with a line and column rather than a failure on the first request.
 */
export function checkDecisionPlugins(document: ConfigDocument): ConfigProblem[] {
  return document.decisions.flatMap((decision, i) =>
    decision.plugins.flatMap((entry, j): ConfigProblem[] => {
      const path = ['decisions', i, 'plugins', j] as const;
      const type = findDecisionPluginType(entry.type);
      // The config schema restricts `type` to known names; this guards direct callers.
      if (type === undefined) return [{ path: [...path, 'type'], code: 'SY_CFG_SCHEMA', message: `unknown plug-in type "${entry.type}"` }];
      const schemaProblems = validateConfigSchema(entry.configuration, type.configurationSchema);
      if (schemaProblems.length > 0) {
        return schemaProblems.map((problem) => ({
          ...problem,
          path: [...path, 'configuration', ...problem.path],
          message: `${entry.type} plug-in of decision "${decision.name}": ${withinConfiguration(problem.message, problem.path)}`,
        }));
      }
      try {
        type.compile(entry.configuration as never);
        return [];
      } catch (error) {
        return [{ path: [...path, 'configuration'], at: 'key', code: 'SY_CFG_SCHEMA', message: `${entry.type} plug-in of decision "${decision.name}": ${(error as Error).message}` }];
      }
    }),
  );
}
