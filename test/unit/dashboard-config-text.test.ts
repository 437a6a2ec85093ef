import { diffLines } from '../../src/dashboard/line-diff.js';
import { maskSecrets, restoreSecrets } from '../../src/dashboard/secret-masking.js';

const CONFIG = [
  'providers:',
  '  models:',
  '    - name: cloud',
  '      access_key: "sk-live-123456"',
  '      endpoints:',
  '        - endpoint: "api.example:443"',
  '          access_key: sk-endpoint-9',
  '    - name: env',
  '      access_key: "${CLOUD_KEY}"',
  'dashboard:',
  "  token: 'dash-token-42'",
].join('\n');

describe('maskSecrets and restoreSecrets', () => {
  it('hides every literal credential and keeps ${VAR} references', () => {
    const masked = maskSecrets(CONFIG);
    expect(masked).not.toMatch(/sk-live|sk-endpoint|dash-token/);
    expect(masked).toContain('access_key: "${CLOUD_KEY}"');
    expect(masked).toMatch(/access_key: "<hidden:[0-9a-f]{12}>"/);
    expect(masked).toMatch(/token: '<hidden:[0-9a-f]{12}>'/);
  });

  it('puts the real values back into an edit of the masked text', () => {
    const edited = maskSecrets(CONFIG).replace('name: cloud', 'name: cloud-2');
    expect(restoreSecrets(edited, CONFIG)).toBe(CONFIG.replace('name: cloud', 'name: cloud-2'));
  });

  it('leaves a marker of no known value as written', () => {
    expect(restoreSecrets('access_key: "<hidden:000000000000>"', CONFIG)).toBe('access_key: "<hidden:000000000000>"');
  });
});

describe('diffLines', () => {
  it('marks removed and added lines with their line numbers and keeps the rest', () => {
    const diff = diffLines('a\nb\nc\nd', 'a\nB\nc\nd\ne');
    expect(diff.filter((line) => line.op !== ' ')).toEqual([
      { op: '-', text: 'b', line: 2 },
      { op: '+', text: 'B', line: 2 },
      { op: '+', text: 'e', line: 5 },
    ]);
    expect(diff.filter((line) => line.op === ' ').map((line) => line.text)).toEqual(['a', 'c', 'd']);
  });

  it('reports no change for equal texts', () => {
    expect(diffLines('x\ny', 'x\ny').every((line) => line.op === ' ')).toBe(true);
  });
});
