import { copyFile, constants, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CliIo } from '../cli-io.js';
import { findPackageRoot } from '../package-root.js';

/** Options of `switchyard init`. */
export interface InitOptions {
  /** Directory that receives config.yaml; the working directory when absent. */
  readonly dir?: string;
  /** Replace an existing config.yaml with the starter config. */
  readonly force?: boolean;
}

/** How the next commands name the file: relative to the working directory when it is below it. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

function nextSteps(file: string): string {
  const shown = displayPath(file);
  return `next: npx switchyard validate --config ${shown}\n      npx switchyard serve --config ${shown}\n`;
}

/**
 * `switchyard init`: writes the commented starter config.yaml. An existing one is kept (the
 * tutorial writes its own config.yaml before running init) unless `--force` is given; either
 * way the command ends by saying what to run next.
 */
export async function runInit(options: InitOptions, io: CliIo): Promise<number> {
  const dir = path.resolve(options.dir ?? '.');
  const target = path.join(dir, 'config.yaml');
  await mkdir(dir, { recursive: true });
  try {
    // COPYFILE_EXCL makes the existence check and the write one step.
    await copyFile(path.join(findPackageRoot(), 'examples', 'default.yaml'), target, options.force === true ? 0 : constants.COPYFILE_EXCL);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    io.stdout.write(`${displayPath(target)} already exists; keeping it (npx switchyard init --force replaces it with the starter config)\n${nextSteps(target)}`);
    return 0;
  }
  io.stdout.write(`${options.force === true ? 'wrote (replacing any earlier file)' : 'wrote'} ${displayPath(target)}\n${nextSteps(target)}`);
  return 0;
}
