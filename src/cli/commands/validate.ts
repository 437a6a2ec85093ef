import { formatDiagnostic } from '../../config/diagnostic.js';
import { loadConfigFile } from '../../config/load.js';
import type { CliIo } from '../cli-io.js';

/** `switchyard validate --config F`: loads the config as `serve` would and reports every problem. */
export async function runValidate(options: { readonly config: string }, io: CliIo): Promise<number> {
  const { config, diagnostics } = await loadConfigFile(options.config);
  // Diagnostics are the command's result (as with tsc), so they go to stdout.
  for (const diagnostic of diagnostics) io.stdout.write(`${formatDiagnostic(diagnostic)}\n`);
  if (config === undefined) return 1;
  try {
    io.stdout.write(`${options.config}: ok (${config.models.size} models, ${config.decisions.decisions.length} decisions)\n`);
    return 0;
  } finally {
    await config.close();
  }
}
