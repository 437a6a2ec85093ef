import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { nameAndAddressSpans } from './name-address-tagger.js';
import { matchesOf, type PiiEntity, type PiiRecognizer } from './pii-entity.js';

/**
 * Regions a number written without a country code is validated for: Presidio's phone recognizer
 * regions (US, UK, DE, FR, IL, IN, CA, BR), with the UK under its ISO code GB. Germany's
 * variable-length plan accepts most 7–12 digit strings, so validity alone is weak evidence and
 * national numbers also need a phone form or a phone word to pass the default threshold.
 */
export const DEFAULT_PHONE_REGIONS: readonly CountryCode[] = ['US', 'CA', 'GB', 'DE', 'FR', 'IL', 'IN', 'BR'];
const NANP_REGIONS = new Set<CountryCode>(['US', 'CA']);

// Optional +country, optional (area) or (0), then digit groups joined by one separator each, then an optional extension.
const CANDIDATE = /(?<![\p{L}\p{N}+./:-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,12}(?:[ .-]\d{1,12}){0,5}(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\p{L}\p{N}]|[.,:/-]\d)/gu;
const EXTENSION = /\s?(?:x|ext\.?)\s?\d{1,6}$/;
// Presidio's phone context words (phone, number, telephone, cell, cellphone, mobile, call) and
// their common variants, plus the other channels a number is given for (fax, text, WhatsApp).
// A bare "number" is any count or id, so it counts only when it says whose or which number.
// Searched within 40 characters before ("Mobile:", "call me at") or 20 after ("-Fax", "(office)").
const CONTEXT_BEFORE =
  /\b(?:phone|phoned|phones|ph|tel|telephone|mobile|mob|cell|cellphone|call|calls|called|calling|fax|contact|reach|text|sms|whatsapp|voicemail|hotline|helpline|desk|landline|dial|ring|(?:my|your|his|her|our|their|contact|home|work|office) number)\b/i;
const CONTEXT_AFTER = /^[\s(,-]*(?:phone|tel|mobile|cell|fax|office|desk|home|work)\b/i;
// A code that mixes letters and digits ("1Z 999 AA1 …") continues into the digit groups after it.
const CODE_BEFORE = /(?:\p{L}\d|\d\p{L})[\p{L}\p{N}]*[ .-]$/u;
const NOT_PHONE_BEFORE = /\b(?:licen[cs]e|account|acct|order|invoice|passport|ssn|social security|card|serial|tracking|reference|ref|iban|routing|isbn|id|zip|postcode|postal)\b[^\d]{0,20}$/i;
// 2024-03-05, 05/03/2024 and dates written with spaces (2024 03 05, 05 03 2024).
const DATE = /^\d{4}[-./]\d{1,2}[-./]\d{1,2}(?!\d)|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$|^(?:19|20)\d{2} \d{1,2} \d{1,2}$|^\d{1,2} \d{1,2} (?:19|20)\d{2}$/;
const DECIMAL = /^\d+\.\d+$/;
// North American Numbering Plan: area and exchange codes start 2–9; written with separators.
const NANP_FORM = /^(?:1[ .-]?)?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}$/;
// Elsewhere a national number starts with the trunk prefix 0 (not the 00 international prefix) and is grouped.
const TRUNK_FORM = /^(?:\(0\d{1,4}\)|0[1-9]\d*[ .-])/;
const PARENTHESISED_AREA = /^\(\d{1,4}\)/;
/** Any of the written forms above: without one, and without a phone word, a valid number scores only `nationalValid`. */
const PHONE_SHAPE = new RegExp(`${NANP_FORM.source}|${TRUNK_FORM.source}|${PARENTHESISED_AREA.source}`);

/** Scores by the evidence a number carries; a phone word raises a validated number to the top score. */
const SCORE = {
  /** A country code and valid for that country. */
  internationalValid: 0.95,
  /** A country code and a possible length for that country, but not an allocated range (Faker numbers, typos). */
  internationalPossible: 0.85,
  /** Valid for a default region and written the way that region writes numbers. */
  nationalInPhoneForm: 0.8,
  /** Valid for a default region, plain digit groups: as likely a count, code or id. */
  nationalValid: 0.6,
  /** Libphonenumber cannot validate it (a short local number without its area code, or no default region's plan). */
  unvalidated: 0.4,
  withContext: 0.95,
  unvalidatedWithContext: 0.75,
  /** Labelled as another kind of number (order, licence, account). */
  labelledOther: 0.5,
} as const;

/** Default regions split by numbering plan: NANP numbers have no trunk prefix 0. */
interface RegionSet {
  readonly all: readonly CountryCode[];
  readonly nanp: readonly CountryCode[];
  readonly others: readonly CountryCode[];
}

// About 12 µs a region, so only candidates of 7+ digits get here.
const validFor = (number: string, regions: readonly CountryCode[]) => regions.some((region) => parsePhoneNumberFromString(number, region)?.isValid() === true);

