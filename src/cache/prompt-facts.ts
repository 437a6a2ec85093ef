import { CONTRAST_GROUPS, FILLER_WORDS, FUNCTION_WORDS, NEGATION_WORDS, NUMBER_WORDS, REPAIR_PHRASES, WH_WORDS } from './function-words.js';
import { wordStem } from './word-stem.js';

/** What the near-miss guard compares of a prompt. */
export interface PromptFacts {
  /** Numbers (digits, number words, ordinals) as normalised values, in order: "first … second" ≠ "second … first". */
  readonly numbers: readonly string[];
  /** How many negations the prompt holds. */
  readonly negations: number;
  /** Stems of capitalised words that do not start a sentence, and of acronyms. */
  readonly entities: ReadonlySet<string>;
  /**
   * For each contrast group the prompt touches (above/below, he/she, on/off, in/out, first/last…),
   * the poles it uses, joined: "above" and "below" answer differently, however similar the rest.
   */
  readonly contrasts: ReadonlyMap<number, string>;
  /** Stems of the topic words, in order of first appearance (entities included). */
  readonly contentStems: readonly string[];
  /** A lower-case surface word of each topic stem, for word-level similarity. */
  readonly contentWords: ReadonlyMap<string, string>;
  /**
   * The prompt with its speech repairs cut out ("what is, uh no, who is the king" → "who is the
   * king"): the text the cache embeds, so a disfluent rewrite lands next to its fluent original.
   */
  readonly repaired: string;
  /** The prompt after Unicode normalisation, before repairs are cut: `words` index into it. */
  readonly normalised: string;
  /** Every word of `normalised`, hesitations and repair words included, for aligning two prompts. */
  readonly words: readonly PromptWord[];
}

/** A word of a prompt, where it stands in the normalised text. */
export interface PromptWord {
  readonly text: string;
  readonly lower: string;
  readonly start: number;
  readonly end: number;
}

interface Word extends PromptWord {
  readonly sentenceStart: boolean;
  /** A hesitation (um, uh) came just before: a following "no" is a repair, not a negation. */
  readonly afterFiller?: boolean;
}

