import { copyFile, constants, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CliIo } from '../cli-io.js';
import { findPackageRoot } from '../package-root.js';

/** Options of `switchyard init`. */
export interface InitOptions {
  /** Directory that receives config.yaml; the working directory when absent. */
  readonly dir?: string;
}

/** `switchyard init`: writes the commented starter config.yaml, never over an existing file. */
export async function runInit(options: InitOptions, io: CliIo): Promise<number> {
  const dir = path.resolve(options.dir ?? '.');
  const target = path.join(dir, 'config.yaml');
  await mkdir(dir, { recursive: true });
  try {
    // COPYFILE_EXCL makes the existence check and the write one step.
    await copyFile(path.join(findPackageRoot(), 'examples', 'default.yaml'), target, constants.COPYFILE_EXCL);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    io.stderr.write(`${target} already exists; not overwriting it (remove it or use --dir)\n`);
    return 1;
  }
  io.stdout.write(`wrote ${target}\nnext: switchyard validate --config ${target}\n`);
  return 0;
}