/** Score of a national number (no country code) from the default regions, before context. */
function nationalScore(value: string, main: string, regions: RegionSet): number {
  const inPhoneForm =
    (NANP_FORM.test(main) && validFor(value, regions.nanp)) ||
    (TRUNK_FORM.test(main) && validFor(value, regions.others)) ||
    ((PARENTHESISED_AREA.test(main) || main !== value) && validFor(value, regions.all));
  if (inPhoneForm) return SCORE.nationalInPhoneForm;
  return validFor(value, regions.all) ? SCORE.nationalValid : SCORE.unvalidated;
}

/** Score of a number with a country code, which libphonenumber checks against that country's plan. */
function internationalScore(international: string): number {
  const parsed = parsePhoneNumberFromString(international);
  if (parsed?.isValid() === true) return SCORE.internationalValid;
  return parsed?.isPossible() === true ? SCORE.internationalPossible : SCORE.unvalidated;
}

/**
 * What one scan has validated, by candidate: libphonenumber costs about 12 µs a region, and a long
 * text (a table, or an adversarial run of digit groups) repeats candidates.
 */
type ValidationMemo = Map<string, number>;

function memoised(memo: ValidationMemo, key: string, score: () => number): number {
  let value = memo.get(key);
  if (value === undefined) memo.set(key, (value = score()));
  return value;
}

/**
 * Confidence that a digit string is a phone number, from libphonenumber validity, its form and the
 * words around it; 0 when it cannot be one, or when it cannot reach `minScore` (a plain digit group
 * without phone form or phone word is then not validated at all).
 */
function phoneScore(value: string, before: string, after: string, regions: RegionSet, minScore: number, memo: ValidationMemo): number {
  const main = value.replace(EXTENSION, '');
  const digits = main.replace(/\D/g, '');
  // E.164 allows at most 15 digits; fewer than 7 is a short code or a number of something.
  if (digits.length < 7 || digits.length > 15 || /^(\d)\1+$/.test(digits)) return 0;
  if (DATE.test(main) || DECIMAL.test(main) || CODE_BEFORE.test(before)) return 0;
  // 00 is the international prefix in most of the world; NANP's 011 is not taken, as 011 is also Delhi's area code.
  const international = main.startsWith('+') ? value : main.startsWith('00') ? `+${value.slice(2).replace(/^[ .-]/, '')}` : undefined;
  if (international === undefined && NOT_PHONE_BEFORE.test(before)) return SCORE.labelledOther;
  // A phone word before describes the nearest number after it, not one further on.
  const context = CONTEXT_BEFORE.test(before.replace(/^[^]*\d/, '')) || CONTEXT_AFTER.test(after);
  if (international === undefined && !context && !PHONE_SHAPE.test(main) && main === value && SCORE.nationalValid < minScore) return 0;
  const score = international === undefined ? memoised(memo, value, () => nationalScore(value, main, regions)) : memoised(memo, international, () => internationalScore(international));
  if (!context) return score;
  return Math.max(score, score > SCORE.unvalidated ? SCORE.withContext : SCORE.unvalidatedWithContext);
}

/**
 * PHONE_NUMBER recognizer over `regions`. Candidates are 7–15 digit groups in phone shape
 * (optional +country, (area), extension); libphonenumber-js (full metadata) validates each for its
 * country code or for the default regions. A valid number with a country code scores 0.95; a
 * national one passes the default threshold only in its region's written form (NANP 415-555-0132,
 * trunk-prefixed 020 7946 0958, a parenthesised area code, an extension) or next to a phone word;
 * plain valid digit groups score 0.6. Dates, decimals and numbers labelled as something else
 * (licence, account, order) are not phones, and a number without phone form or context inside a
 * tagged street address is its house number or postcode.
 */
export function createPhoneNumberRecognizer(regions: readonly CountryCode[] = DEFAULT_PHONE_REGIONS): PiiRecognizer {
  const regionSet: RegionSet = { all: regions, nanp: regions.filter((r) => NANP_REGIONS.has(r)), others: regions.filter((r) => !NANP_REGIONS.has(r)) };
  return {
    type: 'PHONE_NUMBER',
    find(text, minScore = 0, tagged = true): PiiEntity[] {
      const found: PiiEntity[] = [];
      const memo: ValidationMemo = new Map();
      for (const m of matchesOf(CANDIDATE, text)) {
        const value = m[0].trimEnd();
        const end = m.index + value.length;
        const score = phoneScore(value, text.slice(Math.max(0, m.index - 40), m.index), text.slice(end, end + 20), regionSet, minScore, memo);
        // Past the tagging budget a house number cannot be told from a phone number: it is reported (redacted) as one.
        const inAddress = () => tagged && nameAndAddressSpans(text).some((s) => s.type === 'STREET_ADDRESS' && s.start <= m.index && end <= s.end);
        if (score > 0 && (score >= SCORE.internationalPossible || !inAddress())) found.push({ type: 'PHONE_NUMBER', start: m.index, end, score });
      }
      return found;
    },
  };
}

/** PHONE_NUMBER over the default regions (see createPhoneNumberRecognizer). */
export const phoneNumberRecognizer: PiiRecognizer = createPhoneNumberRecognizer();
