import { int64Ids, ngramKeyHashes, sparseBucketCounts, type SparseBuckets } from '../../src/classifiers/domain-sparse-features.js';
import { fnv1a, ngramKeys, tokenize } from '../../src/classifiers/text-features.js';

const counted = (text: string, buckets: SparseBuckets) => sparseBucketCounts(text, buckets, ngramKeyHashes(tokenize(text)));

// Expected values printed by training/domain_sparse_features.py (bucket_counts): the TS
// side must match the trainer exactly or the domain model's TF-IDF part sees different features.
describe('domain sparse features mirror training/domain_sparse_features.py', () => {
  it('hashes 2-5 code-point grams of whitespace-separated, NFKC lower-cased words padded with spaces', () => {
    const { ids, counts } = counted('Ünï x^2!  ﬁne', { wordBuckets: 1 << 17, charBuckets: 1 << 17 });
    expect(Array.from(counts).every((c) => c === 1)).toBe(true);
    expect(Array.from(ids, Number).sort((a, b) => a - b)).toEqual([
      35183, 37501, 47302, 51012, 74386, 129030, 130031, 141007, 146623, 148586, 149392, 152983, 153300, 156130,
      162677, 163579, 188956, 190827, 198986, 199301, 200889, 203297, 204603, 208393, 211269, 213843, 213993,
      216054, 216453, 219194, 228992, 230005, 230277, 232141, 232855, 234648, 235424, 242455, 244254, 245552,
      246207, 249696, 254315, 255976, 259969,
    ]);
  });

  it('gives no buckets for whitespace only', () => {
    expect(counted(' \n\t ', { wordBuckets: 8, charBuckets: 8 }).ids).toHaveLength(0);
  });

  it('counts word and char buckets like the trainer', () => {
    const { ids, counts } = counted('H2SO4: x^2 = x^2', { wordBuckets: 1 << 17, charBuckets: 1 << 17 });
    const pairs = Array.from(ids, (id, i) => [Number(id), counts[i]!]).sort((a, b) => a[0]! - b[0]!);
    expect(pairs).toEqual([
      [157, 1], [8087, 1], [20674, 1], [37501, 2], [51012, 2], [74386, 2], [136266, 1], [137130, 1], [137136, 1],
      [139680, 1], [142944, 1], [146259, 1], [149392, 2], [167935, 1], [170609, 1], [173818, 1], [174382, 1],
      [177199, 1], [187279, 1], [187388, 1], [191254, 1], [191462, 1], [198986, 2], [202672, 1], [204200, 2],
      [213440, 2], [219194, 2], [226205, 1], [228314, 1], [230987, 1], [231738, 2], [231917, 1], [234648, 2],
      [242568, 1], [243186, 1], [249696, 2], [250679, 1], [253912, 2], [255976, 2], [258292, 1], [262064, 1],
    ]);
  });

  it('hashes every n-gram key like fnv1a(ngramKeys(tokens)), repeated tokens included', () => {
    const tokens = tokenize('Ünïcode ﬁne-tuning, x2 = 3.5; the cat and the cat, naïve café');
    expect(Array.from(ngramKeyHashes(tokens))).toEqual(ngramKeys(tokens).map(fnv1a));
    expect(ngramKeyHashes([])).toHaveLength(0);
    expect(Array.from(ngramKeyHashes(['solo']))).toEqual([fnv1a('u:solo')]);
  });

  it('counts a repeated word once per occurrence', () => {
    const buckets = { wordBuckets: 1 << 17, charBuckets: 1 << 17 };
    const once = counted('entropy', buckets);
    const thrice = counted('entropy entropy\nentropy', buckets);
    const byId = (c: { ids: BigInt64Array; counts: Float32Array }) => new Map(Array.from(c.ids, (id, i) => [Number(id), c.counts[i]!]));
    const charOnce = [...byId(once)].filter(([id]) => id >= buckets.wordBuckets);
    const thriceById = byId(thrice);
    expect(charOnce.length).toBeGreaterThan(0);
    for (const [id, n] of charOnce) expect(thriceById.get(id)).toBe(3 * n);
  });

  it('writes ids into an int64 buffer equal to BigInt(id)', () => {
    const values = [0, 1, 32767, 131072, 262143, 2 ** 31 - 1];
    expect(Array.from(int64Ids(values, (v) => v))).toEqual(values.map((v) => BigInt(v)));
    expect(Array.from(int64Ids(Uint32Array.of(4294967295, 70000), (h) => h % 32768))).toEqual([32767n, 4464n]);
  });
});
