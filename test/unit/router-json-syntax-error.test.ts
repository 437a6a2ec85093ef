import { jsonSyntaxErrorOffset } from '../../src/router/json-syntax-error.js';

describe('jsonSyntaxErrorOffset', () => {
  it.each([
    ['{"a":}', 5],
    ['{"a":1', 6],
    ['', 0],
    ['{"a":1}x', 7],
    ['\n\n  {"a" 1}', 9],
    ['[1,2,]', 5],
    ['{"a":[1,{"b":tru}]}', 16],
    ['{"a":"\\x"}', 7],
    ['{"a":01}', 6],
    ['-', 1],
    ['1.e5', 2],
    ['{"a":1,}', 7],
    ['"abc', 4],
    ['"a\nb"', 2],
    ['{,}', 1],
    ['nul', 3],
    ['{"a":"\\u12G4"}', 10],
  ])('%j fails at %d', (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonSyntaxErrorOffset(text)).toBe(offset);
  });

  it.each(['  [ ]  ', '{"x":[{"y":null,"z":-1.5e+3,"w":"\\u00e9","v":true,"u":false}]}', '0', '"s"', '{}'])('%j is valid', (text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(jsonSyntaxErrorOffset(text)).toBeUndefined();
  });

  it('handles deep nesting without recursion', () => {
    expect(jsonSyntaxErrorOffset(`${'['.repeat(200_000)}x`)).toBe(200_000);
  });
});
