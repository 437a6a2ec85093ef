import { startCampaignUpstreams } from './campaign-fixtures.js';
import {
  badInputPhase,
  cancelStormPhase,
  drainPhase,
  FAST_SCALE,
  faultPhase,
  FULL_SCALE,
  grpcHugePromptPhase,
  hugePromptPhase,
  loadPhase,
  resetStormPhase,
  type CampaignScale,
  type Figure,
} from './campaign-phases.js';
import { ServeUnderTest } from './serve-under-test.js';

/**
 * The reliability campaign: runs `switchyard serve` (examples/default.yaml, every default
 * signal, the semantic cache on Redis) against local stubs on loopback and replays load, bad
 * inputs, faults, cancel storms, a 10 MB prompt (in-process and over gRPC) and SIGTERM with
 * requests in flight. Prints
 * the figures and exits 1 when a target is missed.
 *
 *   npx tsx test/reliability/campaign.ts [--fast]      (make reliability; needs `make build`)
 */
export async function runCampaign(scale: CampaignScale, progress: (line: string) => void): Promise<Figure[]> {
  const figures: Figure[] = [];
  const upstreams = await startCampaignUpstreams();
  let serve: ServeUnderTest | undefined;
  try {
    progress(`starting switchyard serve on ${upstreams.config.path}${upstreams.redis === undefined ? ' (no redis-server: the Redis fault is skipped)' : ''}`);
    serve = await ServeUnderTest.start(upstreams.config.path);
    const steps: [string, (serve: ServeUnderTest) => Promise<{ figures: Figure[] }>][] = [
      ['load', (s) => loadPhase(s, scale)],
      ['bad inputs', (s) => badInputPhase(s, scale)],
      ['faults', (s) => faultPhase(s, upstreams)],
      ['cancel storm', (s) => cancelStormPhase(s, scale)],
      ['ext_proc reset storm', (s) => resetStormPhase(s, scale)],
      ['10 MB prompt', (s) => hugePromptPhase(s, scale)],
    ];
    for (const [name, step] of steps) {
      if (!serve.alive) {
        figures.push({ name: `${name}: not run`, value: 'the serve process had died', target: '', met: false });
        continue;
      }
      progress(`phase: ${name}`);
      const started = performance.now();
      figures.push(...(await step(serve)).figures);
      progress(`  ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    progress('phase: 10 MB prompt over gRPC (serve --no-gateway + serve --sidecar)');
    figures.push(...(await grpcHugePromptPhase(upstreams.config.path)).figures);
  } finally {
    await serve?.stop();
    await upstreams.close();
  }
  progress('phase: SIGTERM with requests in flight');
  figures.push(...(await drainPhase(scale)).figures);
  return figures;
}

/** The figures as a Markdown table (the README's reliability section shows one). */
export function figuresTable(figures: readonly Figure[]): string {
  const rows = figures.map((figure) => `| ${figure.name} | ${figure.value} | ${figure.target} | ${figure.met === undefined ? '' : figure.met ? 'met' : '**missed**'} |`);
  return ['| figure | measured | target | |', '|---|---|---|---|', ...rows].join('\n');
}

async function main(): Promise<void> {
  const fast = process.argv.includes('--fast');
  const started = performance.now();
  const figures = await runCampaign(fast ? FAST_SCALE : FULL_SCALE, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${figuresTable(figures)}\n\ncampaign (${fast ? 'fast' : 'full'}) took ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  const missed = figures.filter((figure) => figure.met === false);
  if (missed.length > 0) {
    process.stdout.write(`${missed.length} target(s) missed\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await main();
}