/** Words, and grouped numbers as one word ("1,000", "3.50"). */
const WORD = /\p{N}+(?:[.,]\p{N}+)+|[\p{L}\p{N}]+/gu;
const DIGITS = /\p{N}+(?:[.,]\p{N}+)*/gu;
const SENTENCE_END = /[.!?:;\n]\s*$/;
const INNER_APOSTROPHE = /(\p{L})['’](\p{L})/gu;
/** How far back a repair may restart ("the Great Khan no the Yuan emperors"). */
const RESTART_WINDOW = 6;
const DETERMINERS = new Set(['the', 'a', 'an']);

/** A digit run as a value: "1,000" → "1000", "3.50" → "3.5". */
function normaliseNumber(digits: string): string {
  const grouped = /^\d{1,3}(,\d{3})+(\.\d+)?$/.test(digits) ? digits.replace(/,/g, '') : digits.replace(/,/g, '.');
  const value = Number(grouped);
  return Number.isFinite(value) ? String(value) : grouped;
}

function isEntity(word: Word): boolean {
  if (word.text.length >= 2 && /^\p{Lu}[\p{Lu}\p{N}]+$/u.test(word.text)) return true;
  // "I", "I'm": capitalised by rule, not names.
  return !word.sentenceStart && /\p{Lu}/u.test(word.text) && !FUNCTION_WORDS.has(word.lower);
}

/** Length of the repair phrase ("i mean", "sorry", "no"…) that starts at `i`, or 0. */
function repairPhraseAt(words: readonly Word[], i: number): number {
  for (const phrase of REPAIR_PHRASES) {
    if (phrase.every((w, k) => words[i + k]?.lower === w)) return phrase.length;
  }
  return 0;
}

/**
 * "or" and "well" mark a repair only next to another repair word; "no" also when a hesitation
 * precedes it or a determiner, a question word or an earlier word restarts the phrase after it;
 * "rather" unless it compares ("would rather", "rather than").
 */
function isRepairWord(words: readonly Word[], i: number, nextToRepair: boolean): boolean {
  const word = words[i]!.lower;
  if (word === 'no') {
    const next = words[i + 1]?.lower;
    if (next === undefined || nextToRepair || words[i]!.afterFiller === true) return next !== undefined;
    return DETERMINERS.has(next) || WH_WORDS.has(next) || words.slice(Math.max(0, i - RESTART_WINDOW), i).some((w) => w.lower === next);
  }
  if (word === 'or' || word === 'well') return nextToRepair;
  if (word === 'rather') return !['would', 'id', 'had'].includes(words[i - 1]?.lower ?? '') && words[i + 1]?.lower !== 'than';
  return true;
}

/**
 * Removes speech repairs: "for Poland no I mean Warsaw" → "for Warsaw", "Why, no wait, what
 * percentage" → "what percentage", "the Great Khan no the Yuan emperors" → "the Yuan emperors".
 * Fillers (um, uh) are dropped. The replaced part (reparandum) runs back to the last earlier copy
 * of the repair's first word, or to the last question word when the repair starts with one, or
 * else is the one word before the edit.
 */
function withoutRepairs(input: readonly Word[]): Word[] {
  let words = input
    .map((w, i) => (i > 0 && FILLER_WORDS.has(input[i - 1]!.lower) ? { ...w, afterFiller: true } : w))
    .filter((w) => !FILLER_WORDS.has(w.lower));
  for (let i = 0; i < words.length; i++) {
    let end = i;
    let repairs = 0;
    for (;;) {
      const length = repairPhraseAt(words, end);
      if (length === 0 || !isRepairWord(words, end, repairs > 0 || repairPhraseAt(words, end + length) > 0)) break;
      end += length;
      repairs += 1;
    }
    if (repairs === 0 || end >= words.length || i === 0) continue;
    const restart = words[end]!.lower;
    // Without a restart point the replaced part is the word before the edit, with the rest of a
    // name it ends ("Wahl and Ammann no no Karlen and Singer").
    let start = i - 1;
    while (start > 0 && /^\p{Lu}/u.test(words[start]!.text) && (/^\p{Lu}/u.test(words[start - 1]!.text) || words[start - 1]!.lower === 'and')) {
      start -= words[start - 1]!.lower === 'and' && start > 1 ? 2 : 1;
    }
    for (let k = i - 1; k >= Math.max(0, i - RESTART_WINDOW); k--) {
      if (words[k]!.lower === restart || (WH_WORDS.has(restart) && WH_WORDS.has(words[k]!.lower))) {
        start = k;
        break;
      }
    }
    words = [...words.slice(0, start), ...words.slice(end)];
    i = start - 1;
  }
  return words;
}

function wordsOf(text: string): Word[] {
  const words: Word[] = [];
  for (const match of text.matchAll(WORD)) {
    const sentenceStart = match.index === 0 || SENTENCE_END.test(text.slice(Math.max(0, match.index - 3), match.index));
    words.push({ text: match[0], lower: match[0].toLowerCase(), sentenceStart, start: match.index, end: match.index + match[0].length });
  }
  return words;
}

/**
 * The text of the kept words, each with the punctuation and spacing that followed it in the
 * original, so "What is, uh no, who is the king?" reads "who is the king?". The text before the
 * first word (an opening quote) stays. The original text, untouched, when nothing was removed (so
 * the cache shares the vector the signals computed for it).
 */
function keptText(original: string, text: string, all: readonly Word[], kept: readonly Word[]): string {
  if (kept.length === all.length) return original;
  const parts = [text.slice(0, all[0]?.start ?? 0)];
  // `kept` is a subsequence of `all`: one pointer finds each kept word's successor in the original.
  let at = 0;
  for (const [i, word] of kept.entries()) {
    while (all[at]!.start < word.start) at += 1;
    const next = all[at + 1];
    const gap = next === undefined ? text.slice(word.end) : text.slice(word.end, next.start);
    // The text between a kept word and a removed one ("is, ") is dropped unless it ends a sentence.
    const following = kept[i + 1];
    const joined = following === undefined || next?.start === following.start ? gap : gap.replace(/[^\s.!?]+/gu, '').replace(/\s+/gu, ' ') || ' ';
    parts.push(word.text, joined);
  }
  return parts.join('').trim();
}

/** Reads the facts of a prompt; pure and fast (one pass over the words after repairs are removed). */
export function promptFacts(text: string): PromptFacts {
  const normalised = text.normalize('NFKC').replace(INNER_APOSTROPHE, '$1$2');
  const all = wordsOf(normalised);
  const words = withoutRepairs(all);
  const numbers: string[] = [];
  for (const word of words) for (const match of word.text.matchAll(DIGITS)) numbers.push(normaliseNumber(match[0]));
  let negations = 0;
  const entities = new Set<string>();
  const poles = new Map<number, Set<number>>();
  const contentStems: string[] = [];
  const contentWords = new Map<string, string>();
  for (const word of words) {
    const { lower } = word;
    const contrast = CONTRAST_GROUPS.get(lower);
    if (contrast !== undefined) {
      const used = poles.get(contrast.group) ?? new Set<number>();
      used.add(contrast.pole);
      poles.set(contrast.group, used);
    }
    if (NEGATION_WORDS.has(lower)) {
      negations += 1;
      continue;
    }
    const numberWord = NUMBER_WORDS.get(lower);
    if (numberWord !== undefined) {
      numbers.push(numberWord);
      continue;
    }
    const entity = isEntity(word);
    if ((!entity && FUNCTION_WORDS.has(lower)) || /^[\p{N}.,]+$/u.test(word.text)) continue;
    const stem = /\p{N}/u.test(lower) ? lower : wordStem(lower);
    if (entity) entities.add(stem);
    if (!contentWords.has(stem)) {
      contentWords.set(stem, lower);
      contentStems.push(stem);
    }
  }
  const contrasts = new Map([...poles].map(([group, used]) => [group, [...used].sort().join(',')]));
  const repaired = keptText(text, normalised, all, words);
  return { numbers, negations, entities, contrasts, contentStems, contentWords, repaired, normalised, words: all };
}
