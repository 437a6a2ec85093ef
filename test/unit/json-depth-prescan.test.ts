import { MAX_JSON_DEPTH, parseJson } from '../../src/router/chat-request.js';
import { nestsDeeperThan, OffLoopJsonError, parseJsonOffLoop } from '../../src/router/json-worker.js';

/**
 * Depth is checked on the bytes before JSON.parse runs: V8's parser takes about 2 µs per
 * nesting level, so a 10 MB body of 5 million `[` kept the JSON worker busy for 11 s (the
 * request got 504 ext_proc_timeout and every large body behind it waited), and a 200 KB one,
 * parsed on the event loop, held it for 200 ms.
 */

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('JSON nesting depth, checked before parsing', () => {
  it('counts brackets outside strings only, escaped quotes included', () => {
    expect(nestsDeeperThan(bytes('[[1]]'), 2)).toBe(false);
    expect(nestsDeeperThan(bytes('[[[1]]]'), 2)).toBe(true);
    expect(nestsDeeperThan(bytes('{"a":{"b":[1]}}'), 3)).toBe(false);
    expect(nestsDeeperThan(bytes('{"a":{"b":[1]}}'), 2)).toBe(true);
    expect(nestsDeeperThan(bytes(`{"text":"${'['.repeat(500)}"}`), 1)).toBe(false);
    expect(nestsDeeperThan(bytes(`{"text":"a\\"${'{'.repeat(500)}"}`), 1)).toBe(false);
    expect(nestsDeeperThan(bytes(`{"text":"a\\\\"}${'['.repeat(5)}`), 3)).toBe(true);
    // Siblings do not add up.
    expect(nestsDeeperThan(bytes(`[${'[1],'.repeat(1000)}[1]]`), 2)).toBe(false);
  });

  it('refuses JSON nested past the limit on the event loop path, at exactly limit + 1', async () => {
    const nested = (depth: number): string => `{"model":"auto","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    await expect(parseJson(bytes(nested(MAX_JSON_DEPTH)))).resolves.toBeDefined();
    await expect(parseJson(bytes(nested(MAX_JSON_DEPTH + 1)))).rejects.toThrow(`more than ${MAX_JSON_DEPTH} levels deep`);
    await expect(parseJson(bytes(nested(100_000)))).rejects.toThrow(`more than ${MAX_JSON_DEPTH} levels deep`);
  });

  it('refuses 10 MB of nested arrays on the worker without parsing them', async () => {
    const depth = 5 * 1024 * 1024;
    const body = bytes(`{"model":"auto","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const started = performance.now();
    await expect(parseJsonOffLoop(body, MAX_JSON_DEPTH)).rejects.toEqual(new OffLoopJsonError(`nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`, true));
    // Parsing it took 11 s on a quiet machine; the scan stops at byte 130.
    expect(performance.now() - started).toBeLessThan(3_000);
    // The worker is free for the next body at once.
    await expect(parseJsonOffLoop(bytes(`{"a":"${'x'.repeat(300_000)}"}`), MAX_JSON_DEPTH)).resolves.toEqual({ a: 'x'.repeat(300_000) });
  }, 30_000);
});
