import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CliIo } from '../cli-io.js';
import { findPackageRoot } from '../package-root.js';

/** `switchyard version`: prints the package version. */
export async function runVersion(io: CliIo): Promise<number> {
  const manifest = JSON.parse(await readFile(path.join(findPackageRoot(), 'package.json'), 'utf8')) as { version: string };
  io.stdout.write(`${manifest.version}\n`);
  return 0;
}
