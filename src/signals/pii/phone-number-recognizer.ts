import { nameAndAddressSpans } from './name-address-tagger.js';
import { matchesOf, type PiiEntity, type PiiRecognizer } from './pii-entity.js';

// Optional +country, optional (area) or (0), then digit groups joined by one separator each, then an optional extension.
const CANDIDATE = /(?<![\p{L}\p{N}+./:-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,12}(?:[ .-]\d{1,12}){0,5}(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\p{L}\p{N}]|[.,:/-]\d)/gu;
const EXTENSION = /\s?(?:x|ext\.?)\s?\d{1,6}$/;
// Within 40 characters before ("Mobile:", "call me at") or 20 after ("-Fax", "(office)").
const CONTEXT_BEFORE = /\b(?:phone|tel|telephone|mobile|cell|cellphone|call|calling|fax|contact|reach|text|sms|whatsapp|desk|landline|dial|ring|phone number|mobile number)\b/i;
const CONTEXT_AFTER = /^[\s(,-]*(?:phone|tel|mobile|cell|fax|office|desk|home|work)\b/i;
const NOT_PHONE_BEFORE = /\b(?:licen[cs]e|account|acct|order|invoice|passport|ssn|social security|card|serial|tracking|reference|ref|iban|routing|isbn|id|zip|postcode|postal)\b[^\d]{0,20}$/i;
const DATE_START = /^\d{4}[-./]\d{1,2}[-./]\d{1,2}(?!\d)|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/;
const DECIMAL = /^\d+\.\d+$/;
// North American Numbering Plan: area and exchange codes start 2–9; written with separators.
const NANP = /^(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}$/;

/** Confidence that a digit string is a phone number, from its form and the words around it; 0 when it cannot be one. */
function phoneScore(value: string, before: string, after: string): number {
  const main = value.replace(EXTENSION, '');
  const digits = main.replace(/\D/g, '');
  // E.164 allows at most 15 digits; fewer than 7 is a short code or a number of something.
  if (digits.length < 7 || digits.length > 15 || /^(\d)\1+$/.test(digits)) return 0;
  if (DATE_START.test(main) || DECIMAL.test(main)) return 0;
  const international = main.startsWith('+') || main.includes('(');
  if (NOT_PHONE_BEFORE.test(before) && !international) return 0.5;
  const grouped = /[ .-]/.test(main);
  const context = CONTEXT_BEFORE.test(before) || CONTEXT_AFTER.test(after);
  if (international || context) return grouped || international || digits.length >= 9 ? 0.95 : 0.6;
  if (NANP.test(main) || main !== value) return 0.8;
  return 0.6;
}

/**
 * PHONE_NUMBER: 7–15 digit numbers in phone form. International (+ or parenthesised area code)
 * and extension forms, NANP numbers, and numbers next to a phone word ("Mobile:", "-Fax") score
 * high; other grouped numbers score 0.6, under the signal's default threshold; dates, decimals
 * and numbers labelled as something else (licence, account, order) are not phones. A number
 * without phone form or context inside a tagged street address is its house number or postcode.
 */
export const phoneNumberRecognizer: PiiRecognizer = {
  type: 'PHONE_NUMBER',
  find(text): PiiEntity[] {
    const found: PiiEntity[] = [];
    for (const m of matchesOf(CANDIDATE, text)) {
      const value = m[0].trimEnd();
      const end = m.index + value.length;
      const score = phoneScore(value, text.slice(Math.max(0, m.index - 40), m.index), text.slice(end, end + 20));
      const inAddress = () => nameAndAddressSpans(text).some((s) => s.type === 'STREET_ADDRESS' && s.start <= m.index && end <= s.end);
      if (score > 0 && (score >= 0.95 || !inAddress())) found.push({ type: 'PHONE_NUMBER', start: m.index, end, score });
    }
    return found;
  },
};
