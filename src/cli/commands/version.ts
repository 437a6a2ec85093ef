import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CliIo } from '../cli-io.js';
import { findPackageRoot } from '../package-root.js';

/** The version in Switchyard's package.json, for `version`, `--version` and `-V`. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(findPackageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** `switchyard version`: prints the package version. */
export async function runVersion(io: CliIo): Promise<number> {
  io.stdout.write(`${packageVersion()}\n`);
  return 0;
}
