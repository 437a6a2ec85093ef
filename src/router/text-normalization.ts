/**
 * Undoes the Unicode tricks used to slip text past detectors: invisible characters, full-width and
 * other compatibility forms, and Cyrillic/Greek letters that look like Latin ones inside Latin words.
 */

// Zero-width and other invisible format characters: ZWSP, ZWNJ, ZWJ, word joiner, invisible
// operators, BOM, soft hyphen, Mongolian vowel separator, and the variation selectors.
const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufe00-\ufe0f]/gu;

// Lower-case look-alikes (NFKC and lower-casing run first). Kept to letters whose glyphs are
// indistinguishable from Latin in common fonts, after Unicode's confusables.txt.
const CONFUSABLES: Readonly<Record<string, string>> = {
  а: 'a', в: 'b', с: 'c', д: 'd', е: 'e', ё: 'e', һ: 'h', і: 'i', ї: 'i', ј: 'j', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p',
  ԛ: 'q', г: 'r', ѕ: 's', т: 't', ц: 'u', ѵ: 'v', ԝ: 'w', х: 'x', у: 'y', з: '3',
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', γ: 'y', ω: 'w',
};
const LOOKALIKE = /[\p{Script=Cyrillic}\p{Script=Greek}]/u;
const LATIN = /\p{Script=Latin}/u;
const WORD = /[\p{L}\p{M}\p{N}]+/gu;

function unconfuseWord(word: string): string {
  // Only a word that mixes Latin with look-alike scripts is a trick; a Russian or Greek word is text.
  if (!LATIN.test(word) || !LOOKALIKE.test(word)) return word;
  return Array.from(word, (char) => CONFUSABLES[char] ?? char).join('');
}

/**
 * The text detectors should read: invisible characters removed, NFKC applied (full-width and
 * other compatibility letters become ASCII), lower-cased, and look-alike letters inside
 * mixed-script words mapped to Latin. Offsets are not preserved: use it for scoring only.
 */
export function normalizeForDetection(text: string): string {
  return text.replace(INVISIBLE, '').normalize('NFKC').toLowerCase().replace(WORD, unconfuseWord);
}
