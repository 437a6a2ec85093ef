import path from 'node:path';
import { runDemoSuite } from '../../demo/run-demo.js';
import type { CliIo } from '../cli-io.js';
import { findPackageRoot } from '../package-root.js';

/**
 * `switchyard demo [--config F]`: routes the bundled prompt suite through the whole stack
 * against stub models and prints where each prompt went; the seed tutorial's config by default.
 */
export async function runDemo(options: { readonly config?: string }, io: CliIo): Promise<number> {
  const root = findPackageRoot();
  return runDemoSuite({
    configPath: options.config ?? path.join(root, 'examples', 'seed-tutorial.yaml'),
    promptsPath: path.join(root, 'examples', 'demo-prompts.jsonl'),
    write: (text) => io.stdout.write(text),
    writeError: (text) => io.stderr.write(text),
  });
}
