import type { ModelEndpoint } from '../../src/config/runtime-config.js';
import { pickEndpoint } from '../../src/router/pick-endpoint.js';
import { upstreamPath } from '../../src/router/upstream-path.js';

const endpoint = (name: string, weight: number): ModelEndpoint => ({
  name,
  weight,
  protocol: 'http',
  host: `${name}.local`,
  port: 8000,
  pathPrefix: '',
  cluster: name,
});

describe('upstreamPath', () => {
  it.each([
    ['/v1beta/openai', '/v1/chat/completions', '/v1beta/openai/chat/completions'],
    ['/v1', '/v1/chat/completions', '/v1/chat/completions'],
    ['/api/v1', '/v1/chat/completions', '/api/v1/chat/completions'],
    ['/openai', '/v1/chat/completions?api-version=1', '/openai/chat/completions?api-version=1'],
    ['/proxy', '/chat/completions', '/proxy/chat/completions'],
    ['/proxy', '/v1beta/models', '/proxy/v1beta/models'],
    // A client whose base URL is the bare host sends no /v1; an endpoint without a prefix serves /v1.
    ['', '/chat/completions', '/v1/chat/completions'],
    ['', '/chat/completions?trace=1', '/v1/chat/completions?trace=1'],
    ['', '/v1/chat/completions', '/v1/chat/completions'],
    ['/v1beta/openai', '/chat/completions', '/v1beta/openai/chat/completions'],
  ])('%s + %s -> %s', (prefix, path, expected) => {
    expect(upstreamPath(prefix, path)).toBe(expected);
  });
});

describe('pickEndpoint', () => {
  const endpoints = [endpoint('a', 1), endpoint('zero', 0), endpoint('b', 2), endpoint('c', 1)];

  it.each([
    [0, 'a'],
    [0.2499, 'a'],
    [0.25, 'b'],
    [0.7499, 'b'],
    [0.75, 'c'],
    [0.99999, 'c'],
  ])('random %d -> %s', (r, expected) => {
    expect(pickEndpoint(endpoints, () => r)?.name).toBe(expected);
  });

  it('spreads picks in proportion to weight', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const name = pickEndpoint(endpoints, () => i / 400)!.name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ a: 100, b: 200, c: 100 });
  });

  it('picks uniformly when no weight is positive, and nothing from an empty list', () => {
    const unweighted = [endpoint('x', 0), endpoint('y', 0)];
    expect(pickEndpoint(unweighted, () => 0.3)?.name).toBe('x');
    expect(pickEndpoint(unweighted, () => 0.7)?.name).toBe('y');
    expect(pickEndpoint([], () => 0.5)).toBeUndefined();
  });

  it('never returns a zero-weight endpoint when random hits the top of the range', () => {
    expect(pickEndpoint([endpoint('a', 1), endpoint('zero', 0)], () => 1 - Number.EPSILON)?.name).toBe('a');
  });
});
