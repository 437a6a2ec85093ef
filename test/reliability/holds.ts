import { BAD_INPUTS, type BadInput } from './bad-inputs.js';
import { startCampaignUpstreams } from './campaign-fixtures.js';
import { chatBody, post } from './campaign-http.js';
import { grpcHugePromptPhase, proseOf } from './campaign-phases.js';
import { ServeUnderTest } from './serve-under-test.js';

/**
 * The event-loop hold of chosen inputs, each sent `TRIES` times (default 4) to one `switchyard
 * serve` with the campaign's config and probe: the per-input figures of the README's Reliability
 * section. Needs `make build`.
 *
 *   npx tsx test/reliability/holds.ts "10 MB JSON string" "10 MB prompt" "10 MB prose"
 *   npx tsx test/reliability/holds.ts --grpc        (gateway and sidecar in two processes)
 *
 * Inputs are bad inputs (bad-inputs.ts) matched by a part of their name, plus "10 MB prose" (the
 * campaign's 10 MB prompt). CAMPAIGN_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the server.
 */

const tries = Number(process.env['TRIES'] ?? 4);
const wanted = process.argv.slice(2).filter((arg) => arg !== '--grpc');
const prose: BadInput = {
  group: 'huge body',
  name: '10 MB prose',
  run: async (target) => {
    const outcome = await post(`http://127.0.0.1:${target.gatewayPort}/v1/chat/completions`, chatBody(proseOf(10 * 1024 * 1024)), { timeoutMs: 30_000 });
    return { answer: String(outcome.status ?? outcome.error), stalled: outcome.stalled, serverErrorForClientError: false };
  },
};

const upstreams = await startCampaignUpstreams();
try {
  if (process.argv.includes('--grpc')) {
    process.stdout.write(`${(await grpcHugePromptPhase(upstreams.config.path, tries)).figures[0]!.value}\n`);
  } else {
    const serve = await ServeUnderTest.start(upstreams.config.path);
    try {
      const target = { gatewayPort: serve.ports.listeners[0]!, grpcPort: serve.ports.grpc!, stallMs: 30_000 };
      for (const input of [...BAD_INPUTS, prose].filter((candidate) => wanted.some((name) => candidate.name.includes(name)))) {
        const holds: string[] = [];
        for (let attempt = 0; attempt < tries; attempt++) {
          await serve.resetProbe();
          const started = performance.now();
          const result = await input.run(target);
          const ms = performance.now() - started;
          const reading = await serve.readProbe();
          holds.push(`${reading.maxLoopHoldMs.toFixed(1)} ms on-CPU (${reading.maxLoopWallMs.toFixed(0)} wall; ${result.answer} in ${ms.toFixed(0)} ms)`);
        }
        process.stdout.write(`${input.name}: ${holds.join(', ')}\n`);
      }
    } finally {
      // SIGTERM first: a profile asked for with CAMPAIGN_NODE_ARGS is written at a clean exit.
      serve.signal('SIGTERM');
      await Promise.race([serve.exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      await serve.stop();
    }
  }
} finally {
  await upstreams.close();
}
