import { DEFAULT_WORD_SIMILARITY } from '../../src/cache/default-threshold.js';
import { alignedRepair } from '../../src/cache/aligned-repair.js';
import { nearMissReason } from '../../src/cache/near-miss-guard.js';
import { promptFacts } from '../../src/cache/prompt-facts.js';
import { BUNDLED_ENCODER_DIR } from '../../src/classifiers/bundled-models.js';
import { UseLiteEmbedder } from '../../src/classifiers/use-lite-embedder.js';

const repair = (disfluent: string, fluent: string) => alignedRepair(promptFacts(disfluent), promptFacts(fluent));

describe('aligned repair (a speech repair located against the cached prompt)', () => {
  it('cuts the replaced words through the correction cue', () => {
    expect(repair('Who were the Chinese actually the Samuron?', 'Who were the Samuron?')).toBe('Who were the Samuron?');
    expect(repair('What territory was ceded to Spain ugh should say France?', 'What territory was ceded to France?')).toBe('What territory was ceded to France?');
    expect(repair('What was the Irish title of the book no not Irish but the Italian title?', 'What was the Italian title of the book?')).toBe('What was the the Italian title?');
    expect(repair('What major crop was brought to China from the west or rather to Japan not China?', 'What major crop was brought to Japan from the west?')).toBe(
      'What major crop was brought to Japan from the west?',
    );
    expect(repair('When did Hu Sihui die no Wei Yilin?', 'When did Wei Yilin die?')).toBe('When did Wei Yilin die?');
    expect(repair('What drove residents or who was responsible rather for the new projects?', 'Who was responsible for the new projects?')).toBe(
      'who was responsible rather for the new projects?',
    );
  });

  it('finds no repair where there is none: a negation, a choice, no replaced word, a long prompt', () => {
    expect(repair('Is there no cure for HIV?', 'Is there a cure for HIV?')).toBeUndefined();
    expect(repair('What is the capital of France or Spain?', 'What is the capital of Spain?')).toBeUndefined();
    expect(repair('Who directed Jaws, not Jaws 2?', 'Who directed Jaws 2?')).toBeUndefined();
    expect(repair(`${'word '.repeat(100)}Spain no France`, `${'word '.repeat(100)}France`)).toBeUndefined();
  });
});

describe('near-miss guard with aligned repairs', () => {
  let embedder: UseLiteEmbedder;
  beforeAll(async () => {
    embedder = await UseLiteEmbedder.load(BUNDLED_ENCODER_DIR);
  });
  const reason = (query: string, cached: string) => nearMissReason(promptFacts(query), promptFacts(cached), { embedder, wordSimilarity: DEFAULT_WORD_SIMILARITY });

  // Each of these was refused before the repair was located against the cached prompt (entity,
  // number, word order or an unmatched topic word from the replaced part).
  it.each([
    ['Who were the Chinese actually the Samuron?', 'Who were the Samuron?'],
    ['How many students enrolled at the College during the spring of 2011, actually, in 2014?', 'How many students enrolled at the College during the spring of 2014?'],
    ['What is another name for a private school, doh, a public school?', 'What is another name for a public school?'],
    ['What Microsoft err I mean Goldman Sachs CEO is also an alumni of the University of Chicago?', 'What Goldman Sachs CEO is also an alumni of the University of Chicago?'],
    ['What percentage of people in populated no isolated areas of Europe died from the Black Death?', 'What percentage of people in isolated areas of Europe died from the Black Death?'],
  ])('serves %j from %j', async (query, cached) => {
    expect(await reason(query, cached)).toBeUndefined();
  });

  it('still refuses what the repaired question asks differently', async () => {
    expect(await reason('What territory was ceded to France no I mean Spain?', 'What territory was ceded to France?')).toBe('entity');
    expect(await reason('Is there no cure for HIV?', 'Is there a cure for HIV?')).toBe('negation');
    expect(await reason('What is the capital of France or Spain?', 'What is the capital of Spain?')).toBe('entity');
    expect(await reason('How much did Forbes donate in 2009 sorry 2011?', 'How much did Forbes donate in 2009?')).toBe('number');
  });
});
