import { nearMissReason } from '../../src/cache/near-miss-guard.js';
import { promptFacts } from '../../src/cache/prompt-facts.js';

const reason = (query: string, cached: string) => nearMissReason(promptFacts(query), promptFacts(cached));

describe('near-miss guard', () => {
  it('lets paraphrases through: case, punctuation, contractions, request frame, plurals, moved phrases', () => {
    expect(reason("what's the capital of france", 'What is the capital of France?')).toBeUndefined();
    expect(reason('Can you please tell me how vaccines work?', 'How do vaccines work?')).toBeUndefined();
    expect(reason('How do I bake sourdough breads?', 'How can I bake sourdough bread')).toBeUndefined();
    expect(reason('In Python, how do I reverse a list?', 'How do I reverse a list in Python?')).toBeUndefined();
    expect(reason('Give me two tips', 'Give me 2 tips')).toBeUndefined();
  });

  it('rejects a different entity', () => {
    expect(reason('What is the capital of Germany?', 'What is the capital of France?')).toBe('entity');
    expect(reason('Is the US big?', 'Is us big?')).toBe('entity');
  });

  it('rejects different numbers, in digits or words', () => {
    expect(reason('Convert 50 Fahrenheit to Celsius', 'Convert 100 Fahrenheit to Celsius')).toBe('number');
    expect(reason('Give me five tips', 'Give me three tips')).toBe('number');
    expect(reason('What is 1,000 + 3.50?', 'What is 1000 + 3.5?')).toBeUndefined();
    expect(reason('What is the second largest country?', 'What is the largest country?')).toBe('number');
  });

  it('rejects a negation on one side only', () => {
    expect(reason("Why doesn't my code compile?", 'Why does my code compile?')).toBe('negation');
    expect(reason('Sort a list without built-ins', 'Sort a list with built-ins')).toBe('negation');
  });

  it('rejects a different topic word, rare or common', () => {
    expect(reason('What is the smallest planet?', 'What is the largest planet?')).toBe('content-word');
    expect(reason('How do I undo a git push?', 'How do I undo a git commit?')).toBe('content-word');
  });

  it('rejects swapped roles and directions', () => {
    expect(reason('Convert celsius to fahrenheit', 'Convert fahrenheit to celsius')).toBe('word-order');
    expect(reason('Does the cat chase the dog?', 'Does the dog chase the cat?')).toBe('word-order');
    expect(reason('Who did Brutus kill?', 'Who killed Brutus?')).toBe('word-order');
  });
});
