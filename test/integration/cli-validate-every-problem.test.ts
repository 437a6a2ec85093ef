import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { SEED_CONFIG_PATH } from '../helpers/config-fixture.js';

// A name no environment sets, so the reference below is unset wherever the test runs.
const UNSET_VARIABLE = 'SWITCHYARD_TEST_NEVER_SET_KEY';

async function validate(file: string): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await runCli(['validate', '--config', file], { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true } });
  return { code, stdout };
}

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function lineColOf(text: string, needle: string): string {
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`"${needle}" is not in the config`);
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}

describe('switchyard validate on a config with several problems', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-validate-'));
    delete process.env[UNSET_VARIABLE];
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints an unset variable, an undefined signal and an unknown model in one run, each at its line and column', async () => {
    const seed = await readFile(SEED_CONFIG_PATH, 'utf8');
    const text = seed
      .replace('"<YOUR_GEMINI_API_KEY>"', `"\${${UNSET_VARIABLE}}"`)
      .replace('name: "coding_keywords"\n    modelRefs', 'name: "no_such_rule"\n    modelRefs')
      .replace('- model: "gemini-2.5-pro"', '- model: "no-such-model"');
    const file = path.join(dir, 'config.yaml');
    await writeFile(file, text);

    const run = await validate(file);

    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toEqual([
      `${file}:${lineColOf(text, `\${${UNSET_VARIABLE}}`)}: error SY_CFG_ENV_UNSET: environment variable "${UNSET_VARIABLE}" is not set and "\${${UNSET_VARIABLE}}" has no default (write \${${UNSET_VARIABLE}:-default})`,
      expect.stringMatching(new RegExp(`^${escape(file)}:${lineColOf(text, '"no-such-model"')}: error SY_CFG_UNKNOWN_MODEL: .*"no-such-model"`)),
      expect.stringMatching(new RegExp(`^${escape(file)}:${lineColOf(text, '"no_such_rule"')}: error SY_CFG_UNKNOWN_SIGNAL: .*"no_such_rule"`)),
    ]);
  });

  it('reports a variable that builds a port or a host once, not again as a bad value', async () => {
    const seed = await readFile(SEED_CONFIG_PATH, 'utf8');
    const text = seed.replace('port: 8899', `port: \${${UNSET_VARIABLE}}`).replace('"host.containers.internal:8000"', `"\${${UNSET_VARIABLE}}:\${${UNSET_VARIABLE}}"`);
    const file = path.join(dir, 'config.yaml');
    await writeFile(file, text);
    const run = await validate(file);
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split('\n').map((line) => line.split(': ')[1])).toEqual(['error SY_CFG_ENV_UNSET', 'error SY_CFG_ENV_UNSET', 'error SY_CFG_ENV_UNSET']);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
