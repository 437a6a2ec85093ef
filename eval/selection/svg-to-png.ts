import { execFileSync } from 'node:child_process';

/** Renders an SVG file to PNG with librsvg's rsvg-convert (Debian: librsvg2-bin); says so when it cannot. */
export function svgToPng(svgPath: string, pngPath: string): void {
  try {
    execFileSync('rsvg-convert', ['--format', 'png', '--zoom', '1.5', '--output', pngPath, svgPath]);
  } catch (error) {
    process.stderr.write(`no PNG for ${svgPath}: rsvg-convert failed (${(error as Error).message}); apt-get install librsvg2-bin\n`);
  }
}
