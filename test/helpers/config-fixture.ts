import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';

/** The repository root, for example and fixture paths. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The seed tutorial's config.yaml (two models, keyword signals, three decisions). */
export const SEED_CONFIG_PATH = path.join(REPO_ROOT, 'examples', 'seed-tutorial.yaml');

/** Loads a config through the real loader and fails loudly with every diagnostic if it does not load. */
export async function loadConfigOrThrow(file: string = SEED_CONFIG_PATH): Promise<RuntimeConfig> {
  const { config, diagnostics } = await loadConfigFile(file, { env: {} });
  if (config === undefined) throw new Error(`${file} does not load:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
  return config;
}
