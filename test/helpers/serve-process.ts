import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { READY_LINE_PREFIX } from '../../src/cli/commands/serve.js';
import type { SwitchyardPorts } from '../../src/serve-stack/switchyard-stack.js';
import { REPO_ROOT } from './config-fixture.js';

// These processes run the compiled CLI (dist/), as a user would; `make test` builds it first.
export const SWITCHYARD_CLI = path.join(REPO_ROOT, 'bin', 'switchyard.js');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A `switchyard serve` child process on free ports. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  readonly ports: SwitchyardPorts;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** The lines the process wrote to stdout but its ready line (its JSON log at the level given to {@link startServeLogging}). */
  readonly logs: readonly string[];
  /** Kills it if it still runs and waits for the exit. */
  stop(): Promise<Exit>;
}

/** Resolves with the ports from the ready line, or rejects with what the process said instead. */
function readyPorts(child: ChildProcess, stderr: () => string, logs: string[]): Promise<SwitchyardPorts> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    let ready = false;
    lines.on('line', (line) => {
      if (ready || !line.startsWith(READY_LINE_PREFIX)) logs.push(line);
      else {
        ready = true;
        resolve(JSON.parse(line.slice(READY_LINE_PREFIX.length)) as SwitchyardPorts);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before it was ready:\n${stderr()}`)));
  });
}

/**
 * Starts `switchyard serve --config <configPath>` with every port free (0), plus `extra` arguments;
 * in one process (`--workers 1`) unless `extra` sets `--workers`.
 */
export async function startServe(configPath: string, ...extra: string[]): Promise<ServeProcess> {
  return startServeLogging('warn', configPath, ...extra);
}

/** {@link startServe} with the log at `level` (`info` shows one line per request, with its worker). */
export async function startServeLogging(level: string, configPath: string, ...extra: string[]): Promise<ServeProcess> {
  let stderr = '';
  const logs: string[] = [];
  const workers = extra.includes('--workers') ? [] : ['--workers', '1'];
  const args = [SWITCHYARD_CLI, 'serve', '--config', configPath, '--grpc-port', '0', '--listen-port', '0', '--admin-port', '0', ...workers, ...extra];
  const child = spawn(process.execPath, args, { env: { ...process.env, SWITCHYARD_LOG_LEVEL: level }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  try {
    const ports = await readyPorts(child, () => stderr, logs);
    return {
      child,
      exited,
      ports,
      logs,
      stderr: () => stderr,
      stop: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        return exited;
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
}
