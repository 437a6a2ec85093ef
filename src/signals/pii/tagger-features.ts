/**
 * Tokens with character offsets and the sparse features the PERSON / STREET_ADDRESS sequence
 * tagger scores. Training (training/pii/train-tagger.ts) imports this same code, so the bundled
 * weights and the runtime can never disagree about a feature.
 */

/** A word, number or single punctuation mark of the scanned text. */
export interface TaggerToken {
  readonly text: string;
  /** UTF-16 offsets into the text, end exclusive. */
  readonly start: number;
  readonly end: number;
  /** A line break lies between the previous token and this one (address lines, signature blocks). */
  readonly lineStart: boolean;
}

// Letter runs may hold inner hyphens and apostrophes (Weber-Santana, O'Brien) but not a possessive 's.
const TOKEN = /\p{L}[\p{L}\p{M}]*(?:[-'’](?![sS]\b)\p{L}[\p{L}\p{M}]*)*|\p{N}+|\S/gu;

/** Splits a text into tagger tokens. */
export function taggerTokens(text: string): TaggerToken[] {
  const tokens: TaggerToken[] = [];
  let previousEnd = 0;
  for (const m of text.matchAll(TOKEN)) {
    tokens.push({ text: m[0], start: m.index, end: m.index + m[0].length, lineStart: text.slice(previousEnd, m.index).includes('\n') });
    previousEnd = m.index + m[0].length;
  }
  return tokens;
}

/** Character classes: Xxxx → "Xx", 1600 → "d", A. → "X.". */
function shortShape(word: string): string {
  return wordShape(word).replace(/(.)\1+/gu, '$1');
}

/** Character classes with runs capped at four: "Xxxx", "dddd", "X.". */
function wordShape(word: string): string {
  return word
    .replace(/\p{Lu}/gu, 'X')
    .replace(/[\p{Ll}\p{Lo}\p{M}]/gu, 'x')
    .replace(/\p{N}/gu, 'd')
    .replace(/(.)\1{4,}/gu, '$1$1$1$1');
}

/** A word's k-means cluster of its GloVe vector and its frequency rank (models/pii/word-clusters.txt). */
export interface WordEntry {
  readonly cluster: number;
  readonly rank: number;
}

/** Parses "word<TAB>cluster" lines, most frequent word first. */
export function parseWordClusters(text: string): ReadonlyMap<string, WordEntry> {
  const entries = new Map<string, WordEntry>();
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) entries.set(line.slice(0, tab), { cluster: Number(line.slice(tab + 1)), rank: entries.size });
  }
  return entries;
}

/** Frequency band of a word: common words are rarely names. */
function rankBand(entry: WordEntry | undefined): string {
  if (entry === undefined) return 'oov';
  return entry.rank < 1000 ? '1k' : entry.rank < 5000 ? '5k' : entry.rank < 20000 ? '20k' : '40k';
}

/** Feature prefixes that name the word itself; training drops them at random so context and clusters carry weight. */
export const WORD_IDENTITY_PREFIXES: readonly string[] = ['w=', 'p3=', 'x3=', 'x2=', 'first|w=', 'caseless|w='];

const SENTENCE_END = new Set(['.', '!', '?', ':', '>', '"']);

/** Feature strings of every token; a whole-text lower-case flag lets the model trust words over shapes. */
export function taggerFeatures(tokens: readonly TaggerToken[], words: ReadonlyMap<string, WordEntry>): string[][] {
  const lower = tokens.map((t) => t.text.toLowerCase());
  const entries = lower.map((w) => words.get(w));
  const cluster = (i: number) => (i < 0 ? '<s>' : i >= tokens.length ? '</s>' : String(entries[i]?.cluster ?? rankBand(entries[i])));
  const shapes = tokens.map((t) => shortShape(t.text));
  const caseless = tokens.every((t) => t.text === t.text.toLowerCase());
  const word = (i: number) => (i < 0 ? '<s>' : i >= tokens.length ? '</s>' : lower[i]!);
  const shape = (i: number) => (i < 0 ? '<s>' : i >= tokens.length ? '</s>' : shapes[i]!);
  return tokens.map((token, i) => {
    const w = lower[i]!;
    const features = [
      'b',
      `w=${w}`,
      `s=${shapes[i]}`,
      `S=${wordShape(token.text)}`,
      `p3=${w.slice(0, 3)}`,
      `x3=${w.slice(-3)}`,
      `x2=${w.slice(-2)}`,
      `-1w=${word(i - 1)}`,
      `+1w=${word(i + 1)}`,
      `-2w=${word(i - 2)}`,
      `+2w=${word(i + 2)}`,
      `-1s=${shape(i - 1)}`,
      `+1s=${shape(i + 1)}`,
      `-1w|s=${word(i - 1)}|${shapes[i]}`,
      `+1w|s=${word(i + 1)}|${shapes[i]}`,
      `-1s|s|+1s=${shape(i - 1)}|${shapes[i]}|${shape(i + 1)}`,
      `-2w|-1w=${word(i - 2)}|${word(i - 1)}`,
      `c=${cluster(i)}`,
      `-1c=${cluster(i - 1)}`,
      `+1c=${cluster(i + 1)}`,
      `c|s=${cluster(i)}|${shapes[i]}`,
      `r|s=${rankBand(entries[i])}|${shapes[i]}`,
    ];
    if (token.lineStart) features.push('nl', `nl|s=${shapes[i]}`);
    if (tokens[i + 1]?.lineStart === true) features.push('nl+1');
    if (i === 0 || SENTENCE_END.has(lower[i - 1]!) || token.lineStart) features.push(`first|w=${w}`);
    if (caseless) features.push('caseless', `caseless|w=${w}`);
    return features;
  });
}
