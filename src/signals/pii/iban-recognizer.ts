import { matchesOf, type PiiEntity, type PiiRecognizer } from './pii-entity.js';

/** IBAN length per country (SWIFT IBAN registry). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24,
  DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29,
  RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22,
  VG: 24, XK: 20,
};

// Country code, check digits, then 11–30 alphanumerics, optionally in groups of four.
const CANDIDATE = /(?<![\p{L}\p{N}])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}(?![\p{L}\p{N}])/gu;

/** ISO 13616 check: move the first four characters to the end, letters to 10..35, mod 97 must be 1. */
export function passesIbanChecksum(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const value = Number.parseInt(char, 36);
    if (Number.isNaN(value)) return false;
    for (const digit of String(value)) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

/** IBAN_CODE: account numbers with the country's length and a valid mod-97 check. */
export const ibanRecognizer: PiiRecognizer = {
  type: 'IBAN_CODE',
  find(text): PiiEntity[] {
    const found: PiiEntity[] = [];
    for (const m of matchesOf(CANDIDATE, text)) {
      let raw = m[0];
      const compact = () => raw.replace(/ /g, '').toUpperCase();
      // A trailing word after the last group may have been swallowed by the space rule: trim to the country length.
      const length = IBAN_LENGTHS[raw.slice(0, 2).toUpperCase()];
      if (length === undefined) continue;
      while (compact().length > length && raw.includes(' ')) raw = raw.slice(0, raw.lastIndexOf(' '));
      if (compact().length === length && passesIbanChecksum(compact())) found.push({ type: 'IBAN_CODE', start: m.index, end: m.index + raw.length, score: 1 });
    }
    return found;
  },
};
