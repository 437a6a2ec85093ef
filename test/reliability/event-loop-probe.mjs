// Loaded into the `switchyard serve` process under test with `node --import`, so the campaign
// reads the process's own event-loop delay and memory without changing the product. It
// answers IPC messages: "reset" starts a new window, "read" returns the window's figures.
// The IPC channel is unref'd, so it never keeps the process alive at shutdown.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 5;
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();

if (typeof process.send === 'function') {
  process.on('message', (message) => {
    if (message === 'reset') {
      histogram.reset();
      process.send({ kind: 'reset' });
      return;
    }
    if (message === 'read') {
      // The histogram records how late its timer fired; the resolution is subtracted to get the hold.
      const maxMs = histogram.count === 0 ? 0 : Math.max(0, histogram.max / 1e6 - RESOLUTION_MS);
      process.send({ kind: 'read', maxLoopHoldMs: maxMs, rssBytes: process.memoryUsage().rss });
    }
  });
  process.channel?.unref();
}
