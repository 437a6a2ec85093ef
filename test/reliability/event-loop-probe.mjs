// Loaded into the `switchyard serve` process under test with `node --import`, so the campaign
// reads the process's own event-loop holds and memory without changing the product. It
// answers IPC messages: "reset" starts a new window, "read" returns the window's figures.
// The IPC channel and the timer are unref'd, so they never keep the process alive at shutdown.
//
// A 2 ms timer measures each gap between its ticks twice:
// - wall: how late the tick came (what a client waiting on the loop sees);
// - on-CPU: how long the main thread actually ran in that gap, from the kernel's per-thread
//   run time (/proc/self/task/<tid>/schedstat, nanoseconds). A gap the thread spent waiting
//   for a core (another process ran) is not a hold the process caused: on a loaded 2-core
//   machine a 1 MB copy shows as a 40 ms wall gap with 4 ms of it on the CPU. The on-CPU
//   figure is the one held to the target; without schedstat (not Linux) it falls back to wall.
import { openSync, readSync } from 'node:fs';

const TICK_MS = 2;
const schedstat = (() => {
  try {
    return openSync(`/proc/self/task/${process.pid}/schedstat`, 'r');
  } catch {
    return undefined;
  }
})();
const scratch = Buffer.alloc(128);

/** Nanoseconds the main thread has run on a CPU, or undefined without schedstat. */
function mainThreadRunNs() {
  if (schedstat === undefined) return undefined;
  const length = readSync(schedstat, scratch, 0, scratch.length, 0);
  return Number(scratch.toString('latin1', 0, length).split(' ')[0]);
}

let lastWall = process.hrtime.bigint();
let lastRun = mainThreadRunNs();
let maxWallMs = 0;
let maxRunMs = 0;

/** Records the gap since the last tick; a read counts the gap it interrupts too. */
function closeGap() {
  const wall = process.hrtime.bigint();
  const run = mainThreadRunNs();
  maxWallMs = Math.max(maxWallMs, Number(wall - lastWall) / 1e6 - TICK_MS);
  if (run !== undefined && lastRun !== undefined) maxRunMs = Math.max(maxRunMs, (run - lastRun) / 1e6);
  lastWall = wall;
  lastRun = run;
}

setInterval(closeGap, TICK_MS).unref();

if (typeof process.send === 'function') {
  process.on('message', (message) => {
    if (message === 'reset') {
      closeGap();
      maxWallMs = 0;
      maxRunMs = 0;
      process.send({ kind: 'reset' });
      return;
    }
    if (message === 'read') {
      closeGap();
      process.send({
        kind: 'read',
        maxLoopHoldMs: schedstat === undefined ? maxWallMs : maxRunMs,
        maxLoopWallMs: maxWallMs,
        rssBytes: process.memoryUsage().rss,
      });
    }
  });
  process.channel?.unref();
}
