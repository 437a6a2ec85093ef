import { runCli } from '../../src/cli/main.js';

describe('switchyard demo', () => {
  it('routes the prompt suite of the seed config and prints the table and the savings', async () => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['demo'], { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^category\s+prompt\s+decision\s+model\s+routing ms$/);
    const rows = lines.slice(2, lines.indexOf(''));
    expect(rows).toHaveLength(21);
    const reasoning = rows.filter((row) => row.startsWith('reasoning'));
    expect(reasoning).toHaveLength(3);
    for (const row of reasoning) expect(row).toMatch(/reasoning-route\s+gemini-2\.5-pro\s+\d+\.\d{3}$/);
    for (const row of rows.filter((row) => row.startsWith('coding'))) expect(row).toContain('coding-route');
    expect(stdout).toContain('kept local: 18 of 21 requests (85.7%)');
    expect(stdout).toMatch(/token cost: \d+\.\d{6} USD routed vs \d+\.\d{6} USD all on gemini-2\.5-pro \(\d+\.\d% saved\)/);
  });
});
