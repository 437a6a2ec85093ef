import { matchesOf, type PiiEntity, type PiiRecognizer } from './pii-entity.js';

// AAA-GG-SSSS with one consistent separator (dash, space or dot), not inside a longer number.
const CANDIDATE = /(?<![\d-])(\d{3})([- .])(\d{2})\2(\d{4})(?![\d-])/g;

/** SSA rules: area not 000, 666 or 9xx; group not 00; serial not 0000. */
export function isValidSsn(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && !area.startsWith('9') && group !== '00' && serial !== '0000';
}

/** US_SSN: separated social security numbers that follow the SSA's validity rules. */
export const usSsnRecognizer: PiiRecognizer = {
  type: 'US_SSN',
  find(text): PiiEntity[] {
    return matchesOf(CANDIDATE, text)
      .filter((m) => isValidSsn(m[1]!, m[3]!, m[4]!))
      .map((m) => ({ type: 'US_SSN', start: m.index, end: m.index + m[0].length, score: 1 }));
  },
};
