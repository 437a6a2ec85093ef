import { fnv1a, ngramKeys, tokenize } from '../../src/classifiers/text-features.js';

// Expected values printed by `/usr/bin/python3 training/text_features.py`: the TS side must match
// the training side exactly or the bundled models see different features at run time.
describe('text features mirror training/text_features.py', () => {
  it('tokenizes and hashes like the trainer', () => {
    const tokens = tokenize('Capital of France?');
    expect(tokens).toEqual(['capital', 'of', 'france']);
    expect(ngramKeys(tokens).map(fnv1a)).toEqual([2970775574, 271587935, 399926241, 1930260812, 4136531051]);
  });

  it('normalises unicode (NFKC) and splits on non-alphanumerics', () => {
    const tokens = tokenize('Ünïcode ﬁne-tuning, x2 = 3.5');
    expect(tokens).toEqual(['ünïcode', 'fine', 'tuning', 'x2', '3', '5']);
    expect(ngramKeys(tokens).map(fnv1a)).toEqual([
      984004158, 1915353094, 1075193299, 3658842592, 218417367, 184862129, 3680518329, 1272805210, 3526912178,
      3689598338, 3773092385,
    ]);
    expect(ngramKeys(tokenize('naïve café')).map(fnv1a)).toEqual([1352109564, 2791736172, 779535469]);
  });
});
