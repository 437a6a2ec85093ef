import { DEFAULT_WORD_SIMILARITY } from '../../src/cache/default-threshold.js';
import { nearMissReason } from '../../src/cache/near-miss-guard.js';
import { promptFacts } from '../../src/cache/prompt-facts.js';
import { BUNDLED_ENCODER_DIR } from '../../src/classifiers/bundled-models.js';
import { UseLiteEmbedder } from '../../src/classifiers/use-lite-embedder.js';

let embedder: UseLiteEmbedder;
beforeAll(async () => {
  embedder = await UseLiteEmbedder.load(BUNDLED_ENCODER_DIR);
});
const reason = (query: string, cached: string) =>
  nearMissReason(promptFacts(query), promptFacts(cached), { embedder, wordSimilarity: DEFAULT_WORD_SIMILARITY });

describe('near-miss guard', () => {
  it('lets paraphrases through: case, punctuation, contractions, request frame, plurals, moved phrases', async () => {
    expect(await reason("what's the capital of france", 'What is the capital of France?')).toBeUndefined();
    expect(await reason('Can you please tell me how vaccines work?', 'How do vaccines work?')).toBeUndefined();
    expect(await reason('How do I bake sourdough breads?', 'How can I bake sourdough bread')).toBeUndefined();
    expect(await reason('In Python, how do I reverse a list?', 'How do I reverse a list in Python?')).toBeUndefined();
    expect(await reason('Give me two tips', 'Give me 2 tips')).toBeUndefined();
  });

  it('lets a synonym, an extra word or another word form through', async () => {
    expect(await reason('What is the capital city of Australia?', 'What is the capital of Australia?')).toBeUndefined();
    expect(await reason('Who was the painter of the Mona Lisa?', 'Who painted the Mona Lisa?')).toBeUndefined();
  });

  it('reads through speech repairs', async () => {
    expect(await reason('What territory was ceded to Spain no I mean France?', 'What territory was ceded to France?')).toBeUndefined();
    expect(await reason('What nominal title did the Great Khan no the Yuan emperors have?', 'What nominal title did Yuan emperors have?')).toBeUndefined();
    expect(await reason('Which is heavier, a pound of feathers or a kilogram of steel?', 'Which is heavier, a kilogram of feathers or a kilogram of steel?')).toBe('contrast');
  });

  it('rejects a different entity', async () => {
    expect(await reason('What is the capital of Germany?', 'What is the capital of France?')).toBe('entity');
    expect(await reason('Is the US big?', 'Is us big?')).toBe('entity');
  });

  it('rejects different numbers, in digits or words, or in another order', async () => {
    expect(await reason('Convert 50 Fahrenheit to Celsius', 'Convert 100 Fahrenheit to Celsius')).toBe('number');
    expect(await reason('Give me five tips', 'Give me three tips')).toBe('number');
    expect(await reason('What is 1,000 + 3.50?', 'What is 1000 + 3.5?')).toBeUndefined();
    expect(await reason('What is the second largest country?', 'What is the largest country?')).toBe('number');
  });

  it('rejects a negation on one side only', async () => {
    expect(await reason("Why doesn't my code compile?", 'Why does my code compile?')).toBe('negation');
    expect(await reason('Sort a list without built-ins', 'Sort a list with built-ins')).toBe('negation');
  });

  it('rejects opposite function words that the old guard stripped', async () => {
    expect(await reason('Is it above freezing today?', 'Is it below freezing today?')).toBe('contrast');
    expect(await reason('How do I turn off dark mode?', 'How do I turn on dark mode?')).toBe('contrast');
    expect(await reason('What did she say in her speech?', 'What did he say in his speech?')).toBe('contrast');
    expect(await reason('How do I scroll down?', 'How do I scroll up?')).toBe('contrast');
    expect(await reason('Should I breathe out first?', 'Should I breathe in first?')).toBe('contrast');
    expect(await reason('How do I make my website load slower?', 'How do I make my website load faster?')).toBe('contrast');
  });

  it('rejects a different object or an added qualifier', async () => {
    expect(await reason('How do I sort a list in Python?', 'How do I reverse a list in Python?')).toBe('content-word');
    expect(await reason('How do I undo a git push?', 'How do I undo a git commit?')).toBe('content-word');
    expect(await reason('What physical issue caused the st louis cardinals move to arizona?', 'Why did the st louis cardinals move to arizona?')).toBe('content-word');
  });

  it('rejects swapped roles and directions', async () => {
    expect(await reason('Convert 5 km to miles', 'Convert 5 miles to km')).toBe('word-order');
    expect(await reason('Convert celsius to fahrenheit', 'Convert fahrenheit to celsius')).toBe('word-order');
    expect(await reason('Does the cat chase the dog?', 'Does the dog chase the cat?')).toBe('word-order');
    expect(await reason('Who did Brutus kill?', 'Who killed Brutus?')).toBe('word-order');
  });
});
