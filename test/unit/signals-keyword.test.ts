import { keywordPattern, keywordSignalPlugin, type KeywordRule } from '../../src/signals/keyword.js';
import type { RequestView } from '../../src/signals/signal.js';

function view(lastUserText: string): RequestView {
  return { lastUserText, messages: [{ role: 'user', text: lastUserText }], headers: new Map() };
}

async function matchedNames(rules: readonly KeywordRule[], text: string): Promise<string[]> {
  const extractor = await keywordSignalPlugin.create(rules, { configDir: '.' });
  const results = await extractor.extract(view(text), new AbortController().signal);
  return results.filter((result) => result.matched).map((result) => result.name);
}

const orRule = (keywords: string[], caseSensitive?: boolean): KeywordRule => ({
  name: 'r',
  operator: 'OR',
  keywords,
  ...(caseSensitive === undefined ? {} : { case_sensitive: caseSensitive }),
});

describe('keyword signal', () => {
  it.each([
    ['class', 'Write a class for this', true],
    ['class', 'text classification model', false],
    ['class', 'a subclass of it', false],
    ['class', 'class_name is a variable', false],
    ['class', '(class)', true],
    ['formal verification', 'we need formal verification here', true],
    ['formal verification', 'formal   \n verification', true],
    ['formal verification', 'formal verifications', false],
    ['formal verification', 'verification formal', false],
    ['c++', 'How do I write C++ templates?', true],
    ['c++', 'c+ is not c++?', true],
    ['c++', 'c+', false],
    ['node.js', 'Deploy Node.js apps', true],
    ['node.js', 'nodexjs', false],
    ['.net', 'I use .NET daily', true],
    ['café', 'Un café noir', true],
    ['café', 'Les cafés', false],
    ['数学', '我喜欢数学', true],
    ['a.b*c', 'regex specials a.b*c here', true],
    ['a.b*c', 'aXbbbc', false],
    ['e-mail', 'send an e-mail', true],
    ['e-mail', 'email', false],
    ['tl;dr', 'tl;dr: it works', true],
    ['x{2}', 'x{2} as written', true],
    ['C#', 'Learn C# today', true],
    ['#hashtag', 'a #hashtag here', true],
    ["don't", "I don't know", true],
  ])('%j in %j -> %s', async (keyword, text, expected) => {
    expect(await matchedNames([orRule([keyword])], text)).toEqual(expected ? ['r'] : []);
  });

  it('ignores case unless case_sensitive', async () => {
    expect(await matchedNames([orRule(['Prove'])], 'PROVE this')).toEqual(['r']);
    expect(await matchedNames([orRule(['Prove'], false)], 'prove this')).toEqual(['r']);
    expect(await matchedNames([orRule(['Prove'], true)], 'prove this')).toEqual([]);
    expect(await matchedNames([orRule(['Prove'], true)], 'Prove this')).toEqual(['r']);
  });

  it('applies OR, AND and NOR', async () => {
    const rules: KeywordRule[] = [
      { name: 'any', operator: 'OR', keywords: ['alpha', 'beta'] },
      { name: 'all', operator: 'AND', keywords: ['alpha', 'beta'] },
      { name: 'none', operator: 'NOR', keywords: ['alpha', 'beta'] },
    ];
    expect(await matchedNames(rules, 'alpha and beta')).toEqual(['any', 'all']);
    expect(await matchedNames(rules, 'only alpha')).toEqual(['any']);
    expect(await matchedNames(rules, 'neither')).toEqual(['none']);
  });

  it('reports every rule, matched or not, with confidence 1 on a match', async () => {
    const extractor = await keywordSignalPlugin.create(
      [
        { name: 'reasoning', operator: 'OR', keywords: ['prove'] },
        { name: 'coding', operator: 'OR', keywords: ['function'] },
        { name: 'other', operator: 'OR', keywords: ['poem'] },
      ],
      { configDir: '.' },
    );
    expect(await extractor.extract(view('Prove this function terminates'), new AbortController().signal)).toEqual([
      { type: 'keyword', name: 'reasoning', matched: true, confidence: 1 },
      { type: 'keyword', name: 'coding', matched: true, confidence: 1 },
      { type: 'keyword', name: 'other', matched: false, confidence: 0 },
    ]);
  });

  it('reads only the last user message', async () => {
    const extractor = await keywordSignalPlugin.create([orRule(['prove'])], { configDir: '.' });
    const request: RequestView = {
      lastUserText: 'thanks',
      messages: [{ role: 'user', text: 'prove it' }, { role: 'assistant', text: 'ok' }, { role: 'user', text: 'thanks' }],
      headers: new Map(),
    };
    expect((await extractor.extract(request, new AbortController().signal))[0]?.matched).toBe(false);
  });

  it('rejects an empty keyword and a bad operator, naming the rule', () => {
    expect(() => keywordSignalPlugin.create([{ name: 'blank', operator: 'OR', keywords: ['  '] }], { configDir: '.' })).toThrow(
      /keyword rule "blank": a keyword is empty/,
    );
    const badOperator = { name: 'xor', operator: 'XOR', keywords: ['a'] } as unknown as KeywordRule;
    expect(() => keywordSignalPlugin.create([badOperator], { configDir: '.' })).toThrow(/keyword rule "xor": operator must be/);
  });

  it('compiles any printable ASCII punctuation and matches it literally', () => {
    for (let code = 0x21; code < 0x7f; code++) {
      const keyword = `a${String.fromCharCode(code)}b`;
      const pattern = keywordPattern(keyword, true);
      expect(pattern.test(`x ${keyword} y`)).toBe(true);
      expect(pattern.test('x ab y')).toBe(false);
    }
  });

  it('compiles one pattern per keyword', () => {
    expect(keywordPattern('c++', false).source).toBe(String.raw`(?<![\p{L}\p{M}\p{N}_])c\+\+`);
    expect(keywordPattern('Hi', true).flags).toBe('u');
  });

  it('emits its rule name and declares a closed schema', () => {
    expect(keywordSignalPlugin.emittedNames({ name: 'x', operator: 'OR', keywords: ['a'] })).toEqual(['x']);
    expect(keywordSignalPlugin.ruleSchema).toMatchObject({ type: 'object', additionalProperties: false });
  });
});
