import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = path.join(ROOT, 'src', 'dashboard', 'ui');
/** Where `serve` finds the pages (src/dashboard/dashboard.ts, DASHBOARD_UI_DIR). */
export const UI_OUT_DIR = path.join(ROOT, 'dist', 'dashboard-ui');

/** Sizes of the built bundle, in bytes. */
export interface UiBundleSize {
  readonly bytes: number;
  readonly gzipBytes: number;
}

/**
 * Bundles the dashboard UI (Preact + uPlot, from npm) into dist/dashboard-ui: index.html,
 * app.js and app.css, minified, with nothing loaded from elsewhere at run time.
 */
export async function buildDashboardUi(): Promise<UiBundleSize> {
  await rm(UI_OUT_DIR, { recursive: true, force: true });
  await mkdir(UI_OUT_DIR, { recursive: true });
  await build({
    entryPoints: { app: path.join(SOURCE, 'main.tsx') },
    outdir: UI_OUT_DIR,
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'warning',
  });
  await copyFile(path.join(SOURCE, 'index.html'), path.join(UI_OUT_DIR, 'index.html'));
  let bytes = 0;
  let gzipBytes = 0;
  for (const file of ['index.html', 'app.js', 'app.css']) {
    const content = await readFile(path.join(UI_OUT_DIR, file));
    bytes += content.length;
    gzipBytes += gzipSync(content, { level: 9 }).length;
  }
  return { bytes, gzipBytes };
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const size = await buildDashboardUi();
  console.log(`dashboard UI: ${(size.bytes / 1024).toFixed(1)} KB, ${(size.gzipBytes / 1024).toFixed(1)} KB gzipped -> ${path.relative(ROOT, UI_OUT_DIR)}/`);
}
