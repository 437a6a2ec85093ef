import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { CliIo } from './cli-io.js';
import { runInit } from './commands/init.js';
import { runRoute } from './commands/route.js';
import { runServe } from './commands/serve.js';
import { runValidate } from './commands/validate.js';
import { runVersion } from './commands/version.js';

const PROCESS_IO: CliIo = { stdout: process.stdout, stderr: process.stderr };

/**
 * Runs the `switchyard` command line and resolves to the exit code. Takes its arguments and
 * output streams as parameters (never exits the process), so tests run it in-process.
 */
export async function runCli(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  let exitCode = 0;
  const program = new Command('switchyard')
    .description('Semantic router for LLM traffic: an Envoy ext_proc sidecar')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });

  program
    .command('init')
    .description('write a commented starter config.yaml')
    .option('--dir <dir>', 'directory for config.yaml', '.')
    .action(async (options: { dir: string }) => {
      exitCode = await runInit(options, io);
    });

  program
    .command('validate')
    .description('check a config file and print every problem')
    .requiredOption('--config <file>', 'config file')
    .action(async (options: { config: string }) => {
      exitCode = await runValidate(options, io);
    });

  program
    .command('version')
    .description('print the version')
    .action(async () => {
      exitCode = await runVersion(io);
    });

  program
    .command('serve')
    .description('run the ext_proc sidecar, reloading the config when the file changes')
    .requiredOption('--config <file>', 'config file')
    .option('--grpc-port <port>', 'ext_proc gRPC port (overrides envoy.extproc_port)', parsePort)
    .option('--no-gateway', 'run only the sidecar, without the built-in gateway')
    .action(async (options: { config: string; grpcPort?: number; gateway: boolean }) => {
      exitCode = await runServe(options, io);
    });

  program
    .command('route')
    .description('print where prompts would be routed, without calling any model')
    .requiredOption('--config <file>', 'config file')
    .option('--prompt <text>', 'one prompt')
    .option('--input <file>', 'JSONL file of prompts ({"id"?, "text"} or {"id"?, "messages"})')
    .action(async (options: { config: string; prompt?: string; input?: string }) => {
      exitCode = await runRoute(options, io);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    io.stderr.write(`switchyard: ${(error as Error).message}\n`);
    return 1;
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return port;
}
