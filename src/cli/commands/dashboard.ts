import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { expandEnvironment } from '../../config/env-expansion.js';
import { CONFIG_SCHEMA } from '../../config/schema.js';
import { DASHBOARD_PATH } from '../../dashboard/dashboard.js';
import type { CliIo } from '../cli-io.js';

/** Options of `switchyard dashboard`. */
export interface DashboardCommandOptions {
  /** The config `serve` runs with; its `envoy.admin_port` says where the dashboard is. */
  readonly config?: string;
  readonly adminPort?: number;
  readonly adminAddress: string;
  /** Open the URL in the desktop's browser (xdg-open). */
  readonly open?: boolean;
}

const PROBE_TIMEOUT_MS = 2000;

/** The schema's default admin port (the value `serve` uses when the config sets none). */
function defaultAdminPort(): number {
  const envoy = (CONFIG_SCHEMA['properties'] as Record<string, { properties: Record<string, { default: number }> }>)['envoy']!;
  return envoy.properties['admin_port']!.default;
}

async function configuredAdminPort(file: string): Promise<number> {
  const document = parse(expandEnvironment(await readFile(file, 'utf8'), process.env).text) as { envoy?: { admin_port?: unknown } } | null;
  const port = document?.envoy?.admin_port;
  return typeof port === 'number' ? port : defaultAdminPort();
}

/**
 * `switchyard dashboard`: prints the dashboard's URL on the admin server of a running `serve`
 * (from `--admin-port`, else the config's `envoy.admin_port`), checks that it answers, and with
 * `--open` opens it. Exit code 1 when nothing answers there.
 */
export async function runDashboard(options: DashboardCommandOptions, io: CliIo): Promise<number> {
  const port = options.adminPort ?? (options.config === undefined ? defaultAdminPort() : await configuredAdminPort(options.config));
  const host = options.adminAddress.includes(':') ? `[${options.adminAddress}]` : options.adminAddress;
  const url = `http://${host}:${port}${DASHBOARD_PATH}`;
  io.stdout.write(`${url}\n`);
  let info: { version?: string; writable?: boolean };
  try {
    const response = await fetch(`http://${host}:${port}/dashboard/api/info`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    info = (await response.json()) as typeof info;
  } catch (error) {
    io.stderr.write(`dashboard: nothing answers at ${url} (${(error as Error).message}); start \`switchyard serve --config <file>\` first\n`);
    return 1;
  }
  io.stderr.write(`dashboard: serving config ${String(info.version).slice(0, 12)}; ${info.writable === true ? 'writes need the token' : 'read-only (no dashboard.token)'}\n`);
  if (options.open === true) {
    const opener = spawn('xdg-open', [url], { detached: true, stdio: 'ignore' });
    opener.on('error', () => io.stderr.write('dashboard: could not run xdg-open; open the URL above yourself\n'));
    opener.unref();
  }
  return 0;
}
