import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';

/**
 * Sends `requests` chat completions over `pool`, `concurrency` at a time, each read to its end;
 * returns the latencies (sorted, ms) and the wall time. Any status but 200 fails the run.
 */
export async function sendChatRequests(pool: Pool, body: string, concurrency: number, requests: number): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < requests) {
      next += 1;
      const t0 = performance.now();
      const response = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body });
      await response.body.text();
      if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000 };
}
