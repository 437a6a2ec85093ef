#!/usr/bin/env node
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
let cli;
try {
  cli = await import(entry.href);
} catch (error) {
  // A fresh clone has no dist/ until it is built: say so instead of a module-resolution stack trace.
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes(fileURLToPath(entry))) throw error;
  process.stderr.write(`switchyard is not built yet: run \`npm run build\` (or \`make build\`) in ${fileURLToPath(new URL('..', import.meta.url))}\n`);
  process.exit(1);
}
process.exitCode = await cli.runCli(process.argv.slice(2));
