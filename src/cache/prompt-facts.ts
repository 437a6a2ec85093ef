import { FUNCTION_WORDS, NEGATION_WORDS, NUMBER_WORDS } from './function-words.js';
import { wordStem } from './word-stem.js';

/** What the near-miss guard compares of a prompt. */
export interface PromptFacts {
  /** Numbers (digits and number words) as normalised values, sorted. */
  readonly numbers: readonly string[];
  /** How many negations the prompt holds. */
  readonly negations: number;
  /** Stems of capitalised words that do not start a sentence, and of acronyms. */
  readonly entities: ReadonlySet<string>;
  /** Stems of the topic words, in order of first appearance (entities included). */
  readonly contentStems: readonly string[];
  /**
   * The prompt without its function words (lower case, numbers and negations kept): what gets
   * embedded, so request-frame wording ("can you tell me", "what's") does not move the vector.
   */
  readonly embeddingText: string;
}

const WORD = /[\p{L}\p{N}]+/gu;
const DIGITS = /\p{N}+(?:[.,]\p{N}+)*/gu;
const SENTENCE_END = /[.!?:;\n]\s*$/;
const INNER_APOSTROPHE = /(\p{L})['’](\p{L})/gu;

/** A digit run as a value: "1,000" → "1000", "3.50" → "3.5". */
function normaliseNumber(digits: string): string {
  const grouped = /^\d{1,3}(,\d{3})+(\.\d+)?$/.test(digits) ? digits.replace(/,/g, '') : digits.replace(/,/g, '.');
  const value = Number(grouped);
  return Number.isFinite(value) ? String(value) : grouped;
}

function isEntity(word: string, lower: string, sentenceStart: boolean): boolean {
  if (word.length >= 2 && /^\p{Lu}[\p{Lu}\p{N}]+$/u.test(word)) return true;
  // "I", "I'm": capitalised by rule, not names.
  return !sentenceStart && /\p{Lu}/u.test(word) && !FUNCTION_WORDS.has(lower);
}

/** Reads the facts of a prompt; pure and fast (one pass over the words). */
export function promptFacts(text: string): PromptFacts {
  const normalised = text.normalize('NFKC').replace(INNER_APOSTROPHE, '$1$2');
  const numbers: string[] = [];
  for (const match of normalised.matchAll(DIGITS)) numbers.push(normaliseNumber(match[0]));
  let negations = 0;
  const entities = new Set<string>();
  const contentStems: string[] = [];
  const seen = new Set<string>();
  const embeddingWords: string[] = [];
  for (const match of normalised.matchAll(WORD)) {
    const word = match[0];
    const lower = word.toLowerCase();
    const sentenceStart = match.index === 0 || SENTENCE_END.test(normalised.slice(Math.max(0, match.index - 3), match.index));
    const entity = isEntity(word, lower, sentenceStart);
    if (NEGATION_WORDS.has(lower)) {
      negations += 1;
      embeddingWords.push('not');
      continue;
    }
    const numberWord = NUMBER_WORDS.get(lower);
    if (numberWord !== undefined) {
      numbers.push(numberWord);
      embeddingWords.push(lower);
      continue;
    }
    if (!entity && FUNCTION_WORDS.has(lower)) continue;
    embeddingWords.push(lower);
    if (/^\p{N}+$/u.test(word)) continue;
    const stem = /\p{N}/u.test(lower) ? lower : wordStem(lower);
    if (entity) entities.add(stem);
    if (!seen.has(stem)) {
      seen.add(stem);
      contentStems.push(stem);
    }
  }
  return { numbers: numbers.sort(), negations, entities, contentStems, embeddingText: embeddingWords.join(' ') };
}
