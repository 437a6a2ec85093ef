import { fileURLToPath } from 'node:url';
describe('smoke', () => {
  it('runs ESM', () => { expect(fileURLToPath(import.meta.url)).toContain('smoke'); });
});
