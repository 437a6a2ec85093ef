import { matchesOf, type PiiEntity, type PiiRecognizer } from './pii-entity.js';

// A capitalised name word (letters, inner apostrophe or hyphen) and an optional middle initial.
const NAME = String.raw`\p{Lu}[\p{Ll}\p{M}]+(?:['-]\p{Lu}?[\p{Ll}\p{M}]+)?`;
const FULL_NAME = String.raw`${NAME}(?:\s+\p{Lu}\.?(?=\s))?(?:\s+${NAME}){0,2}`;
const TITLE = String.raw`(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam|Mister)\.?`;
const INTRO = String.raw`(?:[Mm]y name is|[Mm]y name's|[Nn]ame:|[Ii] am|[Ii]'m|[Tt]his is|[Cc]all me|[Nn]amed|[Cc]alled|[Dd]ear|[Hh]i|[Hh]ello|[Ss]incerely,?|[Rr]egards,?|[Tt]hanks,?|[Cc]ontact|[Aa]sk for|[Ss]poke (?:to|with))`;
const TITLED = new RegExp(String.raw`\b${TITLE}\s+(${FULL_NAME})`, 'gu');
const INTRODUCED = new RegExp(String.raw`\b${INTRO}\s+(${FULL_NAME})`, 'gu');
// Capitalised words after an intro phrase that are not names.
const NOT_NAMES = new Set(['Mr', 'Mrs', 'Ms', 'Miss', 'Mx', 'Dr', 'Prof', 'Mister', 'I', 'The', 'A', 'An', 'It', 'This', 'That', 'There', 'Here', 'Not', 'Sure', 'Going', 'Looking', 'Trying', 'Glad', 'Happy', 'Sorry', 'So', 'Very', 'Just', 'Also', 'All', 'Everyone', 'Team', 'Sir', 'Madam', 'Customer', 'Support', 'Service']);

function entitiesOf(pattern: RegExp, text: string, score: number): PiiEntity[] {
  return matchesOf(pattern, text).flatMap((m) => {
    const name = m[1]!;
    const words = name.split(/\s+/u);
    if (NOT_NAMES.has(words[0]!)) return [];
    const start = m.index + m[0].length - name.length;
    return [{ type: 'PERSON', start, end: start + name.length, score }];
  });
}

/**
 * PERSON: capitalised names after a title (Mr., Dr.) or an introduction ("my name is", "Dear").
 * Context-only, so it misses a bare name in running text; see the PII section of the model card.
 */
export const personRecognizer: PiiRecognizer = {
  type: 'PERSON',
  find(text): PiiEntity[] {
    return [...entitiesOf(TITLED, text, 0.85), ...entitiesOf(INTRODUCED, text, 0.7)];
  },
};
