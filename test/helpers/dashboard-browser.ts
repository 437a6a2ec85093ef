import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { buildDashboardUi, UI_OUT_DIR } from '../../scripts/build-dashboard-ui.js';
import { REPO_ROOT } from './config-fixture.js';

/** Debian's Chromium (`apt-get install chromium`; `make chromium` and `.ci/run` install it when missing). */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Where the browser tests save their screenshots (the README shows copies from docs/dashboard/). */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-artifacts', 'dashboard');

/** Headless Chromium as environment.md §11 runs it: no sandbox (root in CI), nothing fetched from the network. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: run \`make chromium\` (apt-get install chromium)`);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Builds the UI bundle when `make build` has not (a test run straight from jest). */
export async function ensureDashboardUi(): Promise<void> {
  if (!existsSync(path.join(UI_OUT_DIR, 'app.js'))) await buildDashboardUi();
}
