import { fileURLToPath } from 'node:url';
import { domainSignalPlugin, type DomainRule } from '../../src/signals/domain.js';
import { closed, extract, view } from '../helpers/signal-extraction.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/models', import.meta.url));

describe('domain signal', () => {
  it('matches by rule name or by mmlu_categories, with the top-1 probability as confidence', async () => {
    const rules: DomainRule[] = [{ name: 'math', threshold: 0.3 }, { name: 'sciences', mmlu_categories: ['physics', 'chemistry'], threshold: 0.3 }];
    await closed(await domainSignalPlugin.create(rules, { configDir: '.' }), async (extractor) => {
      const [math, sciences] = await extract(extractor, 'Solve for x: 3x + 7 = 22. What is the value of x?');
      expect(math).toEqual(expect.objectContaining({ name: 'math', matched: true }));
      expect(math!.confidence).toBeGreaterThanOrEqual(0.3);
      expect(sciences).toEqual(expect.objectContaining({ name: 'sciences', matched: false, confidence: 0 }));
      const [, physics] = await extract(extractor, 'A ball is thrown upward at 20 m/s. Ignoring air resistance, how high does it rise under gravity?');
      expect(physics!.matched).toBe(true);
    });
  });

  it('a threshold above the top-1 probability keeps the rule from matching', async () => {
    await closed(await domainSignalPlugin.create([{ name: 'math', threshold: 1 }], { configDir: '.' }), async (extractor) => {
      const [math] = await extract(extractor, 'Solve for x: 3x + 7 = 22.');
      expect(math!.matched).toBe(false);
    });
  });

  it('rejects a rule no classifier label can satisfy', async () => {
    await expect(domainSignalPlugin.create([{ name: 'astrology' }], { configDir: '.' })).rejects.toThrow(/domain rule "astrology": neither its name nor its mmlu_categories is a label/);
  });

  it('runs a Hugging Face export folder named by model_path (tiny BERT)', async () => {
    await closed(await domainSignalPlugin.create([{ name: 'greeting', model_path: 'tiny-bert' }], { configDir: FIXTURES }), async (extractor) => {
      expect((await extract(extractor, 'hi how are you'))[0]!.matched).toBe(true);
      expect((await extract(extractor, 'prove that the square root of 2 is irrational'))[0]!.matched).toBe(false);
    });
  });

  it('names the folder and the missing file of a broken model folder', async () => {
    await expect(domainSignalPlugin.create([{ name: 'math', model_path: 'nowhere' }], { configDir: FIXTURES })).rejects.toThrow(
      `domain rule "math": model folder ${FIXTURES}/nowhere does not exist`,
    );
  });
});
