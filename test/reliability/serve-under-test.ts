import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { READY_LINE_PREFIX } from '../../src/cli/commands/serve.js';
import type { SwitchyardPorts } from '../../src/serve-stack/switchyard-stack.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');
/** The compiled CLI, as an operator runs it (`make build` first). */
const CLI = path.join(REPO_ROOT, 'bin', 'switchyard.js');
const PROBE = path.join(HERE, 'event-loop-probe.mjs');
const STARTUP_TIMEOUT_MS = 60_000;

/** How a process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** What the probe inside the process reports for the window since the last reset. */
export interface ProbeReading {
  /** The longest the main thread ran without the loop turning (on-CPU; wall time where the kernel does not report it). */
  readonly maxLoopHoldMs: number;
  /** The longest the loop did not turn by the clock, waiting for a core included. */
  readonly maxLoopWallMs: number;
  readonly rssBytes: number;
}

/**
 * A `switchyard serve` child process on free ports, with the event-loop probe loaded. Its
 * stderr is kept (the last 64 KB) for the report when something goes wrong.
 */
export class ServeUnderTest {
  private stderrTail = '';
  private readonly waiting: { readonly kind: string; readonly answer: (message: Record<string, unknown>) => void }[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly exited: Promise<ProcessExit>,
    readonly ports: SwitchyardPorts,
  ) {}

  /** Starts `serve --config FILE` plus extra flags and waits for its ready line. */
  static async start(configPath: string, extraArgs: readonly string[] = []): Promise<ServeUnderTest> {
    // CAMPAIGN_NODE_ARGS adds node flags to the process under test, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (NODE_OPTIONS refuses --cpu-prof).
    const nodeArgs = (process.env['CAMPAIGN_NODE_ARGS'] ?? '').split(' ').filter((arg) => arg !== '');
    const args = [...nodeArgs, '--import', PROBE, CLI, 'serve', '--config', configPath, '--grpc-port', '0', '--listen-port', '0', '--admin-port', '0', '--workers', '1', ...extraArgs];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, SWITCHYARD_LOG_LEVEL: process.env['SWITCHYARD_LOG_LEVEL'] ?? 'error' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    const keep = (chunk: Buffer): void => {
      stderr = (stderr + chunk.toString()).slice(-65_536);
    };
    child.stderr!.on('data', keep);
    const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
    const ports = await new Promise<SwitchyardPorts>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve was not ready within ${STARTUP_TIMEOUT_MS} ms:\n${stderr}`)), STARTUP_TIMEOUT_MS);
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        if (!line.startsWith(READY_LINE_PREFIX)) return;
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(READY_LINE_PREFIX.length)) as SwitchyardPorts);
      });
      void exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`serve exited (${exit.code ?? exit.signal}) before it was ready:\n${stderr}`));
      });
    }).catch(async (error: unknown) => {
      child.kill('SIGKILL');
      await exited;
      throw error;
    });
    const serve = new ServeUnderTest(child, exited, ports);
    child.stderr!.off('data', keep);
    serve.stderrTail = stderr;
    child.stderr!.on('data', (chunk: Buffer) => {
      serve.stderrTail = (serve.stderrTail + chunk.toString()).slice(-65_536);
    });
    child.on('message', (message: Record<string, unknown>) => {
      const index = serve.waiting.findIndex((waiter) => waiter.kind === message['kind']);
      if (index >= 0) serve.waiting.splice(index, 1)[0]!.answer(message);
    });
    return serve;
  }

  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.ports.listeners[0]}`;
  }

  get adminUrl(): string {
    return `http://127.0.0.1:${this.ports.admin}`;
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  /** Starts a new measuring window in the probe. */
  async resetProbe(timeoutMs = 30_000): Promise<void> {
    await this.ask('reset', timeoutMs);
  }

  /** The window's largest event-loop hold and the current RSS; waits while the loop is blocked. */
  async readProbe(timeoutMs = 30_000): Promise<ProbeReading> {
    const message = await this.ask('read', timeoutMs);
    return { maxLoopHoldMs: Number(message['maxLoopHoldMs']), maxLoopWallMs: Number(message['maxLoopWallMs']), rssBytes: Number(message['rssBytes']) };
  }

  private ask(question: string, timeoutMs: number): Promise<Record<string, unknown>> {
    if (!this.alive) return Promise.reject(new Error('the serve process is not running'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiting.findIndex((waiter) => waiter.answer === answer);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(new Error(`the serve process did not answer the probe within ${timeoutMs} ms`));
      }, timeoutMs);
      const answer = (message: Record<string, unknown>): void => {
        clearTimeout(timer);
        resolve(message);
      };
      this.waiting.push({ kind: question, answer });
      this.child.send(question);
    });
  }

  /** Sends a signal (SIGTERM to drain). */
  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** Kills it if it still runs and waits for the exit. */
  async stop(): Promise<ProcessExit> {
    if (this.alive) this.child.kill('SIGKILL');
    return this.exited;
  }
}
